"""The kit finder, from treatment and skin profile to a personal plan."""
