"""The typed stage documents: published schemas are current, models and schemas agree, bad files name the fix."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from synthscope.cli import app
from synthscope.documents import (
    DOCUMENTS,
    FINDING_KEYS,
    BiasDocument,
    MetricsDocument,
    dump,
    json_number,
    json_schema,
    parse_document,
    read_document,
    schema_text,
)
from synthscope.errors import DataError
from tests.documents_fakes import bias_doc, debias_doc, finding, metrics_doc

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@pytest.mark.parametrize("name", DOCUMENTS.names())
def test_published_schema_is_current(name):
    path = SCHEMAS / f"{name}.json"
    assert path.is_file(), f"{path} is missing; run `synthscope schema --write docs/schemas`"
    assert path.read_text(encoding="utf-8") == schema_text(name), (
        f"{path} is stale; run `synthscope schema --write docs/schemas` and commit it"
    )


def test_cli_prints_the_schema_and_writes_them_all(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(app, ["schema", "metrics"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == json_schema("metrics")
    written = runner.invoke(app, ["schema", "--write", str(tmp_path)])
    assert written.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in DOCUMENTS.names())


@pytest.mark.parametrize(
    ("name", "doc"),
    [
        ("bias", bias_doc([finding("high"), finding("low", "imbalance", cls=None, attribute=None)])),
        ("metrics", metrics_doc(neighbours={"precision": (0.8, [0.7, 0.9])}, inception=(2.0, [1.9, 2.1]))),
        ("metrics", metrics_doc(fid=None, kid=None, cov=None, s2r=None)),
        ("debias", debias_doc([], cas=None)),
    ],
)
def test_model_and_json_schema_accept_the_same_document(name, doc):
    data = dump(doc)
    jsonschema.validate(data, json_schema(name))
    spec = DOCUMENTS.get(name)
    assert dump(spec.model.model_validate(data)) == data  # what a reader gets is what was written


def test_schema_rejects_what_no_stage_writes():
    data = dump(bias_doc([finding("high")]))
    for bad in (
        {**data, "extra": 1},  # unknown top-level key
        {**data, "findings": [{**data["findings"][0], "severity": "catastrophic"}]},
        {**data, "findings": [{**data["findings"][0], "check": "vibes"}]},
        {**data, "summary": {k: v for k, v in data["summary"].items() if k != "n_real"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, json_schema("bias"))
        with pytest.raises(DataError, match=r"bias.json does not match its schema .*re-run `synthscope stage scan`"):
            parse_document(BiasDocument, bad, "bias.json", "scan")


def test_read_document_absent_invalid_json_and_wrong_shape(tmp_path):
    path = tmp_path / "metrics.json"
    assert read_document(path, MetricsDocument) is None
    path.write_text("{not json")
    with pytest.raises(DataError, match=r"is not valid JSON .*synthscope stage score"):
        read_document(path, MetricsDocument)
    path.write_text(json.dumps({**dump(metrics_doc()), "fid": {"value": "high"}}))
    with pytest.raises(DataError, match=r"fid\.value: Input should be a valid number"):
        read_document(path, MetricsDocument)


def test_unset_optional_keys_are_left_out_not_written_as_null():
    data = dump(metrics_doc(fid=None, kid=None, cov=None, s2r=None))
    assert "fid" not in data and "cas" not in data
    assert dump(debias_doc([], cas=None))["cas"] is None  # a required key that is null stays


def test_finding_keys_follow_design_md():
    assert FINDING_KEYS == (
        "check", "attribute", "class", "severity", "score", "reference_score", "origin", "message", "metric", "id"
    )


def test_json_number_closed_form():
    assert [json_number(x) for x in (1, 0.1234567, float("nan"), float("inf"), None, True, "1")] == [
        1.0, 0.123457, None, None, None, None, None
    ]
    assert json_number(0.1234567, None) == 0.1234567
