"""Reporting a concern from a plan page: the plan link, a saved plan, a clinician's link."""
