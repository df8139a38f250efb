"""Logging and progress: one place decides how chatty synthscope is.

``progress`` draws a tqdm bar when stderr is a terminal. When it is not (a log file, CI, a
Prefect worker), redrawn bars would become kilobytes of carriage returns, nested bars worst
of all, so it logs plain lines instead: one when a step starts, one per 10% done, one at
the end with the time taken.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
log = logging.getLogger("synthscope")

# SYNTHSCOPE_PROGRESS: "0" silent (tests), "bars" or "lines" to force a style, else auto (TTY -> bars).
PROGRESS_ENV = "SYNTHSCOPE_PROGRESS"
LINE_STEP_PERCENT = 10


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    A handler bound to the stream of the first call keeps writing to it after it is replaced
    and closed (a second in-process CLI run, a test's captured stderr), which loses the line
    and prints a logging traceback instead."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201 - logging's own attribute
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(verbose: bool = False) -> None:
    if log.handlers:
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def progress_style() -> str:
    """'off', 'bars' or 'lines', from ``SYNTHSCOPE_PROGRESS`` and whether stderr is a terminal."""
    setting = os.environ.get(PROGRESS_ENV, "auto").strip().lower()
    if setting == "0":
        return "off"
    if setting in ("bars", "lines"):
        return setting
    isatty = getattr(sys.stderr, "isatty", None)
    return "bars" if isatty is not None and isatty() else "lines"


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Yield ``items`` while showing progress on stderr: a tqdm bar on a terminal, log lines
    otherwise (see the module docstring), nothing when ``SYNTHSCOPE_PROGRESS=0``."""
    style = progress_style()
    if style == "bars":
        yield from tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False)
    elif style == "lines":
        yield from _progress_lines(items, desc, total)
    else:
        yield from items


def _progress_lines(items: Iterable[T], desc: str, total: int | None) -> Iterator[T]:
    """Log ``desc``'s start, each ``LINE_STEP_PERCENT`` crossed and its end: at most 12 lines."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    start = time.perf_counter()
    log.info("%s: started (%s steps)", desc, total if total is not None else "unknown")
    done, next_percent = 0, LINE_STEP_PERCENT
    try:
        for item in items:
            yield item
            done += 1
            if total:
                percent = 100 * done // total
                if percent >= next_percent and done < total:
                    log.info("%s: %d%% (%d/%d)", desc, percent, done, total)
                    next_percent = (percent // LINE_STEP_PERCENT + 1) * LINE_STEP_PERCENT
    except GeneratorExit:  # the caller stopped early (a ``break``): still close the step
        pass
    log.info("%s: done, %d steps in %.1f s", desc, done, time.perf_counter() - start)
