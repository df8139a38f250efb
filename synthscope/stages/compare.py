"""Compare stage: the scans before and after debiasing -> ``debias.json``.

Reads the debias stage's ``augmented_manifest.parquet`` and ``augmented.json``, the
findings of the two re-scans the pipeline ran (``synthscope.stages.rescan``) and, for CAS,
the audit's and the augmented set's embeddings. Writes each finding's score before and
after, and CAS before and after on the score stage's real test split
(``synthscope.debias.evaluate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthscope.config import AuditConfig
from synthscope.datasets.image import load_images
from synthscope.documents import AugmentedDocument, DebiasDocument, read_document, write_document
from synthscope.documents.debias import CasChange
from synthscope.errors import StageInputError
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.stages.rescan import rescan_config
from synthscope.stages.stage import DATASETS, STORE, Stage

if TYPE_CHECKING:
    from synthscope.metrics.cas import LabelledSet


def _labelled(index: pd.DataFrame, features: np.ndarray, dhash: np.ndarray, role: str, model: str,
              size: int) -> LabelledSet:
    """One role's rows as CAS input: embeddings for the linear probe, pixels for the CNN; dhash and
    embeddings for leaving near copies of real test images out of training."""
    from synthscope.metrics.cas import LabelledSet

    mask = (index["role"] == role).to_numpy()
    rows = index[mask]
    if model == "cnn":
        x = load_images([Path(r) / p for r, p in zip(rows["root"], rows["path"], strict=True)], size)
    else:
        x = features[mask]
    return LabelledSet(rows["image_id"].astype(str).to_numpy(), rows["label"].astype(str).to_numpy(), x,
                       dhash=dhash[mask], emb=features[mask])


def cas_comparison(config: AuditConfig, after: AuditConfig, manifest: pd.DataFrame, role: str) -> CasChange | None:
    """CAS before and after on the score stage's real test split (None without a real set, or when
    either set is unlabelled: CAS needs class labels, and metrics.json's ``skipped`` says so).
    The CAS code is imported here: every stage process loads this module's declaration."""
    from synthscope.debias.evaluate import cas_before_after
    from synthscope.features.dhash import index_dhash
    from synthscope.features.load import load_embeddings
    from synthscope.metrics.cas import CasSettings
    from synthscope.metrics.fits import FitCache, fits_dir

    if config.real is None:
        return None
    p = config.params.score
    emb = load_embeddings(OutputPaths(config.output_dir), config.store_dir)
    if not all((emb.index.loc[emb.index["role"] == r, "label"].astype(str) != "").any() for r in ("synthetic", "real")):
        log.info("compare: CAS before/after not checked: needs class labels (a set is unlabelled)")
        return None
    settings = CasSettings.from_params(p, config.params.near_copy.memorization)  # the score stage's: its "before" fit is served from the cache
    emb_after = load_embeddings(OutputPaths(after.output_dir), config.store_dir)
    dhash = index_dhash(OutputPaths(config.output_dir), emb.index)
    dhash_after = index_dhash(OutputPaths(after.output_dir), emb_after.index)
    real = _labelled(emb.index, emb.features, dhash, "real", settings.model, p.cas_image_size)
    before = None if role == "real" else _labelled(emb.index, emb.features, dhash, "synthetic", settings.model,
                                                   p.cas_image_size)
    aug = _labelled(emb_after.index, emb_after.features, dhash_after, "synthetic", settings.model,
                    p.cas_image_size)
    aug_paths = emb_after.index.loc[emb_after.index["role"] == "synthetic", "path"]
    sources = aug_paths.map(manifest.set_index("path")["source_image_id"]).astype(str).to_numpy()
    return cas_before_after(before, aug, sources, real, settings, FitCache(fits_dir(config.store_dir)))


def _inputs(config: AuditConfig) -> tuple[AugmentedDocument, pd.DataFrame, pd.DataFrame, pd.DataFrame, AuditConfig]:
    """(augmented.json, augmented manifest, findings before, findings after, config of the after scan)."""
    paths = OutputPaths(config.output_dir)
    for needed, stage in ((paths.augmented_summary, "debias"), (paths.augmented_manifest, "debias")):
        if not needed.is_file():
            raise StageInputError(f"{needed} is missing; run `synthscope stage {stage}` first")
    before, after = rescan_config(config, "before"), rescan_config(config, "after")
    role = read_document(paths.augmented_summary, AugmentedDocument).role
    findings = []
    for side, cfg in (("before", before), ("after", after)):
        # Synthetic set repaired: the before scan is the audit's own (same images, same params); its
        # re-scan is run by the pipeline all the same, so that every re-scan stage has its outputs
        path = paths.findings if side == "before" and role == "synthetic" else OutputPaths(cfg.output_dir).findings
        if not path.is_file():
            raise StageInputError(f"{path} is missing; run `synthscope stage scan --rescan {side}` "
                                  f"(after ingest and features with --rescan {side})")
        findings.append(pd.read_parquet(path))
    return read_document(paths.augmented_summary, AugmentedDocument), pd.read_parquet(paths.augmented_manifest), *findings, after


def not_built(config: AuditConfig, summary: AugmentedDocument) -> DebiasDocument:
    """debias.json when the debias stage found nothing to repair: no set, no re-scans, no CAS to compare."""
    return DebiasDocument(
        method=summary.reasons[0] if summary.reasons else "nothing to debias",
        built=False, role=summary.role, attributes=[], target_shares=summary.target_shares,
        class_counts={}, deficit=summary.deficit, n_images=0, n_augmented=0,
        per_class_added={}, selection=summary.selection, findings=[],
        scan_reference="real" if config.real is not None else "none", cas=None, rescan_dir="",
        seed=summary.seed,
    )


def run(config: AuditConfig) -> list[Path]:
    paths = OutputPaths(config.output_dir)
    if not paths.augmented_summary.is_file():
        raise StageInputError(f"{paths.augmented_summary} is missing; run `synthscope stage debias` first")
    summary = read_document(paths.augmented_summary, AugmentedDocument)
    if not summary.built:
        path = write_document(paths.debias_json, not_built(config, summary))
        log.info("compare: %s", summary.reasons[0] if summary.reasons else "nothing to debias")
        return [path]
    from synthscope.debias.evaluate import compare_findings

    summary, manifest, before_findings, after_findings, after = _inputs(config)
    role = summary.role
    counts = manifest["label"].value_counts()
    added = manifest[(manifest["variant"] > 0) | (manifest["source_role"] != role)]
    shares = summary.target_shares
    result = DebiasDocument(
        method=(f"{role} set rebalanced to the {summary.target} "
                f"class distribution with the most realistic synthetic images (near-copies of real images and "
                f"near-duplicates dropped); transforms for {', '.join(summary.attributes) or 'no flagged attribute'}"),
        role=role,
        attributes=summary.attributes,
        target_shares=shares,
        class_counts={c: int(counts.get(c, 0)) for c in shares},
        deficit=summary.deficit,
        n_images=int(len(manifest)),
        n_augmented=int(len(added)),
        per_class_added={c: int((added["label"] == c).sum()) for c in shares},
        selection=summary.selection,
        findings=compare_findings(before_findings, after_findings),
        scan_reference="real" if role == "synthetic" and config.real is not None else "none",
        cas=cas_comparison(config, after, manifest, role),
        built=True,
        rescan_dir=str(after.output_dir),
        seed=summary.seed,
    )
    path = write_document(OutputPaths(config.output_dir).debias_json, result)
    log.info("compare: %d images (%d added); deficit %.2f -> %.2f", len(manifest), len(added),
             result.deficit.before, result.deficit.after)
    return [path]


STAGE = Stage(
    name="compare",
    run=run,
    # the re-scans before and after debias (``stages.rescan``), the augmented set, and the images
    # themselves (the CNN classifier, score.cas_model: cnn, reads pixels)
    reads=("manifest", "features_summary", "attributes", "augmented_summary", "augmented_manifest", "augmented_dir",
           "before:findings", "after:manifest", "after:features_summary", "after:attributes", "after:findings",
           DATASETS, STORE),
    writes=("debias_json",),
    params=("score", "near_copy.mem_hamming", "near_copy.mem_cosine"),  # the near-copy criterion for CAS leakage
    document=DebiasDocument,
    metrics=("debias_json",),
)
