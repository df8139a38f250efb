"""Two audits sharing one feature store at the same moment: rows stored and wall time, with
the per-key lock (what the features stage does) and without it (the behaviour before).

    python bench/store.py [--n-per-class 20]

Each audit is a process forked from this one (torch imported, never run, so forking is safe)
that waits on a barrier and then runs ``stage features`` on the same images into one store.
Prints rows stored per unique image and the wall time of the locked run relative to the
unlocked one, both measured here in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from synthscope.config import load_config
from synthscope.demo.generate import write_demo
from synthscope.params import DemoParams
from synthscope.stages import run_stage
from synthscope.store import FeatureStore

PARAMS = {"features.extractor": "mobilenet-v2", "features.download": False, "features.workers": 0}


def _audit(overrides: dict, barrier, locked: bool) -> None:
    if not locked:
        FeatureStore.lock = lambda self, *keys: contextlib.nullcontext()  # the store before the lock
    config = load_config(None, overrides, None, PARAMS)
    barrier.wait()
    run_stage("features", config)


def trial(demo: Path, root: Path, locked: bool) -> tuple[int, int, float]:
    """(rows stored, unique images, wall seconds) of two concurrent audits on one fresh store."""
    store = root / f"store-{locked}"
    outs = []
    for i in (0, 1):
        over = {"synthetic": str(demo / "synthetic"), "real": str(demo / "real"),
                "output_dir": str(root / f"out-{locked}-{i}"), "store_dir": str(store)}
        run_stage("ingest", load_config(None, over, None, PARAMS))
        outs.append(over)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_audit, args=(over, barrier, locked)) for over in outs]
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    wall = time.perf_counter() - start
    key = next(p.name for p in store.iterdir() if p.name.startswith("mobilenet"))
    rows = sum(pq.read_metadata(p).num_rows for p in (store / key).glob("part-*.parquet"))
    unique = len({r for r in pq.read_table(Path(outs[0]["output_dir"]) / "manifest.parquet")
                  .column("image_id").to_pylist()})
    return rows, unique, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-per-class", type=int, default=20)
    args = parser.parse_args()
    import synthscope.features.extract  # noqa: F401  (imported before forking)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_demo(root / "demo", DemoParams(seed=0, n_per_class=args.n_per_class, image_size=64))
        results = {locked: trial(root / "demo", root, locked) for locked in (False, True)}
    for locked, (rows, unique, wall) in results.items():
        print(f"{'locked' if locked else 'unlocked'}: {rows} embedding rows stored for {unique} images "
              f"({rows / unique:.2f} per image), two audits in {wall:.1f} s")
    print(f"locked / unlocked wall time: {results[True][2] / results[False][2]:.2f}")


if __name__ == "__main__":
    main()
