"""Debias stage: findings + embeddings -> ``augmented/``, ``augmented_manifest.parquet``, ``augmented.json``.

Plans from the scan's findings (``synthscope.debias.plan``), keeps the realistic, non-copied
synthetic images (``select``), rebalances the planned set to the target with transformed
variants or synthetic fill, and breaks the flagged shortcuts (``transforms``). The new
dataset is built in a temporary folder beside ``augmented/`` and swapped in
(``synthscope.io.atomic_dir``); the inputs are only read. ``augmented.json`` is the
manifest's header: the plan (which set, which attributes, target shares, deficits) and the
selection counts.

Judging the result is not this stage's job: the pipeline (the Prefect flow, ``dvc.yaml``)
re-runs ingest, features and scan on the augmented set (``synthscope.stages.rescan``), and
the ``compare`` stage writes ``debias.json`` from the scans before and after.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image

from synthscope.config import AuditConfig
from synthscope.datasets.image import load_rgb
from synthscope.debias.plan import debias_reasons, max_deficit
from synthscope.documents import AugmentedDocument, write_document
from synthscope.documents.debias import Deficit
from synthscope.errors import StageInputError
from synthscope.io import atomic_dir, write_parquet
from synthscope.logs import log, progress
from synthscope.names import folder_name
from synthscope.params import DebiasParams
from synthscope.paths import AUGMENTED_INDEX, OutputPaths
from synthscope.stages.stage import DATASETS, STORE, Stage

if TYPE_CHECKING:  # imported where they run: every stage process loads this module's declaration,
    # and the transforms' and selection's dependencies (torch, torchvision, scikit-learn) cost seconds
    from synthscope.debias.build import Item
    from synthscope.debias.transforms import TransformRecord

AUGMENTED_COLUMNS = ["image_id", "role", "label", "path", "source_image_id", "source_role", "source_path", "variant",
                     "transforms", "sha256"]


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _render(item: Item, params: DebiasParams, donors: list[Path]) -> tuple[bytes, str, list[TransformRecord]]:
    """One item -> (file bytes, extension, transform log). Untransformed sources are copied byte for byte."""
    from synthscope.debias.transforms import apply_transforms, image_seed

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
    """Write every item into a fresh folder swapped in for ``target``; return the manifest.

    A class's folder is ``names.folder_name(label)``: the label itself when it is an ordinary
    name, a slug plus a hash otherwise (``..``, ``/tmp/x``, ``CON``): labels are data, never
    paths. ``index.parquet`` in the folder maps each file to its true label (``path,label``:
    the re-scans ingest it as a manifest).
    """
    rows = []
    with atomic_dir(target) as tmp:
        for item in progress(items, "debias", total=len(items)):
            data, ext, steps = _render(item, params, donors)
            folder = folder_name(item.label, taken=frozenset({AUGMENTED_INDEX}))  # a class named index.parquet
            rel = f"{folder}/{item.source_role}_{item.image_id[:16]}_v{item.variant}{ext}"
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
        frame = pd.DataFrame(rows, columns=AUGMENTED_COLUMNS).sort_values("path", kind="mergesort")
        frame[["path", "label"]].to_parquet(tmp / AUGMENTED_INDEX, index=False)
    return frame.reset_index(drop=True)


def run(config: AuditConfig) -> list[Path]:
    paths = OutputPaths(config.output_dir)
    for needed, stage in ((paths.attributes, "features"), (paths.findings, "scan")):
        if not needed.is_file():
            raise StageInputError(f"{needed} is missing; run `synthscope stage {stage}` first")
    from synthscope.debias.build import build_items
    from synthscope.features.load import load_embeddings

    params = config.params.debias
    emb = load_embeddings(paths, config.store_dir)
    plan, items, selection = build_items(pd.read_parquet(paths.attributes), emb.index, emb.features,
                                         pd.read_parquet(paths.findings), params, config.params.scan,
                                         config.params.score.realism_k, config.params.near_copy)
    findings = pd.read_parquet(paths.findings)
    reasons = debias_reasons(findings, plan, params, config.params.scan.imbalance_levels[0])
    built = bool(reasons)
    labelled = (emb.index.loc[emb.index["role"] == plan.role, "label"].astype(str) != "").any()
    if not built:  # nothing flagged: an empty augmented/ (no images), and augmented.json says why
        reasons = [f"no finding at or above debias.min_severity ({params.min_severity}) and no class misses "
                   "its target: nothing to debias, no augmented set built"]
        items = []
    # Background donors are real images only: the synthetic set's backgrounds carry its bias.
    donors = sorted({Path(r) / p for r, p in emb.index.loc[emb.index["role"] == "real", ["root", "path"]]
                     .itertuples(index=False)})
    manifest = write_augmented(items, params, donors, paths.augmented_dir)
    write_parquet(paths.augmented_manifest, manifest)
    counts = manifest["label"].value_counts()
    summary = AugmentedDocument(
        role=plan.role,
        attributes=list(plan.attributes),
        target=params.target if isinstance(params.target, str) else "given",
        target_shares={c: round(s, 6) for c, s in plan.target_shares.items()},
        deficit=Deficit(before=round(plan.deficit_before, 6),
                        after=round(max_deficit(counts, plan.target_shares) if built else plan.deficit_before, 6)),
        selection=selection,
        seed=params.seed,
        not_checked=[] if labelled else [
            "rebalancing: not checked: needs class labels (the set is unlabelled; the realism selection ran)"],
        built=built,
        reasons=reasons,
    )
    write_document(paths.augmented_summary, summary)
    if built:
        log.info("debias: %d images in %s; deficit %.2f -> %.2f", len(manifest), paths.augmented_dir,
                 summary.deficit.before, summary.deficit.after)
    else:
        log.info("debias: %s", reasons[0])
    for line in summary.not_checked:
        log.info("debias: %s", line)
    return [paths.augmented_manifest, paths.augmented_summary, paths.augmented_dir]


STAGE = Stage(
    name="debias",
    run=run,
    reads=("manifest", "attributes", "features_summary", "findings", DATASETS, STORE),  # real images: background donors
    writes=("augmented_manifest", "augmented_summary", "augmented_dir"),
    # the scan's low imbalance level decides the set to rebalance; score.realism_k ranks the candidates
    params=("debias", "scan.imbalance_levels", "near_copy", "score.realism_k"),
    document=AugmentedDocument,
)
