"""The stages without extra Prefect work, as cached, retried tasks (``common.stage_task``)."""

from synthscope.orchestration.common import stage_task

ingest = stage_task("ingest")
scan = stage_task("scan")
score = stage_task("score")
debias = stage_task("debias")
compare = stage_task("compare")
