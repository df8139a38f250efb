"""The ingest stage as a Prefect task (cached on its inputs and params, retried on I/O errors)."""

from tasks.common import stage_task

ingest = stage_task("ingest")
