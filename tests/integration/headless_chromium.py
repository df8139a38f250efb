"""Open a local HTML file in headless Chromium over the DevTools protocol; collect console errors,
network requests and a screenshot. Uses only ``websockets`` (already a Prefect dependency) and
Debian's ``chromium`` (``tests/e2e/install_chromium.sh``); no browser is downloaded."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, navigation excluded
    screenshot: bytes = b""
    title: str = ""
    n_scripts: int = -1  # <script> elements in the loaded DOM
    text: str = ""  # document.body.innerText
    section_screenshot: bytes = b""  # the element ``visit(section=...)`` names, alone
    values: dict[str, Any] = field(default_factory=dict)  # ``visit(evaluate=...)``: name -> JSON value


def _wait_port(profile: Path, proc: subprocess.Popen, timeout: float = 30.0) -> int:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.is_file() and port_file.read_text().strip():
            return int(port_file.read_text().splitlines()[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


class _Session:
    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.1))))


def _element_shot(s: _Session, selector: str) -> bytes:
    """PNG of one element (a CSS selector), clipped to its page-coordinate box."""
    expr = (f"JSON.stringify((r => [r.left + scrollX, r.top + scrollY, r.width, r.height])"
            f"(document.querySelector({json.dumps(selector)}).getBoundingClientRect()))")
    x, y, w, h = json.loads(s.call("Runtime.evaluate", expression=expr)["result"]["value"])
    clip = {"x": x, "y": y, "width": w, "height": h, "scale": 1}
    return base64.b64decode(s.call("Page.captureScreenshot", format="png", clip=clip,
                                   captureBeyondViewport=True)["data"])


def visit(html: Path, width: int = 1280, height: int = 1000, full_page: bool = False,
          section: str | None = None, evaluate: dict[str, str] | None = None) -> PageVisit:
    """Load ``html`` (a file path) and return what the page did. Chromium is always terminated.
    ``section``: a CSS selector whose element is also captured alone (``section_screenshot``).
    ``evaluate``: name -> JavaScript expression whose value is JSON (``values``), e.g. layout measures."""
    with tempfile.TemporaryDirectory(prefix="synthscope-chromium-") as tmp:
        profile = Path(tmp)
        proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the zygote and renderers die with it
        )
        try:
            port = _wait_port(profile, proc)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
            with urllib.request.urlopen(req, timeout=10) as resp:
                target = json.load(resp)
            with connect(target["webSocketDebuggerUrl"], max_size=64 * 2**20) as ws:
                s = _Session(ws)
                for domain in ("Page", "Runtime", "Log", "Network"):
                    s.call(f"{domain}.enable")
                s.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                s.call("Page.navigate", url=html.resolve().as_uri())
                s.wait_for("Page.loadEventFired")
                s.call("Runtime.evaluate", expression="1")  # drain events emitted during load
                title = s.call("Runtime.evaluate", expression="document.title")["result"].get("value", "")
                n_scripts = s.call("Runtime.evaluate", expression="document.scripts.length")["result"][
                    "value"
                ]
                text = s.call("Runtime.evaluate", expression="document.body.innerText")["result"]["value"]
                shot = s.call("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)
                visit = _summarise(s.events, html, title, base64.b64decode(shot["data"]))
                visit.n_scripts, visit.text = n_scripts, text
                if section is not None:
                    visit.section_screenshot = _element_shot(s, section)
                for name, expr in (evaluate or {}).items():
                    result = s.call("Runtime.evaluate", expression=f"JSON.stringify({expr})")["result"]
                    visit.values[name] = json.loads(result["value"])
                return visit
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate Chromium's whole process group and wait until it is gone: a renderer still
    writing into the profile made the temporary directory's removal fail ("Directory not empty")."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)  # any member left?
            except ProcessLookupError:
                return
            time.sleep(0.05)
    proc.wait()


def _summarise(events: list[dict[str, Any]], html: Path, title: str, png: bytes) -> PageVisit:
    out = PageVisit(screenshot=png, title=title)
    page_url = html.resolve().as_uri()
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.console_errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            out.console_errors.append(p["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.console_errors.append(p["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if url != page_url and not url.startswith("data:"):
                out.requests.append(url)
    return out
