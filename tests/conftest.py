"""Shared fixtures: quiet, offline settings and small seeded datasets."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.built_once import built_once

# Quiet and offline before anything imports Prefect (MACHINE-NOTES.md).
os.environ.setdefault("SYNTHSCOPE_PROGRESS", "0")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# OpenMP threads that wait for work sleep instead of spinning: `make test` runs three workers on
# two cores, and torch's spinning threads took CPU from the other workers (three slow modules on
# three workers: 120 s wall, 153 CPU-s user by default; 91 s, 116 CPU-s passive). Set before any
# import of torch, and inherited by the stage and CLI processes the tests start.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Prefect's home (database, result storage) in a throwaway folder, never the user's ~/.prefect.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="synthscope-prefect-"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo (20 images per class) shared by the tests that only read it (one per run)."""
    from synthscope.demo.generate import write_demo
    from synthscope.params import DemoParams

    return built_once(tmp_path_factory, "demo", lambda out: write_demo(out, DemoParams(seed=0, n_per_class=20,
                                                                                         image_size=64)))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One feature store for the tests that audit ``demo_dir`` and do not count what was computed: the
    store is content-addressed and safe for concurrent audits, so the demo's embeddings (and CAS fits)
    are computed once per run, whichever worker needs them first."""
    return built_once(tmp_path_factory, "demo-store", lambda _: None)


# Fast settings for tests that run whole audits on a few dozen images (the numbers are still real).
FAST_PARAMS = {
    "score.cas_model": "linear",
    "score.fid_subsample_reps": 8,
    "score.bootstrap_reps": 100,
    "score.kid_subsets": 10,
    "score.augmentation": False,
    "score.curve_repeats": 1,  # one seeded subset per curve point (the curves' maths has its own unit tests)
}


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server per session (a temporary server costs 10-24 s each time)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow end-to-end tests first: under `make test`'s pytest-xdist workers a long test collected last
    (the DVC repro, the served deployments) would otherwise run alone at the end on an idle machine.
    The longest (the DVC repro, 5-6 minutes under load) goes first of all: behind the service tests
    on its worker it started 3-4 minutes in and ended the run alone (`--durations`, 2026-12-03);
    the tests queued behind it are stolen by the other workers meanwhile."""
    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("longest"):
            return -1
        return 0 if item.get_closest_marker("service") else 1 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)
