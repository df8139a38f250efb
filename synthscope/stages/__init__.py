"""The pipeline's stages, in order. Each module ``synthscope.stages.<name>`` has
``run(config: AuditConfig) -> list[Path]``: the only code that reads and writes files."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from synthscope.config import AuditConfig
from synthscope.errors import ConfigError

STAGES = ("ingest", "features", "scan", "score", "debias", "compare", "report")

# The params.yaml sections each stage reads: the Prefect cache keys and dvc.yaml's ``params:``
# lists both follow this (a test checks dvc.yaml against it).
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest",),
    "features": ("features",),
    "scan": ("scan",),
    "score": ("score", "scan"),  # scan.mem_*: CAS leaves out near copies of real test images
    "debias": ("debias", "scan", "score"),  # scan levels pick the findings to repair; score.realism_k ranks
    # the pipeline re-runs ingest, features and scan around debias (stages.rescan) with their own
    # sections; compare trains the CAS classifiers with the score stage's settings
    "compare": ("score", "scan"),
    # scan: the drift section's classifier (seed, folds) picks the most synthetic-looking images
    "report": ("report", "gates", "scan", "utility"),
}
# The stage each one reads its inputs from (besides the feature store).
UPSTREAM: dict[str, tuple[str, ...]] = {
    "ingest": (),
    "features": ("ingest",),
    "scan": ("features",),
    "score": ("features",),
    "debias": ("scan",),
    "compare": ("features", "debias"),  # plus the re-scans before and after (their own ingest -> features -> scan)
    "report": ("scan", "score", "compare"),
}


def expected_outputs(stage: str, config: AuditConfig) -> list[Path]:
    """Files a finished stage leaves behind: a cached result whose files are gone must re-run."""
    from synthscope.paths import OutputPaths

    out = OutputPaths(config.output_dir)
    return {
        "ingest": [out.manifest, out.ingest_summary],
        "features": [out.attributes, out.features_summary, Path(config.store_dir)],
        "scan": [out.bias_json, out.findings],
        "score": [out.metrics_json, out.realism],
        "debias": [out.augmented_manifest, out.augmented_summary, out.augmented_dir],
        "compare": [out.debias_json],
        "report": [out.report_html, out.report_json, out.summary_md, out.history],
    }[stage]


StageFn = Callable[[AuditConfig], list[Path]]


def stage_function(name: str) -> StageFn:
    if name not in STAGES:
        raise ConfigError(f"unknown stage {name!r}; choose one of {', '.join(STAGES)}")
    module = importlib.import_module(f"synthscope.stages.{name}")
    return module.run


def run_stage(name: str, config: AuditConfig) -> list[Path]:
    """Run one stage with its completion record (``synthscope.completion``): a mix of two runs
    in its inputs is refused, and its own outputs are recorded as one unit."""
    from synthscope.completion import recorded

    run = stage_function(name)
    return recorded(name, config, lambda: run(config))
