"""Time to verdict: a whole ``synthscope audit`` against embedding the same images (``ingest`` + ``features``).

For each dataset pair, two fresh processes, each with a fresh output folder and feature store:

- base: ``ingest`` then ``features`` (what embedding the images costs);
- audit: the Prefect audit flow with default params, called as ``synthscope audit`` calls it
  (``orchestration.server.run_audit``: the temporary Prefect server starts while the code loads).

Prints both wall times, their ratio (the budget is 2.0) and each stage's share of the audit; the
last row is the time no stage was running (process start, imports, Prefect's temporary server and
task bookkeeping): stages that run side by side (scan and score) are counted once there. First, Prefect's own
overhead: a fresh process's first flow run (the temporary server start), with a new Prefect home
(its database is created once) and with the bench's home afterwards, and the cost per task. The
audits then use that home, as a user's audits share ``~/.prefect`` (``make``'s ``.prefect``).

Pairs: the shared CIFAR-10 sample split in two (every other image of each class: 500 + 500 photos)
and the built-in demo (``synthscope demo``, default size; its generation is timed too).

    python bench/audit_time.py [--cifar ../shared/data/cifar10-sample] [--only cifar|demo]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STAGE_ORDER = ("ingest", "features", "scan", "score", "debias", "ingest-after", "features-after", "scan-after",
               "ingest-before", "features-before", "scan-before", "compare", "report")


def child(mode: str, synthetic: str, real: str, out: str, store: str) -> None:
    """Run in a fresh process: time each stage (by wrapping the stage functions the tasks call)."""
    os.environ.setdefault("SYNTHSCOPE_PROGRESS", "0")
    start = time.perf_counter()
    times: dict[str, float] = {}
    spans: list[tuple[float, float]] = []  # (start, end) of every timed call: stages may run side by side

    def add(name: str, seconds: float) -> None:
        times[name] = times.get(name, 0.0) + seconds
        end = time.perf_counter() - start
        spans.append((end - seconds, end))

    def side_of(config) -> str:
        name = Path(config.output_dir).name
        return name.split("_", 1)[1] if name.startswith("debias_") else ""

    import synthscope.stages as stages
    from synthscope.stages import features

    def timed(fn, label):
        def wrapper(config, *args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(config, *args, **kwargs)
            finally:
                side = side_of(config)
                add(f"{label(args)}-{side}" if side else label(args), time.perf_counter() - t)
        return wrapper

    for fn_name in ("plan", "compute", "complete"):
        setattr(features, fn_name, timed(getattr(features, fn_name), lambda _a: "features"))
    overrides = {"synthetic": synthetic, "real": real, "output_dir": out, "store_dir": store}
    if mode == "base":
        from synthscope.config import load_config

        config = load_config(None, overrides)
        t = time.perf_counter()
        stages.run_stage("ingest", config)
        add("ingest", time.perf_counter() - t)
        stages.run_stage("features", config)  # its plan / compute / complete are timed above
    else:
        from synthscope.orchestration import common
        from synthscope.orchestration.server import run_audit

        original = common.run_stage

        def run_stage(name, config):
            t = time.perf_counter()
            try:
                return original(name, config)
            finally:
                side = side_of(config)
                add(f"{name}-{side}" if side else name, time.perf_counter() - t)

        common.run_stage = run_stage
        run_audit(config=None, overrides=overrides)  # as `synthscope audit` calls it
    print(json.dumps({"total": time.perf_counter() - start, "stages": times, "covered": covered(spans)}))


def covered(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one stage ran (the union of the spans)."""
    total, reach = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def prefect_child(n_tasks: int) -> None:
    """A fresh process: first flow run (starts the temporary server), a second one, one with n tasks."""
    from prefect import flow, task

    @task
    def nothing(i: int) -> int:
        return i

    @flow
    def empty() -> None:
        return None

    @flow
    def many(n: int) -> None:
        for i in range(n):
            nothing(i)

    t0 = time.perf_counter()
    empty()
    t1 = time.perf_counter()
    empty()
    t2 = time.perf_counter()
    many(n_tasks)
    t3 = time.perf_counter()
    print(json.dumps({"first_flow": t1 - t0, "second_flow": t2 - t1,
                      "per_task": ((t3 - t2) - (t2 - t1)) / n_tasks}))


def run_child(args: list[str], home: str) -> dict:
    """``home``: the child's PREFECT_HOME. The bench keeps one for all its runs (Prefect's database, as
    a user's ~/.prefect or make's .prefect); a new one shows what creating that database costs."""
    # a busy machine can take minutes to start the temporary server: wait for it rather than fail
    env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600", **os.environ, "PREFECT_HOME": home}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    result["log_errors"] = [line for line in out.stderr.splitlines() if "ERROR" in line]
    return result


def split_cifar(source: Path, tmp: Path) -> tuple[Path, Path]:
    """Every other image of each class to each side, copied into ``tmp`` (the source is only read)."""
    sides = (tmp / "cifar-a", tmp / "cifar-b")
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        for i, image in enumerate(sorted(folder.iterdir())):
            dest = sides[i % 2] / folder.name / image.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, dest)
    return sides


def measure(name: str, synthetic: Path, real: Path, tmp: Path, home: str) -> float:
    runs = {}
    for mode in ("base", "audit"):
        work = tmp / f"{name}-{mode}"
        runs[mode] = run_child(["--child", mode, str(synthetic), str(real), str(work / "out"), str(work / "store")],
                               home)
    base, audit = runs["base"], runs["audit"]
    ratio = audit["wall"] / base["wall"]
    print(f"\n{name}: {synthetic} + {real}")
    print(f"  ingest + features alone: {base['wall']:6.1f} s  (ingest {base['stages'].get('ingest', 0):.1f}, "
          f"features {base['stages'].get('features', 0):.1f}, the rest is process start-up)")
    print(f"  synthscope audit:        {audit['wall']:6.1f} s")
    print(f"  audit / (ingest + features): {ratio:.2f}  (budget 2.0: {'ok' if ratio <= 2.0 else 'OVER'})")
    stages = audit["stages"]
    known = sum(stages.values())
    print("  | stage | seconds | share |\n  |---|---|---|")
    for stage in sorted(stages, key=lambda s: STAGE_ORDER.index(s) if s in STAGE_ORDER else 99):
        print(f"  | {stage} | {stages[stage]:.1f} | {stages[stage] / audit['wall']:.0%} |")
    # scan and score run side by side: the stages' own seconds overlap; what no stage covers is the rest
    rest = audit["wall"] - audit["covered"]
    print(f"  | no stage running: process start, imports, Prefect's server and tasks | {rest:.1f} | "
          f"{rest / audit['wall']:.0%} |")
    if known > audit["covered"] + 0.05:
        print(f"  (the stages' seconds sum to {known:.1f}: {known - audit['covered']:.1f} s of them ran side by side)")
    print(f"  ERROR lines in the audit's log: {len(audit['log_errors'])}")
    for line in audit["log_errors"][:5]:
        print(f"    {line}")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cifar", type=Path, default=ROOT.parent / "shared" / "data" / "cifar10-sample")
    ap.add_argument("--only", choices=("cifar", "demo", "prefect"))  # prefect: only the Prefect lines
    ap.add_argument("--child", nargs=5, metavar=("MODE", "SYN", "REAL", "OUT", "STORE"))
    ap.add_argument("--prefect-child", type=int)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.prefect_child:
        prefect_child(args.prefect_child)
        return
    import torch

    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="bench-audit-time-"))
    try:
        # Prefect first: its fresh-home run creates a database; the next one is what every later audit sees
        home = tempfile.mkdtemp(prefix="bench-prefect-")
        fresh = run_child(["--prefect-child", "20"], home)  # creates the home's database
        p = run_child(["--prefect-child", "20"], home)
        print(f"\nPrefect: first flow run in a fresh process (temporary server start) {p['first_flow']:.1f} s "
              f"({fresh['first_flow']:.1f} s with a new Prefect home: its database is created), "
              f"a second flow run {p['second_flow']:.2f} s, per task {p['per_task'] * 1000:.0f} ms")
        if args.only in (None, "cifar"):
            a, b = split_cifar(args.cifar, tmp)
            measure("CIFAR-10 sample, 500 + 500 photos", a, b, tmp, home)
        if args.only in (None, "demo"):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "synthscope.cli", "demo", "--out", str(tmp / "demo")], check=True,
                           cwd=ROOT, capture_output=True)
            print(f"\ndemo generation (synthscope demo, a fresh process): {time.perf_counter() - start:.1f} s")
            measure("demo", tmp / "demo" / "synthetic", tmp / "demo" / "real", tmp, home)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
