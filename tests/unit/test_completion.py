"""Completion records: an interrupted stage, a mix of two runs, another dataset's outputs are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthscope.completion import begin, check_inputs, problem, read_record, recorded
from synthscope.config import AuditConfig, load_config
from synthscope.errors import StageInputError
from synthscope.paths import OutputPaths


def config(tmp_path: Path, synthetic: str = "A") -> AuditConfig:
    return load_config(None, {"synthetic": str(tmp_path / synthetic), "output_dir": str(tmp_path / "out")})


def fake_debias(cfg: AuditConfig, tag: str) -> list[Path]:
    out = OutputPaths(cfg.output_dir)
    (out.augmented_dir / "c").mkdir(parents=True, exist_ok=True)
    (out.augmented_dir / "c" / "x.png").write_text(tag)
    out.augmented_manifest.write_text(tag)
    out.augmented_summary.write_text(tag)
    return [out.augmented_manifest, out.augmented_summary, out.augmented_dir]


def test_a_stage_killed_after_it_began_is_refused_until_it_reruns(tmp_path):
    cfg = config(tmp_path)
    recorded("debias", cfg, lambda: fake_debias(cfg, "run 1"))
    check_inputs("compare", cfg)
    begin("debias", cfg)  # a run that starts, writes one file and is killed
    OutputPaths(cfg.output_dir).augmented_manifest.write_text("run 2")
    with pytest.raises(StageInputError, match=r"debias outputs in .* are incomplete: its run \(pid \d+\) did not finish; "
                                              r"re-run `synthscope stage debias`"):
        check_inputs("compare", cfg)
    recorded("debias", cfg, lambda: fake_debias(cfg, "run 2"))  # the re-run repairs it
    check_inputs("compare", cfg)


def test_a_file_replaced_by_another_run_is_a_mix(tmp_path):
    cfg = config(tmp_path)
    recorded("debias", cfg, lambda: fake_debias(cfg, "run 1"))
    OutputPaths(cfg.output_dir).augmented_summary.write_text("someone else's run")
    assert "mix two runs: augmented.json" in problem(cfg.output_dir, "debias")
    with pytest.raises(StageInputError, match="mix two runs"):
        check_inputs("report", cfg)
    (OutputPaths(cfg.output_dir).augmented_dir / "c" / "y.png").write_text("extra")  # a folder's listing counts too
    OutputPaths(cfg.output_dir).augmented_summary.write_text("run 1")
    assert "mix two runs: augmented" in problem(cfg.output_dir, "debias")


def test_outputs_of_another_dataset_are_refused(tmp_path):
    recorded("ingest", config(tmp_path, "A"), lambda: [])
    check_inputs("scan", config(tmp_path, "A"))
    with pytest.raises(StageInputError, match=r"holds the outputs of an audit of synthetic=.*A; pass those datasets"):
        check_inputs("scan", config(tmp_path, "B"))


def test_a_failed_run_keeps_the_old_record_when_nothing_changed_and_leftovers_go(tmp_path):
    cfg = config(tmp_path)
    recorded("debias", cfg, lambda: fake_debias(cfg, "run 1"))
    out = Path(cfg.output_dir)
    (out / ".augmented.k2j3").mkdir()  # what a killed atomic_dir / atomic_path leave
    (out / ".augmented.k2j3" / "x.png").write_text("half")
    (out / ".augmented.json.abc.tmp").write_text("half")

    def fails() -> list[Path]:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        recorded("debias", cfg, fails)
    assert not (out / ".augmented.k2j3").exists() and not (out / ".augmented.json.abc.tmp").exists()
    assert read_record(out, "debias")["state"] == "done"  # its old outputs are untouched: still usable

    def half_fails() -> list[Path]:
        OutputPaths(cfg.output_dir).augmented_manifest.write_text("run 2")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        recorded("debias", cfg, half_fails)
    assert problem(out, "debias") == (f"debias outputs in {out} are incomplete (the last run failed (ValueError)); "
                                      "re-run `synthscope stage debias`")


def test_outputs_without_a_record_are_not_checked(tmp_path):
    cfg = config(tmp_path)
    fake_debias(cfg, "written by hand")
    check_inputs("compare", cfg)
