"""What every stage document shares: the strict base model, the one number cleaner, Estimate.

Documents are modelled exactly as the stages write them: an unknown key is an error
(``extra="forbid"``), so a stage that writes something new must say so here and the
published JSON Schemas (``docs/schemas``) change with it. Fields with a default may be
absent from a file; :func:`dump` leaves out what a stage did not set, so files keep the
shape they had before the models existed.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from synthscope.io import JSONObject


class Document(BaseModel):
    """Base of every document part: strict keys, immutable, ``class`` and friends by alias."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True)


def json_number(x: Any, digits: int | None = 6) -> float | None:
    """A finite float rounded to ``digits`` (None: unrounded), or None for NaN, inf, None and non-numbers.

    The one place where scores become JSON numbers: NaN is not valid JSON, and six digits
    keep the files stable across platforms' last-bit differences.
    """
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x) if digits is None else round(float(x), digits)


class Estimate(Document):
    """A measured value with its 95% interval ``[lo, hi]`` and, where stated, how it was computed."""

    value: float
    ci95: tuple[float, float] | None = None
    method: str | None = None


class ExtractorRef(Document):
    """The network behind a set of numbers (what metrics.json and the report name)."""

    name: str
    weights: Literal["official", "custom"]  # docs/design.md: only a verified sha256 is official
    sha256: str | None = None


M = TypeVar("M", bound=BaseModel)


def extended(doc: BaseModel, model: type[M], /, **extra: Any) -> M:
    """``doc`` as ``model``, a subclass with more fields (a finding with its words for the report),
    set from what ``doc`` set plus ``extra``, so :func:`dump` leaves out the same keys."""
    return model(**{name: getattr(doc, name) for name in doc.model_fields_set}, **extra)


def dump(doc: BaseModel) -> JSONObject:
    """JSON-able dict of a document, keys a stage did not set left out (see the module docstring)."""
    return doc.model_dump(mode="json", exclude_unset=True)
