"""Child processes for the store-integrity tests, forked from a preloaded fork server.

Importing torch and synthscope takes 3-20 s here (more on a busy machine); a fork server
that imported them once (and never ran a torch op, so forking is safe) starts each child
in milliseconds, which is what makes ten SIGKILL trials affordable.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

# the stage modules import their heavy code when they run: preload that code too
PRELOAD = ["synthscope.stages.ingest", "synthscope.stages.features", "synthscope.stages.scan",
           "synthscope.stages.debias", "synthscope.stages.report", "synthscope.completion",
           "synthscope.features.extract", "synthscope.features.extractors", "synthscope.bias",
           "synthscope.debias.build", "synthscope.debias.transforms", "synthscope.metrics.suite",
           "synthscope.report.build", "synthscope.report.render", "torchvision.models", "sklearn.tree",
           "tests.stage_child"]


def context() -> ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def run_stages(overrides: dict[str, str], params: dict[str, Any], stages: list[str], go: str | None = None,
               threads: int | None = None, kill_after: str | None = None) -> None:
    """Run ``stages`` of one audit config; with ``go``, first create ``<go>.ready-<pid>`` and
    wait until ``go`` exists (so two children plan and compute at the same moment).

    ``threads``: torch's intra-op thread count, the parent's. Rows computed on 1 and on 2
    threads differ in the last bits, and a fork server inherits whatever OMP_NUM_THREADS an
    earlier test left in the environment (a Dask LocalCluster sets it to 1 and never unsets it).
    ``kill_after``: SIGKILL this process right after a file or folder of that name is moved
    into place (``os.replace``, how every output is written): a kill between two output files.
    """
    import torch

    from synthscope.config import load_config
    from synthscope.stages import run_stage

    if threads:
        torch.set_num_threads(threads)
    if kill_after:
        replace = os.replace

        def replace_then_die(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            replace(src, dst, *args, **kwargs)
            if Path(dst).name == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

        os.replace = replace_then_die  # this child only

    config = load_config(None, overrides, None, params)
    if go:
        Path(f"{go}.ready-{os.getpid()}").touch()
    while go and not Path(go).exists():
        time.sleep(0.002)
    for stage in stages:
        run_stage(stage, config)
