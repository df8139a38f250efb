"""The debias stage as a Prefect task (cached on its inputs and params, retried on I/O errors)."""

from tasks.common import stage_task

debias = stage_task("debias")
