"""synthscope: audit synthetic image datasets before anyone trains on them."""

__version__ = "0.1.0"
