"""A hand-built audit output directory for the report tests: small PNGs, a manifest, attributes and
realistic bias.json / metrics.json / debias.json, including hostile class and file names."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.documents import dump
from synthscope.io import write_json, write_parquet
from synthscope.paths import OutputPaths
from tests.documents_fakes import bias_doc, debias_doc, finding, metrics_doc

HOSTILE = "<script>alert(1)</script>"
HOSTILE_FILE = 'odd "quoted" ünïcødé <b>.png'
CLASSES = ("circle", "square", HOSTILE)


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def write_images(root: Path, role: str, n_per_class: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Tiny 16x16 images, one colour per class for synthetic (a planted colour shortcut)."""
    rows = []
    for k, label in enumerate(CLASSES):
        for i in range(n_per_class):
            rgb = np.full((16, 16, 3), 235, np.uint8)
            colour = (
                [(220, 40, 40), (40, 160, 40), (40, 40, 220)][k]
                if role == "synthetic"
                else rng.integers(0, 255, 3)
            )
            x0, y0 = rng.integers(2, 10, 2) if role == "real" else (4, 4)
            rgb[y0 : y0 + 6, x0 : x0 + 6] = colour
            name = HOSTILE_FILE if (label == HOSTILE and i == 0) else f"{i:03d}.png"
            rel = f"c{k}/{name}"
            data = _png(rgb)
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
            rows.append(
                {
                    "image_id": hashlib.sha256(data).hexdigest() + role[0],
                    "role": role,
                    "label": label,
                    "path": rel,
                    "width": 16,
                    "height": 16,
                    "mode": "RGB",
                    "status": "ok",
                    "reason": "",
                    "root": str(root),
                    "format": "PNG",
                    "bytes": len(data),
                    "duplicate_of": "",
                    "centroid_x": (x0 + 3) / 16,
                    "centroid_y": (y0 + 3) / 16,
                    "obj_hue": float(k * 120 if role == "synthetic" else rng.uniform(0, 360)),
                    "obj_saturation": float(rng.uniform(0.5, 1.0)),
                    "fg_area": 36 / 256,
                    "bg_clutter": float(rng.uniform(0, 0.1)),
                }
            )
    return rows


def metrics_json(extractor: str = "mobilenet-v2") -> dict[str, Any]:
    per_class = {
        "circle": {"synthetic_to_real": 0.7, "real_to_real": 0.93, "gap": 0.23, "n_test": 3},
        HOSTILE: {"synthetic_to_real": 0.41, "real_to_real": 0.9, "gap": 0.49, "n_test": 3},
    }
    return dump(metrics_doc(
        fid=(61.3, [57.9, 65.2]), kid=(0.031, [0.024, 0.039]), cov=(0.44, [0.38, 0.5]),
        s2r=(0.58, [0.52, 0.64]), r2r=(0.91, [0.87, 0.95]), extractor=(extractor, "official"), per_class=per_class,
        neighbours={"precision": (0.72, [0.65, 0.79]), "recall": (0.38, [0.31, 0.45]), "density": (0.81, [0.7, 0.92])},
        inception=(2.41, [2.2, 2.6]),
        relative={"fid": (2.4, [2.0, 2.9]), "kid": (0.02, [-0.01, 0.05]), "coverage": (0.5, [0.4, 0.6])},
        p_value=0.002,
    ))


def bias_json(examples: list[dict[str, Any]]) -> dict[str, Any]:
    f = [
        finding("high", "shortcut", 0.97, HOSTILE, "color", f"hue predicts {HOSTILE} (AUC 0.97)"),
        finding("medium", "consistency", 0.88, "circle", "location", "objects always centred"),
        finding("low", "imbalance", 0.12, None, None, "largest/smallest class 1.3"),
        finding("medium", "memorization", 0.05, "square", None, "1 image within 0.02 of a real image",
                examples=examples),
        finding("info", "duplicates", 0.01, "square", None, "near-duplicate pairs: 1"),
    ]
    return dump(bias_doc(f))


def debias_json() -> dict[str, Any]:
    rows = [{"check": "shortcut", "attribute": "color", "class": HOSTILE, "metric": "youden_j", "score_before": 0.97,
             "score_after": 0.41, "severity_before": "high", "severity_after": "low"}]
    return dump(debias_doc(rows, cas=(0.71, 0.83)))


def build_outputs(tmp: Path, with_real: bool = True, with_optional: bool = True) -> OutputPaths:
    """Write a complete (or, with ``with_optional=False``, manifest-only) output dir; return its paths."""
    rng = np.random.default_rng(0)
    rows = write_images(tmp / "synthetic", "synthetic", 3, rng)
    if with_real:
        rows += write_images(tmp / "real", "real", 3, rng)
    frame = pd.DataFrame(rows)
    out = OutputPaths(tmp / "out")
    write_parquet(
        out.manifest,
        frame[
            [
                c
                for c in frame.columns
                if c not in ("centroid_x", "centroid_y", "obj_hue", "obj_saturation", "fg_area", "bg_clutter")
            ]
        ],
    )
    if with_optional:
        write_parquet(
            out.attributes,
            frame.drop(
                columns=[
                    "width",
                    "height",
                    "mode",
                    "status",
                    "reason",
                    "root",
                    "format",
                    "bytes",
                    "duplicate_of",
                ]
            ),
        )
        square = frame[frame.label == "square"].groupby("role").first()
        examples = []
        if with_real:  # the scan lists suspected copies only against a real set
            refs = {role: {"image_id": r.image_id, "path": r.path, "label": "square"} for role, r in square.iterrows()}
            examples.append({"synthetic": refs["synthetic"], "real": refs["real"], "exact": False, "hamming": 1,
                             "cosine_distance": 0.018})
        write_json(out.bias_json, bias_json(examples))
        metrics = metrics_json()
        if with_real:
            metrics.update(utility_outputs(frame, out))
        write_json(out.metrics_json, metrics)
        write_json(out.debias_json, debias_json())
    return out


def utility_outputs(frame: pd.DataFrame, out: OutputPaths) -> dict[str, Any]:
    """Real learning curves, confusion matrix and realism.parquet computed by the library on the
    fixture's pixels (flattened, as stand-in embeddings); returns the metrics.json entries."""
    from synthscope.documents import dump
    from synthscope.metrics.cas import CasSettings, LabelledSet, classification_accuracy_score
    from synthscope.metrics.confusion import collapse_findings
    from synthscope.metrics.realism import realism, realism_frame
    from synthscope.metrics.utility import learning_curves

    sets = {}
    for role in ("synthetic", "real"):
        rows = frame[frame["role"] == role]
        pixels = np.stack([np.asarray(Image.open(Path(r) / p), dtype=np.float64).ravel() / 255
                           for r, p in zip(rows["root"], rows["path"], strict=True)])
        sets[role] = (rows, LabelledSet(rows["image_id"].to_numpy(), rows["label"].to_numpy(), pixels))
    settings = CasSettings(model="linear", bootstrap_reps=100, augmentation=False)
    (syn_rows, syn), (real_rows, real) = sets["synthetic"], sets["real"]
    cas = classification_accuracy_score(syn, real, settings)["cas"]
    table = realism_frame(syn_rows, real_rows, realism(real.x, syn.x, k=2), outlier_below=1.0)
    write_parquet(out.realism, table)
    assert cas.confusion is not None
    return {  # the fixture writes JSON: the entries as metrics.json holds them
        "utility": dump(learning_curves(syn, real, settings, (0.5, 1.0), 2)),
        "cas": {**metrics_json()["cas"], "confusion": dump(cas.confusion), "model": "linear",
                "collapse": [dump(f) for f in collapse_findings(cas.confusion, 0.5)]},
    }
