"""Reusable typed bounds for params fields: each type carries its range in words.

A params field is one annotated line (``batch_size: PositiveInt = 32``); pydantic enforces
the bound when a section is built, and :func:`range_text` finds the words for the one-line
error (``params.features.batch_size: 0 is out of range; use an integer >= 1``). Floats are
strict (a string or bool is not a number) and finite everywhere: ``.nan`` or ``.inf`` in
``params.yaml`` would otherwise pass every comparison silently (NaN) or switch a check off.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AllowInfNan, Strict


@dataclass(frozen=True)
class Range:
    """What a bounded field accepts, in words (pydantic ignores this marker; the error message reads it)."""

    text: str


def int_range(low: int, high: int | None = None) -> Any:
    """A strict integer in [low, high] (no upper bound when ``high`` is None)."""
    words = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    bounds = (Ge(low),) if high is None else (Ge(low), Le(high))
    return Annotated[int, Strict(), *bounds, Range(words)]


def number_range(low: float | None = None, high: float | None = None, *, open_low: bool = False,
                 open_high: bool = False) -> Any:
    """A strict finite number between ``low`` and ``high`` (an int is accepted and stored as float)."""
    bounds: list[Any] = []
    if low is not None:
        bounds.append(Gt(low) if open_low else Ge(low))
    if high is not None:
        bounds.append(Lt(high) if open_high else Le(high))
    if low is not None and high is not None:
        words = f"a finite number in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
    elif low is not None:
        words = f"a finite number {'>' if open_low else '>='} {low:g}"
    elif high is not None:
        words = f"a finite number {'<' if open_high else '<='} {high:g}"
    else:
        words = "a finite number"
    return Annotated[float, Strict(), AllowInfNan(False), *bounds, Range(words)]


NonNegativeInt = int_range(0)  # counts that may be zero (examples shown, workers: 0 = in-process)
PositiveInt = int_range(1)  # sizes, repetitions, neighbour counts
Seed = int_range(0)  # numpy seeds must be >= 0
Finite = number_range()
NonNegative = number_range(0.0)
Positive = number_range(0.0, open_low=True)
Fraction = number_range(0.0, 1.0)  # shares, probabilities, cosine and severity thresholds
HammingBits = int_range(0, 64)  # distance between two 64-bit dhashes


def range_text(hint: Any) -> str | None:
    """The words of the first :class:`Range` in ``hint`` (an Annotated type, or a tuple/dict/union of them)."""
    if typing.get_origin(hint) is Annotated:
        for meta in hint.__metadata__:
            if isinstance(meta, Range):
                return meta.text
    for arg in typing.get_args(hint):
        if arg is not type(None) and (found := range_text(arg)) is not None:
            return found
    return None
