"""Drift of the incoming batch from the training data: the audit's drift check, sides renamed.

Each attribute group (colour, size, location, background, resolution, quality) and the
embeddings get the two-sample classifier AUC of ``synthscope.bias.drift`` with its messages,
the sides named "incoming" and "training", and are flagged with ``scan.drift_levels`` like
the audit's drift findings. Incoming images usually carry no label: only whole-set rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData, ScoreRow, score_frame
from synthscope.bias.drift import embedding_row, group_rows
from synthscope.bias.flag import severity_of
from synthscope.bias.masked import confident, coverage, coverage_sentence
from synthscope.documents import json_number
from synthscope.documents.monitor import DriftEntry
from synthscope.params import ScanParams
from synthscope.schema import ATTRIBUTE_GROUPS, DRIFT_GROUPS

SIDES = ("incoming", "training")


def drift_rows(incoming: pd.DataFrame, training: pd.DataFrame, inc_emb: np.ndarray | None,
               train_emb: np.ndarray | None, params: ScanParams) -> pd.DataFrame:
    """Score rows (``bias.base.SCORE_COLUMNS``) plus ``severity``, one per group and one for the embeddings."""
    rows: list[ScoreRow] = []
    for group in DRIFT_GROUPS:
        inc, train = (confident(incoming, params), confident(training, params)) if group in ATTRIBUTE_GROUPS \
            else (incoming, training)
        measured = ""
        if group in ATTRIBUTE_GROUPS:
            measured = (f"; {coverage_sentence(coverage(incoming, params), SIDES[0])}, "
                        f"{coverage_sentence(coverage(training, params), SIDES[1])}")
        row = group_rows(group, None, inc, train, params, measured, comparisons=len(DRIFT_GROUPS), sides=SIDES)
        if row is not None:
            rows.append(row)
    data = ScanData(incoming, training, inc_emb, train_emb)
    overall = embedding_row(data, params, rows, sides=SIDES)
    frame = score_frame(rows + ([overall] if overall else []))
    frame["severity"] = [severity_of(v, params.drift_levels) for v in frame["flag_value"]]
    return frame


def drift_entries(frame: pd.DataFrame) -> list[DriftEntry]:
    """monitor.json's ``drift`` list: every group measured (info included), in DRIFT_GROUPS order."""
    return [
        DriftEntry(attribute=rec["attribute"] or "embeddings", severity=rec["severity"],
                   auc=json_number(rec["score"]), flag_value=json_number(rec["flag_value"]), message=rec["message"])
        for rec in frame.to_dict("records")
    ]
