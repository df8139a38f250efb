"""Prefect's temporary API server, started while the audit's own code is still loading.

With no ``PREFECT_API_URL``, Prefect starts a temporary API server in a subprocess on the first
flow call and waits for it: 8 s here before the first task runs (12 s with a new Prefect
home; ``bench/audit_time.py``), a sixth of an audit of 1,000 photos. Of that, 3 s is importing
Prefect's server package into the calling process only to spawn the subprocess, and 4.7 s is
the subprocess's own start, which
can run on the second core while this process imports the stages, torch and Prefect's flow
engine. So the audit spawns the same server itself (the same uvicorn command and environment
as Prefect's ``SubprocessASGIServer``, on a free loopback port), loads its code, waits for the
server's health check, and runs the flow with ``PREFECT_API_URL`` pointing at it; the server is
stopped when the flow returns. Runs and artifacts land in ``PREFECT_HOME``'s database, as with
Prefect's own temporary server, so a later ``prefect server start`` (``make ui``) shows them.

The server is spawned first, before this process imports Prefect (1.1 s), so that it is up when
the code has loaded: it reads the same environment, profile and ``PREFECT_HOME`` as this process
(and, where Prefect was loaded first, is given its settings, ``temporary_settings`` included). With a server
configured (``PREFECT_API_URL`` in the environment, a test harness) nothing is started; one
named by a profile is found once Prefect is imported, and the spawned server is stopped.
If the server does not come up, the flow runs without it set and Prefect starts its own the
usual way (and reports what goes wrong).

The server's output is passed through to this process's stderr while it serves. What it prints
once :meth:`EarlyServer.stop` has asked it to stop goes to a file named in one INFO line: its
database services are cancelled mid-query on SIGTERM (Prefect's own temporary server is stopped
the same way), and sqlalchemy then logs "ERROR ... Exception during reset or similar" for a
connection that was being returned, in about one audit of two on a busy machine; that is not
the audit's error, and a clean audit's log has no ERROR line.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthscope.logs import log

# Prefect's own temporary server runs with these (``SubprocessASGIServer._run_uvicorn_command``)
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}

# The code every audit runs, imported while the server starts (importing it costs the same later).
PRELOAD = ("torch", "synthscope.features.extract", "synthscope.bias", "synthscope.metrics.suite",
           "synthscope.report.build")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_configured() -> bool:
    """Whether Prefect's settings name an API server or forbid a temporary one."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return bool(PREFECT_API_URL.value()) or not PREFECT_SERVER_EPHEMERAL_ENABLED.value()


def settings_environment() -> dict[str, str]:
    """Prefect's settings as set in this process (``temporary_settings`` included), as environment
    variables for the server: what Prefect's own temporary server is given."""
    from prefect.settings import get_current_settings

    return get_current_settings().to_environment_variables(exclude_unset=True)


class EarlyServer:
    """A temporary Prefect API server spawned now; :meth:`wait` for it before the first flow call and
    run the flow inside :meth:`settings`. ``url`` is None when a server is configured or none came up."""

    def __init__(self) -> None:
        # (this package's __init__, imported with this module, set Prefect's offline settings already)
        self.url: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.after_stop: list[bytes] = []  # what the server printed once asked to stop
        self.reader: threading.Thread | None = None
        loaded = "prefect.settings" in sys.modules  # (as under a test harness: asking it costs nothing)
        if os.environ.get("PREFECT_API_URL") or (loaded and server_configured()):
            return
        # Spawned before this process imports Prefect (1.1 s): the server is the audit's long pole
        # (`python bench/audit_time.py`), and it reads the same environment, profile and PREFECT_HOME.
        spec = importlib.util.find_spec("prefect")  # finds the package without importing it
        assert spec is not None and spec.origin is not None, "prefect is a dependency"
        port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).resolve().parents[1]),
             "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, **SERVER_ENV, **(settings_environment() if loaded else {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.reader = threading.Thread(target=self._pass_output, name="synthscope-prefect-server", daemon=True)
        self.reader.start()
        atexit.register(self.stop)
        self.url = f"http://127.0.0.1:{port}/api"
        if server_configured():  # by a profile, read with Prefect's settings
            self.stop()

    def wait(self) -> None:
        """Until the server answers its health check; on exit or timeout, stop it and fall back to Prefect's."""
        if self.process is None:  # a server is configured, or this one was stopped
            return
        from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        deadline = time.monotonic() + PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        log.info("prefect: temporary server on %s (no PREFECT_API_URL set)", self.url)
                        return
            time.sleep(0.1)
        log.warning("prefect: the temporary server on %s did not start (exit code %s); Prefect starts its own",
                    self.url, self.process.poll())
        self.stop()

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        """Prefect's settings pointing at this server while the block runs (unchanged without one)."""
        if self.url is None:
            yield
            return
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.url}):
            yield

    def _pass_output(self) -> None:
        """Copy the server's output to stderr while it serves; keep what it prints once stopping."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if self.stopping:
                self.after_stop.append(line)
            else:  # as text: a notebook's or a test's stderr has no binary buffer
                sys.stderr.write(line.decode(errors="replace"))
                sys.stderr.flush()

    def stop(self) -> None:
        if self.process is not None:
            self.stopping = True
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.reader is not None:
                self.reader.join(timeout=5)
            self.process = None
            self._keep_shutdown_output()
        self.url = None

    def _keep_shutdown_output(self) -> None:
        """Write what the server printed while stopping to a file, and say where, at INFO."""
        if not self.after_stop:
            return
        fd, name = tempfile.mkstemp(prefix="synthscope-prefect-server-", suffix=".log")
        with os.fdopen(fd, "wb") as out:
            out.writelines(self.after_stop)
        log.info("prefect: the temporary server printed %d line(s) while stopping (its shutdown, not the audit): %s",
                 len(self.after_stop), name)
        self.after_stop = []


def run_audit(**flow_kwargs: Any) -> Any:
    """Call the audit flow (``audit_flow_for()``) with ``flow_kwargs``, its temporary server started first."""
    server = EarlyServer()
    try:
        from synthscope.orchestration.audit import audit_flow_for

        flow = audit_flow_for()
        for module in PRELOAD:
            importlib.import_module(module)
        server.wait()
        with server.settings():
            try:
                return flow(**flow_kwargs)
            finally:
                if server.url is not None:
                    drain_prefect()
    finally:
        server.stop()


def drain_prefect(timeout: float = 30.0) -> None:
    """Send the logs and events Prefect still queues while the server is up.

    Why: its workers otherwise flush them at process exit, after the server is gone, and retry
    for about a minute (an audit measured 120 s instead of 50)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)
