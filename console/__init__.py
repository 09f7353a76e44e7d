"""Chairside without its screens: domain, store, clinic, chair, review, export, demo, and the command line."""
