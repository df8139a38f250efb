"""Configs and params files: a YAML bomb is refused before anything is expanded, every error is short."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from synthscope.config import load_config, load_params
from synthscope.errors import ConfigError
from tests.cli_run import run_cli


def bomb(levels: int = 6, key: str = "scan:\n  seed") -> str:
    """Nested anchors: each level repeats the one before 9 times (9**levels leaves from ~300 bytes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\n{key}: *a{levels - 1}\n"


def inline_bomb(key: str, levels: int = 6) -> str:
    """The same bomb inside one value (a config allows no extra keys to hold the anchors)."""
    parts = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    parts += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return f"{key}: [{', '.join(parts)}]\n"


def test_the_bombs_are_about_300_bytes():
    assert 250 <= len(bomb().encode()) <= 330
    assert 250 <= len(("synthetic: s\n" + inline_bomb("name")).encode()) <= 330


@pytest.mark.parametrize("where", ["params", "config name"])
def test_a_300_byte_yaml_bomb_is_a_short_error_within_5_seconds(tmp_path, where):
    path = tmp_path / "bomb.yaml"
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        if where == "params":
            path.write_text(bomb())
            load_params(path)
        else:
            path.write_text("synthetic: s\n" + inline_bomb("name"))
            load_config(path)
    assert time.perf_counter() - start < 5
    assert len(str(err.value)) < 2048 and "\n" not in str(err.value)
    assert "aliases" in str(err.value) and str(path) in str(err.value)


def test_the_cli_prints_one_short_line_for_a_bomb(tmp_path, monkeypatch, capsys):
    (tmp_path / "bomb.yaml").write_text(bomb())
    start = time.perf_counter()
    code, err = run_cli(monkeypatch, capsys, "stage", "scan", "--synthetic", str(tmp_path), "--output-dir",
                        str(tmp_path / "out"), "--params", str(tmp_path / "bomb.yaml"))
    assert code == 1 and time.perf_counter() - start < 5
    assert len(err.encode()) < 2048 and err.count("\n") == 1 and err.startswith("error: ")


def test_aliases_in_set_values_deep_nesting_and_huge_or_binary_files_are_refused(tmp_path):
    from synthscope.yaml_safe import MAX_BYTES, load_yaml

    with pytest.raises(ConfigError, match=r"--set x: YAML aliases"):
        load_yaml("[&a 1, *a]", "--set x")
    with pytest.raises(ConfigError, match="nested deeper than"):
        load_yaml("[" * 200 + "]" * 200, "--set x")
    huge = tmp_path / "huge.yaml"
    huge.write_text("a: " + "x" * (MAX_BYTES + 10))
    with pytest.raises(ConfigError, match="over .* bytes"):
        load_params(huge)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"scan:\n  seed: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_params(binary)
    assert load_yaml("a: [1, 2]\nb: {c: .5}\n", "x") == {"a": [1, 2], "b": {"c": 0.5}}


def test_echoed_values_and_keys_are_cut_short(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(None, {"synthetic": "s", "name": "x/" * 10_000})
    assert len(str(err.value)) < 200
    path = tmp_path / "c.yaml"
    path.write_text(f"synthetic: s\n{'k' * 5000}: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert len(str(err.value)) < 300
    with pytest.raises(ConfigError) as err:
        load_params(None, {"scan.seed": "9" * 100_000})
    assert len(str(err.value)) < 200


def test_params_yaml_still_loads():
    assert load_params(Path("params.yaml")).near_copy.dup_cosine == 0.98
