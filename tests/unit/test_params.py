import dataclasses
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from synthscope.config import load_config, load_params
from synthscope.errors import ConfigError
from synthscope.params import Params, build_params


def test_defaults_match_params_yaml():
    """params.yaml is the source of truth DVC tracks; the dataclass defaults must agree."""
    assert load_params(Path("params.yaml")) == Params()


def test_unknown_key_names_key_and_allowed():
    with pytest.raises(ConfigError, match=r"params\.ingest\.bogus: unknown key; allowed keys are .*max_pixels"):
        build_params({"ingest": {"bogus": 1}})


def test_bad_literal_names_allowed_values():
    with pytest.raises(ConfigError, match=r"params\.score\.cas_model: 'svm' is not allowed; use one of linear, cnn"):
        build_params({"score": {"cas_model": "svm"}})


@pytest.mark.parametrize("value", ["3", 2.5, True])
def test_int_rejects_non_integers(value):
    with pytest.raises(ConfigError, match="expected an integer"):
        build_params({"ingest": {"workers": value}})


def test_float_accepts_int_and_tuple_accepts_list():
    params = build_params({"ingest": {"max_file_mb": 3, "extensions": [".png"]}})
    assert params.ingest.max_file_mb == 3.0 and params.ingest.extensions == (".png",)


def test_overrides_apply_dotted_keys(tmp_path):
    cfg = load_config(None, {"synthetic": "x"}, None, {"ingest.workers": 1, "demo.seed": 7})
    assert cfg.params.ingest.workers == 1 and cfg.params.demo.seed == 7


def test_override_without_section_is_an_error():
    with pytest.raises(ConfigError, match="SECTION.KEY=VALUE"):
        load_config(None, {"synthetic": "x"}, None, {"workers": 1})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"scan": {"shortcut_levels": [0.1, "a", 0.3]}}, r"params\.scan\.shortcut_levels\[\]: expected a number, got 'a'"),
        ({"debias": {"target": {"circle": "half"}}}, r"params\.debias\.target\.circle: expected a number, got 'half'"),
        ({"debias": {"target": "zipf"}}, r"params\.debias\.target: 'zipf' is not allowed; use one of real, uniform"),
        ({"features": {"download": "yes"}}, r"params\.features\.download: expected true or false, got 'yes'"),
        ({"gates": {"max_fd_ratio": "x"}}, r"params\.gates\.max_fd_ratio: expected a number, got 'x'"),
        ({"scan": 3}, r"params\.scan: expected a mapping of keys, got 3"),
        ({"sacn": {}}, r"params\.sacn: unknown key; allowed keys are debias, demo, features, gates, ingest, monitor, near_copy, report"),
        ({"ingest": {"max_file_mb": True}}, r"params\.ingest\.max_file_mb: expected a number, got True"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(raw, message):
    with pytest.raises(ConfigError, match=message):
        build_params(raw)


def test_empty_section_means_defaults_and_sections_stay_frozen_and_validated():
    params = build_params({"scan": None, "gates": {"max_fd_ratio": None}})
    assert params.scan == Params().scan and params.gates.max_fd_ratio is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.scan.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="cv_folds"):
        dataclasses.replace(params.scan, cv_folds=1)  # replace re-validates too
    with pytest.raises(ConfigError, match=r"scan\.shortcut_levels: .* three ascending"):
        dataclasses.replace(params.scan, shortcut_levels=(0.9, 0.1, 0.5))
    assert dataclasses.asdict(params) == params.to_dict()


@pytest.mark.parametrize("fractions", [[0.5, 0.25, 1.0], [0.1, 0.5], [0.5, 0.5, 1.0]])
def test_curve_fractions_must_ascend_to_the_whole_split(fractions):
    with pytest.raises(ConfigError, match=r"score\.curve_fractions: .* ending with 1\.0"):
        build_params({"score": {"curve_fractions": fractions}})
    with pytest.raises(ConfigError, match=r"score\.curve_fractions\[\]: 0\.0 is out of range; use a finite number in \(0, 1\]"):
        build_params({"score": {"curve_fractions": [0.0, 1.0]}})


def test_costs_are_unknown_by_default_and_never_negative():
    params = build_params({})
    assert (params.utility.cost_per_1k_synthetic, params.utility.cost_per_1k_real,
            params.utility.synthetic_images_available) == (None, None, None)
    with pytest.raises(ConfigError, match=r"utility\.cost_per_1k_real: -1 is out of range; use a finite number >= 0, or null"):
        build_params({"utility": {"cost_per_1k_real": -1}})


def _numeric_fields():
    """(section, field, hint) of every field that holds a number (also inside a tuple, dict or Optional)."""
    import typing

    for section in dataclasses.fields(Params):
        cls = section.type if isinstance(section.type, type) else typing.get_type_hints(Params)[section.name]
        for name, hint in typing.get_type_hints(cls, include_extras=True).items():
            text = repr(hint)
            if ("int" in text or "float" in text) and "bool" not in text.split("|")[0]:
                yield section.name, name, hint


def test_every_numeric_param_has_a_range_in_the_model():
    from synthscope.bounds import range_text

    fields = list(_numeric_fields())
    assert len(fields) > 60
    missing = [f"{s}.{n}" for s, n, hint in fields if range_text(hint) is None]
    assert not missing, f"numeric params without a range: {missing}"


def _bad_value(hint, value):
    """``value`` shaped like the field: a tuple field gets a list, a dict field one entry."""
    text = repr(hint)
    if text.startswith("tuple"):
        return [value]
    if "dict[" in text:
        return {"a": value}
    return value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), -5, -1e300])
def test_nan_inf_and_negative_values_are_one_line_errors_naming_key_and_range(value):
    from synthscope.bounds import range_text

    for section, name, hint in _numeric_fields():
        words = range_text(hint)
        if "integer" in words and isinstance(value, float):
            expected = rf"params\.{section}\.{name}(\[\])?: expected an integer, got "
        elif "integer" in words or "finite" in words and (value < 0 or value != value or abs(value) == float("inf")):
            expected = rf"params\.{section}\.{name}(\[\]|\.a)?: .* is out of range; use {re.escape(words)}"
        else:
            continue
        if words == "a finite number" and abs(value) < float("inf"):  # score.kid_coef0: any finite value
            continue
        with pytest.raises(ConfigError, match=expected) as err:
            build_params({section: {name: _bad_value(hint, value)}})
        assert "\n" not in str(err.value) and len(str(err.value)) < 300


@pytest.mark.parametrize(("key", "value", "message"), [
    ("near_copy.dup_cosine", float("nan"), r"params\.near_copy\.dup_cosine: nan is out of range; use a finite number in \[0, 1\]"),
    ("near_copy.dup_cosine", float("inf"), r"params\.near_copy\.dup_cosine: inf is out of range; use a finite number in \[0, 1\]"),
    ("score.kid_subset_size", -5, r"params\.score\.kid_subset_size: -5 is out of range; use an integer >= 2"),
    ("features.batch_size", 0, r"params\.features\.batch_size: 0 is out of range; use an integer >= 1"),
    ("report.thumbnail_px", 0, r"params\.report\.thumbnail_px: 0 is out of range; use an integer in \[1, 1024\]"),
    ("report.thumbnail_px", -1, r"params\.report\.thumbnail_px: -1 is out of range"),
    ("gates.max_fd_ratio", float("nan"), r"params\.gates\.max_fd_ratio: nan is out of range; use a finite number >= 0, or null"),
])
def test_the_values_of_the_issue_are_refused(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_params(None, {key: value})


def test_nothing_is_downloaded_unless_asked_for():
    assert Params().features.download is False and load_params(Path("params.yaml")).features.download is False


def test_the_near_copy_keys_moved_out_of_scan_with_a_one_line_fix():
    with pytest.raises(ConfigError, match=r"params\.scan\.mem_cosine moved to near_copy\.mem_cosine .* `near_copy:` section"):
        build_params({"scan": {"mem_cosine": 0.9}})
    params = build_params({"near_copy": {"mem_cosine": 0.9}})
    assert params.near_copy.memorization.cosine == 0.9 and params.near_copy.duplicates.cosine == 0.98
