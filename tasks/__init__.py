"""Prefect tasks: thin wrappers over ``synthscope.stages``, one module per stage.

They add what Prefect is for (caching keyed on content and params, retries on transient
errors, names in the UI, artifacts) and nothing else: no pandas, no metric logic. They pass
paths and small dicts, never tables.
"""
