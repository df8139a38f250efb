"""The configs the pipeline re-scans with around the debias stage.

Judging a debiased set means scanning it: a stage that reads ``after:findings`` (compare)
makes the Prefect flow and ``dvc.yaml`` run ingest, features and scan with :func:`rescan_config` (``synthscope stage NAME --rescan SIDE``), into
``<output_dir>/debias_before`` and ``debias_after``, sharing the audit's feature store; then
the ``compare`` stage reads both scans. No stage runs another.

- Synthetic set repaired: before is the audit's own scan (synthetic against real; its
  outputs are copied into ``debias_before``, :func:`stand_in`); after is the augmented set
  against the same real set.
- Real set filled: the augmented set contains the real one, so a scan against it is
  meaningless (every real image would read as memorised, balanced classes as imbalanced
  against the real shares); both sides are scanned without a reference: the real set alone
  before, the augmented set alone after.
- No set built (``augmented.json`` ``built: false``): both sides are the audit's own data with
  its own params, so each re-scan stage copies the audit's own outputs (:func:`stand_in`; their
  documents say ``stand_in: "../<file>"``) instead of ingesting and scanning the same images
  again. The Prefect flow and ``dvc repro`` run the same stage function, so both write the same.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from synthscope.config import AuditConfig
from synthscope.documents import DOCUMENTS, AugmentedDocument, read_document, write_document
from synthscope.errors import ConfigError, DataError, StageInputError
from synthscope.io import atomic_path, read_json
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.stages.stage import SIDES, STORE, output_path


def rescanned() -> tuple[str, ...]:
    """The stages run on each side: those the ``before:``/``after:`` reads need (``synthscope.pipeline``)."""
    from synthscope.pipeline import pipeline

    return pipeline().rescanned


def derive_config(config: AuditConfig, side: str, role: str, built: bool = True, labelled: bool = True) -> AuditConfig:
    """The audit config of one side, for a debias plan that rebalanced ``role`` (synthetic|real).
    With no augmented set ``built`` both sides, and before a repaired synthetic set the before side,
    are the audit itself (same sets, same params), and the config says so (``stands_in_for``): its
    re-scan stages copy the audit's outputs. An
    unlabelled augmented set is ingested with ``ingest.labels: none`` (its index has no labels)."""
    out = OutputPaths(config.output_dir)
    if not built or (side == "before" and role == "synthetic"):  # the audit's own sets and params
        return replace(config, name=f"{config.name}-debias_{side}", output_dir=out.rescan_dir(side), source=None,
                       stands_in_for=Path(config.output_dir))
    if side == "after" and built and not labelled:
        ingest = replace(config.params.ingest, labels="none")
        config = replace(config, params=replace(config.params, ingest=ingest))
    if side == "after" and built:
        synthetic, real = out.augmented_index, (config.real if role == "synthetic" else None)
    elif role == "real":
        synthetic, real = config.real, None
    else:
        synthetic, real = config.synthetic, config.real
    assert synthetic is not None  # a real-set plan exists only with a real set
    return replace(config, name=f"{config.name}-debias_{side}", synthetic=synthetic, real=real,
                   output_dir=out.rescan_dir(side), source=None)


def rescan_config(config: AuditConfig, side: str) -> AuditConfig:
    """:func:`derive_config` with the role the debias stage wrote to ``augmented.json``."""
    if side not in SIDES:
        raise ConfigError(f"--rescan: expected one of {', '.join(SIDES)}, got {side!r}")
    from synthscope.completion import problem

    summary = OutputPaths(config.output_dir).augmented_summary
    if not summary.is_file():
        raise StageInputError(f"{summary} is missing; run `synthscope stage debias` first")
    if (why := problem(config.output_dir, "debias")) is not None:  # the re-scans read augmented/ and its summary
        raise StageInputError(why)
    doc = read_document(summary, AugmentedDocument)
    return derive_config(config, side, doc.role, doc.built, not doc.not_checked)


def needed_sides(config: AuditConfig) -> tuple[str, ...]:
    """The re-scans ``compare`` reads (the pipeline runs both; the completion check asks only for
    these): none when debias built no set; only after when the synthetic
    set was repaired (before is then the audit's own scan: same images, same params); both when the
    real set was filled. Before the debias stage has run, or when its summary cannot be read (the
    completion check then names the stage to re-run): both."""
    summary = OutputPaths(config.output_dir).augmented_summary
    if not summary.is_file():
        return SIDES
    try:
        doc = read_document(summary, AugmentedDocument)
    except DataError:
        return SIDES
    if doc is None or not doc.built:
        return ()
    return ("after",) if doc.role == "synthetic" else SIDES


def stand_in(stage: str, config: AuditConfig) -> list[Path]:
    """Run ``stage`` of a re-scan whose data did not change (``config.stands_in_for`` set): copy the
    audit's own outputs of ``stage`` into the re-scan's folder, its document marked ``stand_in``.

    Why a copy is the re-scan's result: the re-scan would read the same datasets with the same
    params and the same feature store. The audit's outputs must be whole (their completion record)."""
    from synthscope.completion import problem
    from synthscope.pipeline import get, pipeline

    source, target = Path(config.stands_in_for or ""), Path(config.output_dir)
    if not config.stands_in_for or stage not in rescanned():
        raise ConfigError(f"{stage}: not a re-scan that stands in for the audit's own outputs")
    if (why := problem(source, stage)) is not None:
        raise StageInputError(why)
    declared = get(pipeline(), stage)
    spec = next((s for _, s in DOCUMENTS if s.model is declared.document), None)
    written = []
    for name in declared.writes:
        if name == STORE:  # shared: the audit's rows are already there
            continue
        src, dst = output_path(source, name), output_path(target, name)
        if not src.is_file():
            raise StageInputError(f"{src} is missing; run `synthscope stage {stage}` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if spec is not None and src.name == spec.file:
            data = read_json(src) | {"stand_in": f"../{src.name}"}
            write_document(dst, declared.document.model_validate(data))
        else:
            with atomic_path(dst) as tmp:
                shutil.copyfile(src, tmp)
        written.append(dst)
    log.info("%s %s: debias built no set, so the audit's own outputs stand in (copied from %s)",
             stage, target.name, source)
    return written
