"""Score, then flag: turn the checks' continuous scores into severities and findings.

Thresholds come only from ``params.yaml`` (``scan.<check>_levels``). A row whose
``flag_value`` is NaN was measured for information and is never flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.groups import with_ids
from synthscope.documents import json_number
from synthscope.documents.bias import BiasSummary, Finding, MemorizedExample, ObjectCoverage, Role
from synthscope.documents.stages import ExtractorInfo
from synthscope.params import ScanParams
from synthscope.schema import CHECKS, SEVERITIES, severity_rank


def severity_of(value: float, levels: tuple[float, ...]) -> str:
    """'info' below levels[0], else the highest of low/medium/high whose threshold is reached."""
    if value is None or not np.isfinite(value):
        return "info"
    reached = int(np.searchsorted(np.asarray(levels, dtype=np.float64), value, side="right"))
    return SEVERITIES[reached]


def flag(scores: pd.DataFrame, params: ScanParams) -> pd.DataFrame:
    """``scores`` plus ``severity`` and ``id`` columns, sorted most severe first (stable otherwise)."""
    out = with_ids(scores)
    out["severity"] = [
        severity_of(v, params.levels(c)) for c, v in zip(out["check"], out["flag_value"], strict=True)
    ]
    # copied: the real data shows the effect as strongly, so it is not the generator's doing.
    # Reported as low when the synthetic effect itself reaches the low level, never above.
    copied = (out["origin"] == "copied").to_numpy() & np.isfinite(out["flag_value"].to_numpy(dtype=np.float64))
    strong = np.array([np.isfinite(v) and v >= params.levels(c)[0] for c, v in zip(out["check"], out["score"], strict=True)],
                      dtype=bool)
    out.loc[copied, "severity"] = np.where(strong[copied], "low", "info")
    if "null_ok" in out:  # no reliable real-vs-real noise estimate: at most low (bias/null.py)
        capped = ~out["null_ok"].astype(bool) & (out["severity"].map(severity_rank) > severity_rank("low"))
        out.loc[capped, "severity"] = "low"
    rank = out["severity"].map(severity_rank)
    order = np.lexsort((out["check"].map(CHECKS.index).to_numpy(), -rank.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def findings(
    flagged: pd.DataFrame, examples: list[MemorizedExample] | None = None, max_examples: int = 0
) -> list[Finding]:
    """The rows above ``info``, as bias.json's findings.

    ``examples`` (``bias.examples.memorised_examples``, most certain first): each memorisation
    finding lists up to ``max_examples`` of them, those of its class for a per-class finding.
    """
    rows = flagged[flagged["severity"] != "info"]
    out = []
    for rec in rows.to_dict("records"):
        label = rec["class"]
        mine = None
        if rec["check"] == "memorization" and examples is not None:
            mine = [e for e in examples if label is None or e.synthetic.label == label][:max_examples]
        out.append(Finding(
            check=rec["check"], attribute=rec["attribute"], class_=label, severity=rec["severity"],
            score=json_number(rec["score"]), reference_score=json_number(rec["reference_score"]),
            origin=rec["origin"], message=rec["message"], metric=rec["metric"], id=rec["id"],
            **({} if mine is None else {"examples": mine}),  # only memorisation findings carry the key
        ))
    return out


def summary(flagged: pd.DataFrame, n_synthetic: int, n_real: int, extractor: ExtractorInfo,
            params: ScanParams | None = None,
            object_attributes: dict[Role, ObjectCoverage] | None = None) -> BiasSummary:
    """Counts by severity and check, the worst severity, and what the scan compared against
    (with ``params``: how many real-vs-real pairs calibrated it, ``null_pairs``)."""
    above = flagged[flagged["severity"] != "info"]
    worst = max((severity_rank(s) for s in flagged["severity"]), default=0)
    calibrated = params is not None and n_real >= 4 and "null_ok" in flagged
    # keys a caller did not give stay unset, so bias.json leaves them out (documents.dump)
    optional = ({} if params is None else {"null_pairs": params.null_splits if calibrated else 0}) | (
        {} if object_attributes is None else {"object_attributes": object_attributes})
    return BiasSummary(
        n_synthetic=int(n_synthetic),
        n_real=int(n_real),
        reference="real" if n_real else "none",
        n_measured=int(len(flagged)),
        n_findings=int(len(above)),
        by_severity={s: int((above["severity"] == s).sum()) for s in SEVERITIES[1:]},
        by_check={c: int((above["check"] == c).sum()) for c in CHECKS},
        max_severity=SEVERITIES[worst],
        extractor=extractor,
        **optional,
    )
