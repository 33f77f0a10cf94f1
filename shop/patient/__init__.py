"""A patient's personal recommendation link."""
