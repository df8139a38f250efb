"""Labels are data, never paths: ``folder_name`` gives one safe path component for any label."""

from __future__ import annotations

import os
import re

import pytest

from synthscope.names import folder_name, is_text, text_form

HOSTILE = ["..", ".", "", "/", "\\", "a/b", "a\\b", "../../../../../tmp/elsewhere", "/tmp/elsewhere", "a\0b", "CON",
           "nul", "Com1.txt", "lpt9", "x" * 300, "猫", "naïve café", ".hidden", "trailing.", "-rf", " ", "a\nb", "\udce9"]


@pytest.mark.parametrize("label", HOSTILE)
def test_any_label_becomes_one_safe_component(label):
    name = folder_name(label)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name), name
    assert name not in (".", "..") and not name.endswith(".") and len(name) <= 64
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert os.path.basename(name) == name and os.path.normpath(name) == name


def test_distinct_labels_get_distinct_folders_and_ordinary_ones_keep_their_name():
    names = [folder_name(label) for label in HOSTILE]
    assert len(set(names)) == len(HOSTILE)
    assert folder_name("a/b") != folder_name("a\\b")  # same slug, different hash
    for label in ("circle", "cat_2", "Class-A", "v1.0", "0"):
        assert folder_name(label) == label
    assert folder_name("a/b") == folder_name("a/b")  # stable across calls and runs
    assert folder_name("index.parquet", taken=frozenset({"index.parquet"})).startswith("index.parquet-")


def test_text_form_is_lossless_and_valid_text():
    name = os.fsdecode(b"caf\xe9 \xff.png")
    assert not is_text(name) and is_text("café.png")
    display, raw = text_form(name)
    assert display == "caf\\xe9 \\xff.png" and raw == b"caf\xe9 \xff.png"
    display.encode("utf-8")  # Parquet, JSON and HTML can hold it
    assert text_form("new\nline.png") == ("new\nline.png", b"new\nline.png")
