"""Debias stage: findings + embeddings -> ``augmented/``, ``augmented_manifest.parquet``, ``debias.json``.

Plans from the scan's findings (``synthscope.debias.plan``), keeps the realistic, non-copied
synthetic images (``select``), rebalances the planned set to the target with transformed
variants or synthetic fill, and breaks the flagged shortcuts (``transforms``). The new
dataset is built in a temporary folder beside ``augmented/`` and swapped in; the inputs are
only read. Then ingest, features and scan re-run on it (``<output_dir>/debias_after``, same
real set and store; see :func:`scans_before_after` for the real-set case) and ``debias.json``
records each finding's score and CAS before and after, so the DVC stage and the Prefect task
do the same thing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.config import AuditConfig
from synthscope.datasets.image import load_rgb
from synthscope.debias.build import Item, build_items
from synthscope.debias.evaluate import cas_before_after, compare_findings
from synthscope.debias.plan import max_deficit
from synthscope.debias.transforms import apply_transforms, image_seed
from synthscope.errors import StageInputError
from synthscope.io import write_json, write_parquet
from synthscope.logs import log, progress
from synthscope.metrics.cas import LabelledSet
from synthscope.metrics.suite import cas_settings
from synthscope.params import DebiasParams
from synthscope.paths import OutputPaths

AFTER_DIR = "debias_after"
BEFORE_DIR = "debias_before"  # only when the real set is the one rebalanced


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _render(item: Item, params: DebiasParams, donors: list[Path]) -> tuple[bytes, str, list[dict[str, Any]]]:
    """One item -> (file bytes, extension, transform log). Untransformed sources are copied byte for byte."""
    if not item.attributes:
        return item.file.read_bytes(), item.file.suffix.lower(), []
    seed = image_seed(params.seed, item.image_id, item.variant)
    donor = None
    if "background" in item.attributes and params.background_source == "images" and donors:
        donor = load_rgb(donors[seed % len(donors)])
    rgb, steps = apply_transforms(load_rgb(item.file), item.attributes, seed, params, donor)
    if not steps and item.variant == 0:
        return item.file.read_bytes(), item.file.suffix.lower(), []
    return _png(np.ascontiguousarray(rgb)), ".png", steps


def write_augmented(items: list[Item], params: DebiasParams, donors: list[Path], target: Path) -> pd.DataFrame:
    """Write every item under a temporary folder beside ``target``, then swap it in; return the manifest."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    rows = []
    try:
        for item in progress(items, "debias", total=len(items)):
            data, ext, steps = _render(item, params, donors)
            rel = f"{item.label}/{item.source_role}_{item.image_id[:16]}_v{item.variant}{ext}"
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            rows.append({
                "image_id": digest, "role": "augmented", "label": item.label, "path": rel,
                "source_image_id": item.image_id, "source_role": item.source_role,
                "source_path": item.source_path, "variant": item.variant,
                "transforms": json.dumps(steps, sort_keys=True), "sha256": digest,
            })
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return pd.DataFrame(rows).sort_values("path", kind="mergesort").reset_index(drop=True)


def rescan(config: AuditConfig, synthetic: Path, real: Path | None, subdir: str) -> AuditConfig:
    """Ingest, features and scan of ``synthetic`` against ``real`` (same store) in ``output_dir/subdir``."""
    from synthscope.stages import features, ingest, scan

    sub = replace(config, name=f"{config.name}-{subdir}", synthetic=synthetic, real=real,
                  output_dir=config.output_dir / subdir, source=None)
    for stage in (ingest, features, scan):
        stage.run(sub)
    return sub


def scans_before_after(config: AuditConfig, role: str, augmented: Path) -> tuple[pd.DataFrame, AuditConfig]:
    """(findings before, config of the after scan).

    Synthetic set repaired: the audit's own scan before; after, the augmented set against the
    same real set. Real set filled: a scan against the real set is meaningless after (the
    augmented set contains it: every real image would read as memorised, and the balanced
    classes as imbalanced against the real shares), so both sides are scanned without a
    reference: the real set alone before, the augmented set alone after.
    """
    if role == "real":
        assert config.real is not None
        before = rescan(config, config.real, None, BEFORE_DIR)
        after = rescan(config, augmented, None, AFTER_DIR)
        return pd.read_parquet(OutputPaths(before.output_dir).findings), after
    after = rescan(config, augmented, config.real, AFTER_DIR)
    return pd.read_parquet(OutputPaths(config.output_dir).findings), after


def _labelled(index: pd.DataFrame, features: np.ndarray, role: str, model: str, size: int) -> LabelledSet:
    from synthscope.stages.score import load_images

    mask = (index["role"] == role).to_numpy()
    rows = index[mask]
    x = load_images(rows, size) if model == "cnn" else features[mask]
    return LabelledSet(rows["image_id"].astype(str).to_numpy(), rows["label"].astype(str).to_numpy(), x)


def cas_comparison(config: AuditConfig, after: AuditConfig, manifest: pd.DataFrame, role: str) -> dict | None:
    """CAS before and after on the score stage's real test split (None without a real set)."""
    from synthscope.features.load import load_embeddings

    if config.real is None:
        return None
    p = config.params.score
    settings = cas_settings(p)
    emb = load_embeddings(OutputPaths(config.output_dir), config.store_dir)
    emb_after = load_embeddings(OutputPaths(after.output_dir), config.store_dir)
    real = _labelled(emb.index, emb.features, "real", settings.model, p.cas_image_size)
    before = None if role == "real" else _labelled(emb.index, emb.features, "synthetic", settings.model,
                                                   p.cas_image_size)
    aug = _labelled(emb_after.index, emb_after.features, "synthetic", settings.model, p.cas_image_size)
    aug_paths = emb_after.index.loc[emb_after.index["role"] == "synthetic", "path"]
    sources = aug_paths.map(manifest.set_index("path")["source_image_id"]).astype(str).to_numpy()
    return cas_before_after(before, aug, sources, real, settings)


def run(config: AuditConfig) -> list[Path]:
    paths = OutputPaths(config.output_dir)
    for needed, stage in ((paths.attributes, "features"), (paths.findings, "scan")):
        if not needed.is_file():
            raise StageInputError(f"{needed} is missing; run `synthscope stage {stage}` first")
    from synthscope.features.load import load_embeddings

    params = config.params.debias
    attributes = pd.read_parquet(paths.attributes)
    findings = pd.read_parquet(paths.findings)
    emb = load_embeddings(paths, config.store_dir)
    plan, items, selection = build_items(attributes, emb.index, emb.features, findings, params,
                                         config.params.scan, config.params.score.realism_k)
    # Background donors are real images only: the synthetic set's backgrounds carry its bias.
    donors = sorted({Path(r) / p for r, p in emb.index.loc[emb.index["role"] == "real", ["root", "path"]]
                     .itertuples(index=False)})
    manifest = write_augmented(items, params, donors, paths.augmented_dir)
    write_parquet(paths.augmented_manifest, manifest)
    before_findings, after = scans_before_after(config, plan.role, paths.augmented_dir)
    after_findings = pd.read_parquet(OutputPaths(after.output_dir).findings)
    counts = manifest["label"].value_counts()
    added = manifest[(manifest["variant"] > 0) | (manifest["source_role"] != plan.role)]
    result = {
        "method": (f"{plan.role} set rebalanced to the {params.target if isinstance(params.target, str) else 'given'} "
                   f"class distribution with the most realistic synthetic images (near-copies of real images and "
                   f"near-duplicates dropped); transforms for {', '.join(plan.attributes) or 'no flagged attribute'}"),
        "role": plan.role,
        "attributes": list(plan.attributes),
        "target_shares": {c: round(s, 6) for c, s in plan.target_shares.items()},
        "class_counts": {c: int(counts.get(c, 0)) for c in plan.target_shares},
        "deficit": {"before": round(plan.deficit_before, 6), "after": round(max_deficit(counts, plan.target_shares), 6)},
        "n_images": int(len(manifest)),
        "n_augmented": int(len(added)),
        "per_class_added": {c: int((added["label"] == c).sum()) for c in plan.target_shares},
        "selection": selection,
        "findings": compare_findings(before_findings, after_findings),
        "scan_reference": "real" if plan.role == "synthetic" and config.real is not None else "none",
        "cas": cas_comparison(config, after, manifest, plan.role),
        "rescan_dir": str(after.output_dir),
        "seed": params.seed,
    }
    write_json(paths.debias_json, result)
    log.info("debias: %d images (%d added) in %s; deficit %.2f -> %.2f", len(manifest), len(added),
             paths.augmented_dir, result["deficit"]["before"], result["deficit"]["after"])
    return [paths.augmented_dir, paths.augmented_manifest, paths.debias_json]
