"""Prefect adapters over ``synthscope.stages``: tasks, the audit flow and its deployment.

The only part of synthscope that imports Prefect; nothing else in the package imports
this one (the CLI does, lazily, for ``audit`` and ``serve``). It lives inside the package so
that an installed wheel claims no generic top-level names such as ``tasks`` or ``flows``;
the repository's ``flows/`` folder keeps thin entry files for ``prefect deploy``.
"""

import os as _os

# Offline and quiet by default, before Prefect is first imported (its settings are read from the
# environment then): without these, every temporary server's telemetry service tries to reach
# Prefect's servers and, offline, logs "ERROR | prefect.server.services.telemetry - Failed to send
# telemetry" into every audit's log. A user's own setting wins (setdefault).
for _name, _value in (("PREFECT_SERVER_ANALYTICS_ENABLED", "false"), ("DO_NOT_TRACK", "1"),
                      ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")):
    _os.environ.setdefault(_name, _value)
