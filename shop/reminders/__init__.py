"""Reminder emails: the plan page's sign-up, the confirmation link and one-click unsubscribe."""
