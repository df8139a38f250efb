"""Prefect flows: the audit flow and its deployment (schedule)."""
