"""Requests for a free consultation."""
