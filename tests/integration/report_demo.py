"""The demo datasets audited up to the report with hand-made scan/score outputs.

Ingest runs for real; attributes come from the generator's truth (what the features stage
measures, known exactly here), findings from the planted biases (what a correct scan
reports), metrics are realistic hand values. So the report test exercises real images,
real ids and every planted bias without running the feature network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from synthscope.config import AuditConfig, load_config
from synthscope.documents import dump
from synthscope.io import write_json, write_parquet
from synthscope.paths import OutputPaths
from synthscope.stages import ingest
from tests.documents_fakes import bias_doc, metrics_doc

SEVERITY = {
    "shortcut": "high",
    "consistency": "medium",
    "imbalance": "medium",
    "duplicates": "low",
    "memorization": "high",
    "diversity": "medium",
    "drift": "high",
}
SCORE = {
    "shortcut": 0.96,
    "consistency": 0.91,
    "imbalance": 0.85,
    "duplicates": 0.1,
    "memorization": 0.05,
    "diversity": 0.4,
    "drift": 0.98,  # classifier AUC
}


def _attributes(manifest: pd.DataFrame, demo: Path) -> pd.DataFrame:
    from synthscope.demo.generate import read_truth  # ruff sorts it by whether the demo package exists

    parts = []
    for role, folder in (("synthetic", "synthetic"), ("real", "real")):
        _, truth = read_truth(demo / folder)
        rows = manifest[(manifest["role"] == role) & (manifest["status"] == "ok")]
        merged = rows[["image_id", "role", "label", "path"]].merge(truth.drop(columns="label"), on="path")
        parts.append(
            pd.DataFrame(
                {
                    "image_id": merged["image_id"],
                    "role": role,
                    "label": merged["label"],
                    "path": merged["path"],
                    "obj_r": merged["obj_r"],
                    "obj_g": merged["obj_g"],
                    "obj_b": merged["obj_b"],
                    "obj_hue": merged["hue"],
                    "obj_saturation": merged["saturation"],
                    "obj_value": merged["value"],
                    "fg_area": merged["area"],
                    "centroid_x": merged["cx"],
                    "centroid_y": merged["cy"],
                    "bg_r": merged["bg_r"],
                    "bg_g": merged["bg_g"],
                    "bg_b": merged["bg_b"],
                    "bg_clutter": merged["texture"] / 255.0,
                    "source": merged["source"],
                    "copied_from": merged["copied_from"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _findings(demo: Path, attributes: pd.DataFrame) -> list[dict[str, Any]]:
    info = json.loads((demo / "truth" / "synthetic.json").read_text())
    real_ids = attributes[attributes["role"] == "real"].set_index("path")["image_id"]
    copies = attributes[(attributes["role"] == "synthetic") & (attributes["source"] == "memorized")]
    findings = []
    for item in info["planted"]:
        check = item["check"]
        for cls in item["classes"] or [None]:
            f = {
                "check": check,
                "attribute": item["attribute"],
                "class": cls,
                "severity": SEVERITY[check],
                "score": SCORE[check],
                "reference_score": 0.3,
                "origin": item["origin"] if item["origin"] in ("introduced", "copied") else "unknown",
                "message": f"planted {item['knob']}" + (f" in {cls}" if cls else ""),
            }
            f["metric"] = "share"
            if check == "memorization":
                f["examples"] = [
                    {"synthetic": {"image_id": r.image_id, "path": r.path, "label": r.label},
                     "real": {"image_id": real_ids[r.copied_from], "path": r.copied_from, "label": r.label},
                     "exact": False, "hamming": 0, "cosine_distance": 0.004}
                    for r in copies.itertuples()
                ]
            findings.append(f)
    return findings


METRICS = dump(metrics_doc(
    fid=(87.4, [83.0, 92.1]), kid=(0.062, [0.051, 0.074]), cov=(0.41, [0.34, 0.48]), s2r=(0.52, [0.45, 0.59]),
    r2r=(0.94, [0.9, 0.97]), extractor=("mobilenet-v2", "official"),
    neighbours={"precision": (0.81, [0.74, 0.87]), "recall": (0.22, [0.16, 0.29]), "density": (0.93, [0.82, 1.04])},
    relative={"fid": (3.1, [2.5, 3.8]), "kid": (0.41, [0.33, 0.5]), "coverage": (0.45, [0.38, 0.52])}, p_value=0.002,
))


def demo_audit(demo: Path, out_dir: Path) -> AuditConfig:
    """Ingest the demo's synthetic and real sets into ``out_dir`` and write scan/score stand-ins."""
    config = load_config(
        None,
        {
            "name": "demo",
            "synthetic": str(demo / "synthetic"),
            "real": str(demo / "real"),
            "output_dir": str(out_dir),
        },
    )
    ingest.run(config)
    out = OutputPaths(out_dir)
    attributes = _attributes(pd.read_parquet(out.manifest), demo)
    write_parquet(out.attributes, attributes.drop(columns=["source", "copied_from"]))
    findings = _findings(demo, attributes)
    write_json(out.bias_json, dump(bias_doc(findings)))
    write_json(out.metrics_json, METRICS)
    return config
