"""Entry file for Prefect's CLI: ``prefect deploy flows/audit.py:audit_flow`` (or ``:audit_flow_for``).

The flow itself is ``synthscope.orchestration.audit``, installed with the package. This
folder is not packaged (and has no ``__init__.py``), so an installed synthscope claims no
top-level ``flows`` module and a user's own ``flows`` package is never shadowed.
"""

from synthscope.orchestration.audit import audit_flow, audit_flow_for

__all__ = ["audit_flow", "audit_flow_for"]
