"""synthscope: audit synthetic image datasets before anyone trains on them."""

__version__ = "0.1.0"

from synthscope.api import compare  # noqa: E402  (the public Python API: synthscope.compare(synthetic, real))

__all__ = ["compare", "__version__"]
