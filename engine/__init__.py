"""Eligibility engine: pure-Python clinical logic (no Qt, no database, no file I/O)."""
