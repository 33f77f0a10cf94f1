"""Signed webhooks from the payment provider."""
