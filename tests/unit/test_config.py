from pathlib import Path

import pytest

from synthscope.config import load_config
from synthscope.errors import ConfigError


def test_demo_config_loads():
    cfg = load_config(Path("configs/demo.yaml"))
    assert cfg.name == "demo"
    assert cfg.datasets() == {"synthetic": Path("data/demo/synthetic"), "real": Path("data/demo/real")}
    assert cfg.output_dir == Path("outputs/demo") and cfg.store_dir == Path("data/store")


def test_synthetic_override_without_config_gets_defaults():
    cfg = load_config(None, {"synthetic": "data/x/gen"})
    assert cfg.name == "gen" and cfg.real is None
    assert cfg.output_dir == Path("outputs/gen") and cfg.store_dir == Path("data/store")


def test_overrides_beat_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: a\nsynthetic: s\nreal: r\noutput_dir: o\n")
    cfg = load_config(path, {"real": "other", "output_dir": None})
    assert cfg.real == Path("other") and cfg.output_dir == Path("o")


def test_missing_synthetic_names_the_fix():
    with pytest.raises(ConfigError, match="pass --config FILE or --synthetic PATH"):
        load_config(None, {})


def test_unknown_key_in_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("synthetic: s\nsynthetc: typo\n")
    with pytest.raises(ConfigError, match="synthetc: unknown config key; allowed keys are name, synthetic"):
        load_config(path)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("synthetic: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(listy)


def test_hostile_name_rejected():
    with pytest.raises(ConfigError, match="may hold only letters"):
        load_config(None, {"synthetic": "s", "name": "../../etc"})
