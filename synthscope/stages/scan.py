"""Scan stage: attributes + embeddings -> ``bias.json`` and ``bias_findings.parquet``.

The only code of the scan that touches files; the checks themselves live in
``synthscope.bias`` and see frames and arrays only.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from synthscope.config import AuditConfig
from synthscope.documents import BiasDocument, write_document
from synthscope.errors import StageInputError
from synthscope.io import write_parquet
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.stages.stage import STORE, Stage


def run(config: AuditConfig) -> list[Path]:
    """Score every check, flag with ``params.scan`` and write both outputs atomically.

    The checks are imported here, not at the top: every stage process loads every stage's
    declaration, and the scan's dependencies (scikit-learn, torch) cost seconds to import."""
    from synthscope.bias import findings, not_checked, scan, summary
    from synthscope.bias.examples import drift_examples, memorised_examples
    from synthscope.bias.groups import group_findings
    from synthscope.bias.inputs import scan_data
    from synthscope.bias.masked import object_coverage

    paths = OutputPaths(config.output_dir)
    if not paths.attributes.is_file():
        raise StageInputError(f"{paths.attributes} is missing; run `synthscope stage features` first")
    started = time.perf_counter()
    attributes = pd.read_parquet(paths.attributes)
    from synthscope.features.load import load_embeddings  # the features stage owns the store layout

    embeddings = load_embeddings(paths, config.store_dir)
    data = scan_data(attributes, embeddings.index, embeddings.features)
    params = config.params.scan
    near_copy = config.params.near_copy
    flagged = scan(data, params, near_copy)
    n_real = 0 if data.real is None else len(data.real)
    result = BiasDocument(
        findings=findings(flagged, memorised_examples(data, near_copy.memorization), params.mem_examples),
        groups=group_findings(flagged),
        not_checked=not_checked(data),
        summary=summary(flagged, len(data.synthetic), n_real, embeddings.extractor, params,
                        object_coverage(data, params)),
        drift_examples=drift_examples(data, params, params.drift_examples),
    )
    for item in result.not_checked:
        log.info("scan: %s: %s", item.what, item.reason)
    write_document(paths.bias_json, result)
    write_parquet(paths.findings, flagged)
    log.info(
        "scan: %d findings above info from %d measurements in %.1f s",
        result.summary.n_findings,
        len(flagged),
        time.perf_counter() - started,
    )
    return [paths.bias_json, paths.findings]


STAGE = Stage(
    name="scan",
    run=run,
    reads=("attributes", "features_summary", STORE),
    writes=("bias_json", "findings"),
    params=("scan", "near_copy"),
    document=BiasDocument,
)
