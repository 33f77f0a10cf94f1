"""Public storefront: home, catalogue and kit pages."""
