"""An end-to-end audit at 20,000 synthetic + 20,000 real 32 px demo images: time and peak memory per stage.

Each stage runs as its own ``synthscope stage NAME --config CFG`` process in the order
``dvc.yaml`` runs them (the debias re-scans included); the peak is that process's maximum
resident set size (``os.wait4``, as ``bench/scale.py`` measures it; imports included: torch
alone is about 1 GiB) and the time is its wall clock. Measured once, as a benchmark: nothing here is asserted.

    nice python bench/audit_scale.py --work /tmp/audit20k            # generate, then audit
    nice python bench/audit_scale.py --work /tmp/audit20k --n 2000   # a quick rehearsal

The synthetic set is the demo's biased one (colour shortcut, plain backgrounds, class
imbalance 1 : 0.45 : 0.15, 10% near-duplicates, 5% copies of real images), so every check
and the debias stage have something to do; the real set is the demo's reference.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rusage import wait_peak_gib  # bench/ is sys.path[0]: this file runs as a script

RUNS = [  # (stage, --rescan side) in dvc.yaml's order
    ("ingest", None), ("features", None), ("scan", None), ("score", None), ("debias", None),
    ("ingest", "before"), ("features", "before"), ("scan", "before"),
    ("ingest", "after"), ("features", "after"), ("scan", "after"),
    ("compare", None), ("report", None),
]


def generate(data: Path, n: int, size: int, seed: int) -> dict[str, int]:
    """Real: n per class; synthetic: n / mean imbalance share per class, so both sides hold about 3n."""
    from synthscope.demo.generate import DEMO_BIASES, IMBALANCE, Biases, generate_dataset

    n_syn = round(3 * n / sum(IMBALANCE.values()))
    real = generate_dataset(data / "real", n, Biases(), "real", seed, size)
    syn = generate_dataset(data / "synthetic", n_syn, DEMO_BIASES, "synthetic", seed + 2, size, real_dir=data / "real")
    return {"real": len(real), "synthetic": len(syn)}


def timed(cmd: list[str], log: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS GiB) of one command, its output appended to ``log``."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
        peak = wait_peak_gib(proc)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}); see {log}")
    return wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="data, outputs and store go here")
    ap.add_argument("--n", type=int, default=6667, help="real images per class (3 classes)")
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-data", action="store_true", help="reuse generated images and start from a fresh output")
    args = ap.parse_args()
    work = args.work.resolve()
    data, out, store = work / "data", work / "outputs", work / "store"
    if not args.keep_data or not (data / "synthetic").is_dir():
        start = time.perf_counter()
        counts = generate(data, args.n, args.size, args.seed)
        print(f"generated {counts} at {args.size} px in {time.perf_counter() - start:.0f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    config = work / "audit.yaml"
    config.write_text(json.dumps({"name": "audit-20k", "synthetic": str(data / "synthetic"),
                                  "real": str(data / "real"), "output_dir": str(out), "store_dir": str(store)}))
    synthscope = str(Path(sys.executable).with_name("synthscope"))
    log = work / "audit.log"
    log.unlink(missing_ok=True)
    rows = []
    print(f"{'stage':<18} {'wall s':>8} {'peak GiB':>9}", flush=True)
    for stage, side in RUNS:
        cmd = [synthscope, "stage", stage, "--config", str(config)] + (["--rescan", side] if side else [])
        wall, peak = timed(cmd, log)
        name = f"{stage} ({side})" if side else stage
        rows.append({"stage": name, "wall_s": round(wall, 1), "peak_gib": round(peak, 2)})
        print(f"{name:<18} {wall:>8.1f} {peak:>9.2f}", flush=True)
    total = sum(r["wall_s"] for r in rows)
    print(f"{'total':<18} {total:>8.1f} {max(r['peak_gib'] for r in rows):>9.2f}")
    metrics = json.loads((out / "metrics.json").read_text())
    print("score.cas model:", metrics.get("cas", {}).get("model_choice"))
    (work / "audit_scale.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
