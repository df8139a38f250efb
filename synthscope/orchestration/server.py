"""Start Prefect's temporary server while the audit's own code is still loading.

With no ``PREFECT_API_URL``, Prefect starts a temporary API server in a subprocess on the first
flow call and waits for it: 7-13 s here (``bench/audit_time.py --only prefect``), a third of a
demo audit. The subprocess's start-up is its own CPU work, so it can run on the second core
while this process imports the stages, torch and Prefect's flow engine (3-5 s). The flow then
finds the server running (``SubprocessASGIServer`` is one instance per process and port) and
starts at once. With a server configured nothing is started.
"""

from __future__ import annotations

import contextvars
import importlib
import threading
from typing import Any


def _start() -> None:
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return  # a server the user runs, or none allowed: Prefect's own call decides
    SubprocessASGIServer().start()


class EarlyServer:
    """The temporary server's start on a background thread; :meth:`wait` before the first flow call.

    A start that fails here is not an error of its own: the flow's first call starts the server
    again the usual way and reports what goes wrong.
    """

    def __init__(self) -> None:
        self.error: BaseException | None = None
        # the caller's context: Prefect's settings (a test harness's API URL) live in context variables
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="prefect-server-start",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _start()
        except BaseException as exc:  # noqa: BLE001 - kept for wait(); the flow call retries and reports
            self.error = exc

    def wait(self) -> None:
        """Block until the start has finished (or failed): two starts at once would race for the instance."""
        self._thread.join()


# The code every audit runs, imported while the server starts (importing it costs the same later).
PRELOAD = ("torch", "synthscope.features.extractors", "synthscope.stages.features", "synthscope.bias",
           "synthscope.metrics.suite", "synthscope.report.build")


def run_audit(**flow_kwargs: Any) -> Any:
    """Call the audit flow (``audit_flow_for()``) with ``flow_kwargs``, its temporary server started first."""
    server = EarlyServer()
    from synthscope.orchestration.audit import audit_flow_for

    flow = audit_flow_for()
    for module in PRELOAD:
        importlib.import_module(module)
    server.wait()
    return flow(**flow_kwargs)
