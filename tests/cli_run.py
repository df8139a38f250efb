"""Run ``synthscope`` in-process as the console script does (``cli.main``: exit codes, one-line errors)."""

from __future__ import annotations

import sys

import pytest

from synthscope import cli


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """(exit code, stderr) of ``synthscope ARGS``."""
    monkeypatch.setattr(sys, "argv", ["synthscope", *args])
    try:
        cli.main()
    except SystemExit as exit_:
        return exit_.code, capsys.readouterr().err
    return 0, capsys.readouterr().err
