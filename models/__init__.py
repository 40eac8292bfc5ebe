"""Persistence, the ClinicalTrials.gov importer, and the use cases the window and CLI share."""
