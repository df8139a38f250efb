"""Is real_equivalent calibrated on real photos? CIFAR-10 sample (1,000 photos, 100 per class).

The first 50 photos of each class are the real set, the other 50 stand in for a synthetic set
drawn from the real distribution. Expected: a copy of the real training split is worth the
real training size; N independent photos are worth about N real ones (within the CI).
Reads ``$SYNTHSCOPE_SHARED/data/cifar10-sample`` (default ``<repo>/../shared``) in place, copies
the two halves to a temporary folder (the source is never modified), runs ingest and features
(mobilenet-v2) there. About 20 minutes on a loaded 2-core box, most of it feature extraction.

    python bench/utility_calibration.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from synthscope.config import load_config
from synthscope.documents import dump
from synthscope.metrics.cas import CasSettings, LabelledSet, stratified_split
from synthscope.metrics.utility import learning_curves
from synthscope.paths import OutputPaths
from synthscope.stages import run_stage

FRACTIONS = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


def split_copy(src: Path, dst: Path) -> None:
    for cls in sorted(p for p in src.iterdir() if p.is_dir()):
        for i, f in enumerate(sorted(cls.glob("*.jpg"))):
            out = dst / ("real" if i < 50 else "synthetic") / cls.name / f.name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, out)


def main() -> None:
    from synthscope.features.load import load_embeddings

    shared = Path(os.environ.get("SYNTHSCOPE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
    with tempfile.TemporaryDirectory(prefix="synthscope-calibration-") as tmp:
        t = Path(tmp)
        split_copy(shared / "data" / "cifar10-sample", t)
        config = load_config(None, {"synthetic": str(t / "synthetic"), "real": str(t / "real"),
                                    "output_dir": str(t / "out"), "store_dir": str(t / "store")},
                             None, {"features.extractor": "mobilenet-v2"})
        for stage in ("ingest", "features"):
            run_stage(stage, config)
        emb = load_embeddings(OutputPaths(t / "out"), t / "store")

        def subset(role: str) -> LabelledSet:
            m = (emb.index["role"] == role).to_numpy()
            return LabelledSet(emb.index.loc[m, "image_id"].to_numpy(), emb.index.loc[m, "label"].to_numpy(),
                               emb.features[m])

        real, other = subset("real"), subset("synthetic")
        settings = CasSettings(model="linear", bootstrap_reps=1000)
        train, _ = stratified_split(real.labels, settings.test_fraction, settings.seed)
        rng = np.random.default_rng(0)
        half = np.sort(np.concatenate([rng.permutation(np.flatnonzero(other.labels == c))[: len(train) // 20]
                                       for c in sorted(set(other.labels))]))
        cases = {"copy of the real training split": LabelledSet(real.ids[train], real.labels[train], real.x[train]),
                 f"{len(half)} independent photos": LabelledSet(other.ids[half], other.labels[half], other.x[half]),
                 f"{len(other.ids)} independent photos": other}
        for name, syn in cases.items():
            start = time.perf_counter()
            u = dump(learning_curves(syn, real, settings, FRACTIONS, 3))
            eq = u["real_equivalent"]
            print(f"{name}: real training split {len(train)}; real-only curve "
                  f"{[(c['n_real'], round(c['real_only']['value'], 3)) for c in u['curve']]}; synthetic-only "
                  f"{u['synthetic_only']['value']:.3f}; real_equivalent {eq['text']} (95% CI "
                  f"{eq['ci95'][0]:.0f}-{eq['ci95'][1]:.0f}) in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
