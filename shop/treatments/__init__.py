"""Treatment information pages."""
