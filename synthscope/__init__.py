"""synthscope: audit synthetic image datasets before anyone trains on them."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["compare", "__version__"]


def __getattr__(name: str) -> Any:
    """``synthscope.compare`` (the public Python API), loaded on first use: importing one
    submodule (``synthscope.metrics``) does not pay for the API's imports."""
    if name == "compare":
        from synthscope.api import compare

        return compare
    raise AttributeError(f"module 'synthscope' has no attribute {name!r}")
