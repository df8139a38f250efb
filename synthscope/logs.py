"""Logging and progress bars: one place decides how chatty synthscope is."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
log = logging.getLogger("synthscope")


def setup_logging(verbose: bool = False) -> None:
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """A tqdm bar on stderr, silent when ``SYNTHSCOPE_PROGRESS=0`` (tests, CI logs)."""
    disable = os.environ.get("SYNTHSCOPE_PROGRESS", "1") == "0"
    yield from tqdm(items, desc=desc, total=total, disable=disable, file=sys.stderr, leave=False)
