"""The pipeline's stages, in order. Each module ``synthscope.stages.<name>`` has
``run(config: AuditConfig) -> list[Path]``: the only code that reads and writes files."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from synthscope.config import AuditConfig
from synthscope.errors import ConfigError

STAGES = ("ingest", "features", "scan", "score", "debias", "report")

StageFn = Callable[[AuditConfig], list[Path]]


def stage_function(name: str) -> StageFn:
    if name not in STAGES:
        raise ConfigError(f"unknown stage {name!r}; choose one of {', '.join(STAGES)}")
    module = importlib.import_module(f"synthscope.stages.{name}")
    return module.run


def run_stage(name: str, config: AuditConfig) -> list[Path]:
    return stage_function(name)(config)
