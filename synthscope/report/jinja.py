"""The Jinja environment every report page is rendered with: autoescaping, strict undefined, ``num``.

A module of its own that names no template, so a page's code depends only on its own
templates (``synthscope.codedeps`` lists the templates a module names): the monitor page
does not re-run when the audit report's template changes.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("synthscope.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    return env


def fmt_number(x: Any, digits: int = 4) -> str:
    """Compact number formatting for tables: 4 significant digits, '—' for missing."""
    if x is None:
        return "—"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:.{digits}g}"
