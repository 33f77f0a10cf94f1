"""Demo data the `flask seed` command loads into a fresh shop."""
