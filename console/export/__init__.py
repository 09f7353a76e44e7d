"""End-of-day export: the CSV set and the FHIR bundle, their rows, the data dictionary, the manifest."""
