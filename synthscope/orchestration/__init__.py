"""Prefect adapters over ``synthscope.stages``: tasks, the audit flow and its deployment.

The only part of synthscope that imports Prefect; nothing else in the package imports
this one (the CLI does, lazily, for ``audit`` and ``serve``). It lives inside the package so
that an installed wheel claims no generic top-level names such as ``tasks`` or ``flows``;
the repository's ``flows/`` folder keeps thin entry files for ``prefect deploy``.
"""
