"""Use cases of the shop, one function each; views call these and never touch the session."""
