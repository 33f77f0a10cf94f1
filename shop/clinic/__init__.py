"""The clinicians' area, consultation requests and recommendations."""
