"""What the pipeline (flow, dvc.yaml) does after the scan, for tests that call stages directly:
debias, the re-scans before and after (ingest -> features -> scan each), then compare."""

from __future__ import annotations

from synthscope.config import AuditConfig
from synthscope.stages import run_stage
from synthscope.stages.rescan import needed_sides, rescan_config, rescanned


def debias_and_compare(config: AuditConfig) -> None:
    run_stage("debias", config)
    for side in needed_sides(config):  # the re-scans compare reads (the flow and dvc.yaml run both)
        sub = rescan_config(config, side)
        for stage in rescanned():
            run_stage(stage, sub)
    run_stage("compare", config)
