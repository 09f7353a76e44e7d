"""People and place: patients, staff accounts, settings, where the clinic's data lives."""
