"""Customer accounts, sign-in, history, plans and personal data."""
