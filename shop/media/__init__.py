"""Uploaded media (product photos) served by the shop."""
