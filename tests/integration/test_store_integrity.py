"""Feature-store integrity on a small demo audit (ingest -> features -> scan, MobileNetV2):
a truncated part is quarantined and recomputed, two concurrent audits compute each row
once, and runs SIGKILLed at random points re-run to outputs identical to a clean run."""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from synthscope.config import load_config
from synthscope.documents import ReportDocument
from synthscope.features.load import load_embeddings
from synthscope.io import read_json
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.stages import run_stage
from synthscope.stages.features import ATTRIBUTES_KEY
from tests import stage_child

PARAMS = {"features.extractor": "mobilenet-v2", "features.download": False, "features.part_rows": 4,
          "features.batch_size": 4, "features.shard_size": 12, "features.workers": 0}
STAGES = ["ingest", "features", "scan"]
KILL_TRIALS = 10


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synthscope.demo.generate import write_demo
    from synthscope.params import DemoParams

    out = tmp_path_factory.mktemp("small-demo")
    write_demo(out, DemoParams(seed=3, n_per_class=6, image_size=32))
    return out


def overrides(demo: Path, out: Path, store: Path) -> dict[str, str]:
    return {"synthetic": str(demo / "synthetic"), "real": str(demo / "real"), "output_dir": str(out),
            "store_dir": str(store), "name": "integrity"}


def outputs(out: Path, store: Path, scanned: bool = True) -> dict:
    """Every output the stages leave, minus what differs by design (timings, cache counts, dirs)."""
    paths = OutputPaths(out)
    features = read_json(paths.features_summary)
    for key in ("embeddings", "attributes", "store_dir"):
        features.pop(key)
    emb = load_embeddings(paths, store)
    tables = [("manifest", paths.manifest), ("attributes", paths.attributes)]
    tables += [("findings", paths.findings)] if scanned else []
    got = {name: pd.read_parquet(path).to_json(orient="split", double_precision=15)  # NaN-safe equality
           for name, path in tables}
    got |= {"bias": read_json(paths.bias_json)} if scanned else {}
    return got | {"features": features, "embeddings": emb.features.tobytes(), "logits": emb.logits.tobytes()}


def stored_rows(store: Path, key: str) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (store / key).glob("part-*.parquet"))


def spawn(over: dict[str, str], go: Path | None = None, stages: list[str] = STAGES) -> multiprocessing.Process:
    proc = stage_child.context().Process(target=stage_child.run_stages,
                                         args=(over, PARAMS, stages, str(go) if go else None, torch.get_num_threads()))
    proc.start()
    return proc


def finish(proc: multiprocessing.Process) -> None:
    proc.join(timeout=300)
    assert proc.exitcode == 0, proc.exitcode


class Records(logging.Handler):
    """Collects synthscope's log records whatever the logger's propagation (the CLI turns it off)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_truncated_part_is_quarantined_and_the_rerun_gives_identical_outputs(small_demo: Path, tmp_path: Path):
    store, out = tmp_path / "store", tmp_path / "out"
    config = load_config(None, overrides(small_demo, out, store), None, PARAMS)
    for stage in STAGES:
        run_stage(stage, config)
    clean = outputs(out, store)
    key = read_json(OutputPaths(out).features_summary)["extractor"]["key"]
    part = sorted((store / key).glob("part-*.parquet"))[1]
    n_rows = pq.read_metadata(part).num_rows
    part.write_bytes(part.read_bytes()[:100])

    records = Records()
    log.addHandler(records)
    try:
        for stage in STAGES:
            run_stage(stage, config)
    finally:
        log.removeHandler(records)
    assert [m for m in records.messages if str(part) in m and "quarantine" in m], records.messages
    assert (store / "quarantine" / key / part.name).is_file()
    assert read_json(OutputPaths(out).features_summary)["embeddings"]["computed"] == n_rows  # recomputed
    assert outputs(out, store) == clean


@pytest.mark.slow
def test_two_concurrent_audits_on_one_store_compute_each_row_once(small_demo: Path, tmp_path: Path):
    store, go = tmp_path / "store", tmp_path / "go"
    procs = [spawn(overrides(small_demo, tmp_path / f"out{i}", store), go) for i in (0, 1)]
    deadline = time.monotonic() + 300
    while len(list(tmp_path.glob("go.ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both are waiting: they plan and compute at the same moment
    for proc in procs:
        finish(proc)
    summaries = [read_json(OutputPaths(tmp_path / f"out{i}").features_summary) for i in (0, 1)]
    unique = summaries[0]["unique_images"]
    key = summaries[0]["extractor"]["key"]
    assert stored_rows(store, key) == unique and stored_rows(store, ATTRIBUTES_KEY) == unique
    assert sum(s["embeddings"]["computed"] for s in summaries) == unique
    assert outputs(tmp_path / "out0", store) == outputs(tmp_path / "out1", store)


@pytest.mark.slow
def test_runs_killed_at_random_points_rerun_to_the_clean_outputs(small_demo: Path, tmp_path: Path):
    """Each trial SIGKILLs ``stage features`` (the stage that writes the store) in a child process
    at a random moment, re-runs it (in this process) and compares with a clean child run."""
    base = tmp_path / "ingested"
    run_stage("ingest", load_config(None, overrides(small_demo, base, tmp_path / "unused"), None, PARAMS))

    def trial_dirs(name: str) -> dict[str, str]:
        (tmp_path / name).mkdir()
        shutil.copy2(OutputPaths(base).manifest, OutputPaths(tmp_path / name).manifest)
        return overrides(small_demo, tmp_path / name, tmp_path / f"{name}-store")

    finish(spawn(trial_dirs("warm"), stages=["features"]))  # starts the fork server
    clean_dirs = trial_dirs("clean")
    start = time.perf_counter()
    finish(spawn(clean_dirs, stages=["features"]))
    duration = time.perf_counter() - start  # the span a kill can land in
    clean = outputs(Path(clean_dirs["output_dir"]), Path(clean_dirs["store_dir"]), scanned=False)

    rng = np.random.default_rng(15)
    killed_mid_run = 0
    for trial in range(KILL_TRIALS):
        over = trial_dirs(f"t{trial}")
        proc = spawn(over, stages=["features"])
        time.sleep(rng.uniform(0, duration))
        proc.kill()  # SIGKILL
        proc.join(timeout=60)
        killed_mid_run += proc.exitcode == -signal.SIGKILL
        config = load_config(None, over, None, PARAMS)
        run_stage("features", config)
        assert outputs(config.output_dir, config.store_dir, scanned=False) == clean, f"trial {trial}"
        assert not (config.store_dir / "quarantine").exists(), f"trial {trial}: a kill left an unreadable part"
    assert killed_mid_run >= KILL_TRIALS // 2, killed_mid_run  # most kills land inside the run


def augmented_state(out: Path) -> tuple:
    """What the debias stage wrote: its two files' bytes and every file of ``augmented/``."""
    paths = OutputPaths(out)
    files = {p.relative_to(paths.augmented_dir).as_posix(): p.read_bytes()
             for p in sorted(paths.augmented_dir.rglob("*")) if p.is_file()}
    return paths.augmented_manifest.read_bytes(), paths.augmented_summary.read_bytes(), files


def report_is_one_run(out: Path) -> bool:
    """The report's files were rendered from one ``report.json``: summary.md re-renders from it
    byte for byte, and report.html carries its config name (runs differ in name)."""
    from synthscope.report.render import summary_markdown

    paths = OutputPaths(out)
    report = ReportDocument.model_validate(read_json(paths.report_json))
    html = paths.report_html.read_text(encoding="utf-8")
    return (paths.summary_md.read_text(encoding="utf-8") == summary_markdown(report, paths.report_html.name)
            and f"<title>synthscope audit: {report.config.name} (" in html)


def leftovers(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".") and p.name not in (".stages", ".synthscope.lock")]


@pytest.mark.slow
def test_debias_and_report_killed_anywhere_never_leave_a_mix_the_next_stage_accepts(small_demo: Path, tmp_path: Path):
    """A first run (debias seed 7, report named "old") sits in the output dir; a second run
    (seed 0, named "new") of debias + report is SIGKILLed: at random moments, and between two
    output files of each stage (10 trials in all). The next reader (the re-scan after debias; the verdict reader
    after report) either refuses with a one-line StageInputError, or sees one whole run; a re-run
    then repairs it to the clean second run, leaving no temporary folders behind."""
    from synthscope.errors import StageInputError
    from synthscope.stages.report import read_verdict
    from synthscope.stages.rescan import rescan_config

    store, base = tmp_path / "store", tmp_path / "base"
    old = {**PARAMS, "debias.target": "uniform", "debias.seed": 7}
    config = load_config(None, overrides(small_demo, base, store) | {"name": "old"}, None, old)
    for stage in ["ingest", "features", "scan", "debias", "report"]:
        run_stage(stage, config)
    old_state = augmented_state(base)

    def trial_dirs(name: str) -> dict[str, str]:
        shutil.copytree(base, tmp_path / name, symlinks=True)
        return overrides(small_demo, tmp_path / name, store) | {"name": "new"}

    def child(over: dict[str, str], kill_after: str | None = None, stages: tuple = ("debias", "report")):
        proc = stage_child.context().Process(target=stage_child.run_stages, args=(
            over, PARAMS, list(stages), None, torch.get_num_threads(), kill_after))
        proc.start()
        return proc

    finish(child(overrides(small_demo, base, store), stages=()))  # starts the fork server
    clean_dirs = trial_dirs("clean")
    start = time.perf_counter()
    finish(child(clean_dirs))
    duration = time.perf_counter() - start
    new_state = augmented_state(tmp_path / "clean")
    assert all(a != b for a, b in zip(new_state, old_state, strict=True))  # every part tells the runs apart
    assert report_is_one_run(tmp_path / "clean")

    rng = np.random.default_rng(24)
    between_files = ["augmented", "augmented_manifest.parquet", "report.html", "summary.md"]
    kills = [None] * (KILL_TRIALS - len(between_files)) + between_files
    refused = {"debias": 0, "report": 0}
    for trial, kill_after in enumerate(kills):
        over = trial_dirs(f"t{trial}")
        out = Path(over["output_dir"])
        proc = child(over, kill_after)
        if kill_after is None:
            time.sleep(rng.uniform(0, duration))
            proc.kill()  # SIGKILL
        proc.join(timeout=120)
        config = load_config(None, over, None, PARAMS)
        refused_before = sum(refused.values())
        try:
            rescan_config(config, "after")  # what reads debias' outputs next
            assert augmented_state(out) in (old_state, new_state), f"trial {trial}: a mix was accepted"
        except StageInputError as exc:
            assert "re-run `synthscope stage debias`" in str(exc), exc
            refused["debias"] += 1
            run_stage("debias", config)
        try:
            read_verdict(config)  # what reads the report next (audit --fail-on, the Prefect artifacts)
            assert report_is_one_run(out), f"trial {trial}: a mixed report was accepted"
        except StageInputError as exc:
            assert "re-run `synthscope stage report`" in str(exc), exc
            refused["report"] += 1
            run_stage("report", config)
            assert report_is_one_run(out) and read_json(OutputPaths(out).report_json)["config"]["name"] == "new"
        if sum(refused.values()) > refused_before:  # re-run: repaired, and the killed run's temporary files gone
            assert augmented_state(out) == new_state and not leftovers(out), (trial, leftovers(out))
        if kill_after is not None:  # killed between two files of one stage: refused above
            assert proc.exitcode == -signal.SIGKILL and sum(refused.values()) > refused_before, kill_after
    assert refused["debias"] >= 2 and refused["report"] >= 2, refused  # the kills between two files, at least
