"""Chairside domain, persistence and services. Never imports the user interface."""
