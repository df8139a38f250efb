"""Fixtures of the browser tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.headless_chromium import chromium_path

INSTALL = Path(__file__).with_name("install_chromium.sh")


@pytest.fixture(scope="module")
def chromium() -> str:
    """The headless Chromium binary, installed from Debian's package when missing."""
    if chromium_path() is None:
        subprocess.run(["bash", str(INSTALL)], check=True, timeout=900)
    path = chromium_path()
    assert path, "chromium is not installed; run tests/e2e/install_chromium.sh as root"
    return path
