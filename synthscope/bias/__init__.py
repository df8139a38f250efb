"""The bias scan: each check a small class in ``CHECKS``; scores first, then flags.

Importing this package registers every check (consistency, shortcut, imbalance,
diversity, duplicates, memorization, drift).
"""

from synthscope.bias import consistency, diversity, drift, duplicates, imbalance, shortcut  # noqa: F401
from synthscope.bias.base import CHECKS, SCORE_COLUMNS, ScanData
from synthscope.bias.flag import findings, flag, summary
from synthscope.bias.scan import not_checked, scan, score_all

__all__ = ["CHECKS", "SCORE_COLUMNS", "ScanData", "findings", "flag", "not_checked", "scan", "score_all", "summary"]
