"""Peak memory of a benchmark's child process, the one way the benchmarks measure it."""

from __future__ import annotations

import os
import subprocess


def wait_peak_gib(proc: subprocess.Popen) -> float:
    """Wait for ``proc`` (setting its ``returncode``) -> its maximum resident set size in GiB.

    ``os.wait4``'s rusage is that one child's own peak (imports included), unlike
    ``RUSAGE_CHILDREN``, which is the largest of every child waited for so far.
    """
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux
