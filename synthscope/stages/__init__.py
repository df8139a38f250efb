"""The pipeline's stages. Each module ``synthscope.stages.<name>`` has ``run(config: AuditConfig)
-> list[Path]`` (the only code that reads and writes files) and declares itself with
``STAGE = Stage(...)`` (``synthscope.stages.stage``); ``synthscope.pipeline`` derives the rest.

Importing this package loads no stage: ``STAGES``, ``STAGE_PARAMS`` and ``UPSTREAM`` are
computed from the declarations on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthscope.config import AuditConfig


def expected_outputs(stage: str, config: AuditConfig) -> list[Path]:
    """Files a finished stage leaves behind: a cached result whose files are gone must re-run."""
    from synthscope.pipeline import pipeline

    return pipeline().expected_outputs(stage, config)


def run_stage(name: str, config: AuditConfig) -> list[Path]:
    """Run one stage with its completion record (``synthscope.completion``): a mix of two runs
    in its inputs is refused, and its own outputs are recorded as one unit. A re-scan of data
    debias left unchanged (``config.stands_in_for``) copies the audit's outputs instead
    (``stages.rescan.stand_in``)."""
    from synthscope.completion import recorded
    from synthscope.pipeline import get, pipeline
    from synthscope.stages.rescan import stand_in

    stage = get(pipeline(), name)
    if getattr(config, "stands_in_for", None) is not None:
        return recorded(name, config, lambda: stand_in(name, config))
    return recorded(name, config, lambda: stage.run(config))


def __getattr__(name: str) -> Any:
    """``STAGES`` (the order), ``STAGE_PARAMS`` and ``UPSTREAM``: views of ``pipeline()``."""
    from synthscope.pipeline import pipeline

    pipe = pipeline()
    if name == "STAGES":
        return pipe.order
    if name == "STAGE_PARAMS":
        return {s: pipe.stages[s].params for s in pipe.order}
    if name == "UPSTREAM":
        return {s: pipe.upstream(s) for s in pipe.order}
    raise AttributeError(f"module 'synthscope.stages' has no attribute {name!r}")
