"""The treatment session at the chair: booking, charting, dosing, vitals due, alerts, discharge, the board."""
