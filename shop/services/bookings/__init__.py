"""Booked consultations: availability (schedule), booking and managing, the clinic's day."""
