"""Checkout and order confirmation pages."""
