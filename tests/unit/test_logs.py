"""progress(): bars on a terminal, a few plain lines in a log file (no carriage returns)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Nested bars as the features stage draws them: 3 shards x 50 batches, then a 7-step bar stopped early.
NESTED = """
from synthscope.logs import progress, setup_logging
setup_logging()
for shard in progress(range(3), "shards"):
    for batch in progress(range(50), f"features shard {shard}", total=50):
        pass
for step in progress(iter(range(100)), "epochs", total=7):
    if step == 6:
        break
"""


def _env(value: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNTHSCOPE_PROGRESS"}
    env["PYTHONPATH"] = str(ROOT)
    if value is not None:
        env["SYNTHSCOPE_PROGRESS"] = value
    return env


def _run(env_value: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NESTED], env=_env(env_value), capture_output=True, timeout=120,
                          cwd=ROOT)


def test_non_tty_stderr_gets_lines_not_redrawn_bars():
    proc = _run()  # stderr is a pipe, as in a log file
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    shard0 = [line for line in lines if "features shard 0:" in line]
    # started, 10% ... 90%, done: one line per step of 10%, never one per batch
    assert shard0[0].endswith("started (50 steps)") and shard0[-1].startswith("INFO synthscope: features shard 0: done, 50 steps")
    assert [line.split(": ")[2].split("%")[0] for line in shard0[1:-1]] == [str(p) for p in range(10, 100, 10)]
    # 3 inner bars; the outer one (started, 33%, 66%, done); the stopped one (started, 6 percent lines, done)
    assert len(lines) == 3 * 11 + 4 + 8
    assert [line for line in lines if line.startswith("INFO synthscope: epochs: done, 6 steps")]
    assert len(err) < 3000


def test_a_terminal_gets_tqdm_bars():
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    proc = subprocess.Popen([sys.executable, "-c", NESTED], env=_env(None), stdout=subprocess.DEVNULL,
                            stderr=follower, cwd=ROOT)
    os.close(follower)
    chunks = []
    try:
        while data := os.read(leader, 65536):
            chunks.append(data)
    except OSError:  # EIO: the child closed its side
        pass
    finally:
        os.close(leader)
    assert proc.wait(timeout=120) == 0
    out = b"".join(chunks).decode(errors="replace")
    assert "\r" in out and "features shard 2" in out and "%|" in out  # tqdm's redrawn bar
    assert "started (50 steps)" not in out


def test_zero_silences_progress_but_not_the_iteration():
    proc = _run("0")
    assert proc.returncode == 0 and b"features shard" not in proc.stderr


def test_log_lines_follow_the_current_stderr() -> None:
    """A second in-process run (tests, notebooks) replaces and closes stderr: lines go to the new one."""
    code = (
        "import io, sys\n"
        "from synthscope.logs import log, setup_logging\n"
        "first = io.StringIO(); sys.stderr = first; setup_logging(); log.info('one'); first.close()\n"
        "second = io.StringIO(); sys.stderr = second; setup_logging(); log.info('two')\n"
        "sys.stderr = sys.__stderr__; print(repr(second.getvalue()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=_env("0"), capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Logging error" not in done.stderr
    assert done.stdout.strip() == repr("INFO synthscope: two\n")
