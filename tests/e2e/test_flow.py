"""The audit flow end to end under a Prefect test server: outputs, caching, artifacts, Dask."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthscope.io import read_json
from synthscope.paths import OutputPaths
from synthscope.runlock import LOCK_NAME
from tests.conftest import FAST_PARAMS

pytestmark = [pytest.mark.slow, pytest.mark.service]


def _overrides(demo: Path, out: Path, store: Path) -> dict[str, str]:
    return {"synthetic": str(demo / "synthetic"), "real": str(demo / "real"), "output_dir": str(out),
            "store_dir": str(store), "name": "flowtest"}


# Both sides are re-scanned, as under dvc repro (the demo's synthetic set is repaired: compare reads the
# audit's own scan as "before", and the before re-scan tasks copy it, so both write the same documents).
STAGE_TASKS = {"ingest", "features", "scan", "score", "debias", "compare", "report"} | {
    f"{stage}-{side}" for stage in ("ingest", "features", "scan") for side in ("before", "after")}


def _task_states(flow_run_id, expect: set[str] = STAGE_TASKS) -> dict[str, str]:
    """Task run name -> state, once the server has recorded every ``expect``ed run in a final state.

    The server records task runs from events asynchronously; on a busy machine it lags the flow
    by seconds, so an early read misses the last runs or sees them Pending under a provisional name.
    """
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter

    async def read():
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])), task_run_filter=TaskRunFilter()
            )
            return {r.name: r.state.name if r.state is not None else "Pending" for r in runs}

    deadline = time.monotonic() + 120
    while True:
        states = asyncio.run(read())
        settled = expect <= set(states) and not {"Pending", "Running", "Scheduled"} & set(states.values())
        if settled or time.monotonic() > deadline:
            return states
        time.sleep(1)


def test_flow_runs_every_stage_then_serves_all_from_cache(prefect_harness, demo_dir, demo_store, tmp_path):
    from synthscope.orchestration.audit import audit_flow

    out = tmp_path / "out"
    kwargs = {"config": None, "overrides": _overrides(demo_dir, out, demo_store), "param_overrides": FAST_PARAMS}
    first = audit_flow(**kwargs, return_state=True)
    assert first.is_completed(), first
    paths = OutputPaths(out)
    for f in (paths.manifest, paths.attributes, paths.bias_json, paths.metrics_json, paths.augmented_manifest,
              paths.debias_json, paths.report_html, paths.rescan_dir("after") / "bias_findings.parquet"):
        assert f.is_file(), f
    # the synthetic set was repaired: "before" is the audit's own scan, copied as under dvc repro
    assert read_json(paths.augmented_summary)["role"] == "synthetic"
    assert read_json(paths.rescan_dir("before") / "bias.json")["stand_in"] == "../bias.json"
    # compare read the flow's own re-scans: each finding's after score is the after scan's
    after = pd.read_parquet(paths.rescan_dir("after") / "bias_findings.parquet")
    debiased = read_json(paths.debias_json)
    assert debiased["rescan_dir"] == str(paths.rescan_dir("after"))
    for finding in debiased["findings"]:
        row = after[(after["check"] == finding["check"]) & (after["metric"] == finding["metric"])
                    & (after["attribute"].fillna("") == (finding["attribute"] or ""))
                    & (after["class"].fillna("") == (finding["class"] or ""))]
        if finding["score_after"] is not None:
            assert abs(float(row["flag_value"].iloc[0]) - finding["score_after"]) < 1e-4, finding
    def outputs_mtimes() -> dict:  # every file but the lock, which each run holds with its own PID
        return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != LOCK_NAME}

    stamps = outputs_mtimes()

    second = audit_flow(**kwargs, return_state=True)
    assert second.is_completed()
    states = _task_states(second.state_details.flow_run_id)
    stage_states = {name: s for name, s in states.items() if not name.startswith("features-")}
    assert set(stage_states) | {n for n in states if n in STAGE_TASKS} == STAGE_TASKS, states
    assert states["features-after"] == states["features-before"] == "Cached", states
    assert set(stage_states.values()) == {"Cached"}, states
    assert not [n for n in states if n.startswith("features-shard")], states  # nothing left to embed
    assert outputs_mtimes() == stamps  # nothing rewritten (the completion records neither)

    # A gates change re-runs only the report; a deleted output re-runs its stage.
    third = audit_flow(**(kwargs | {"param_overrides": FAST_PARAMS | {"gates.max_fd_ratio": 0.01}}), return_state=True)
    states = _task_states(third.state_details.flow_run_id)
    assert states["report"] == "Completed" and states["scan"] == states["score"] == "Cached", states
    paths.bias_json.unlink()
    fourth = audit_flow(**kwargs, return_state=True)
    states = _task_states(fourth.state_details.flow_run_id)
    assert states["scan"] == "Completed" and states["ingest"] == "Cached" and paths.bias_json.is_file(), states

    # Editing a report template re-runs the report only: the cache keys see a copy of the package
    # with the template edited (the run itself renders with the installed one).
    import shutil

    from synthscope import codedeps

    package = Path(codedeps.module_file("synthscope")).parent
    copy = tmp_path / "src"
    shutil.copytree(package, copy / "synthscope", ignore=shutil.ignore_patterns("__pycache__"))
    template = copy / "synthscope/report/templates/report.html.j2"
    template.write_text(template.read_text() + "{# edited #}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codedeps, "_package_root", lambda top: copy if top == "synthscope" else None)
        codedeps.code_files.cache_clear()
        fifth = audit_flow(**kwargs, return_state=True)
    codedeps.code_files.cache_clear()
    states = _task_states(fifth.state_details.flow_run_id)
    ran = {name for name, state in states.items() if state != "Cached" and not name.startswith("features-")}
    assert ran == {"report"}, states


def test_flow_publishes_artifacts(prefect_harness, demo_dir, demo_store, tmp_path):
    from prefect.client.orchestration import get_client

    from synthscope.orchestration.audit import audit_flow

    out = tmp_path / "out"
    overrides = _overrides(demo_dir, out, demo_store) | {"name": "artifacts"}
    audit_flow(config=None, overrides=overrides, param_overrides=FAST_PARAMS)

    async def read():
        async with get_client() as client:
            return {k: await client.read_latest_artifacts() for k in ("all",)}["all"]

    artifacts = {a.key: a for a in asyncio.run(read()) if a.key and a.key.startswith("synthscope-artifacts-")}
    assert set(artifacts) == {"synthscope-artifacts-summary", "synthscope-artifacts-findings",
                              "synthscope-artifacts-report"}
    verdict = read_json(OutputPaths(out).report_json)["verdict"]
    assert f"verdict: {verdict}" in artifacts["synthscope-artifacts-summary"].description
    assert artifacts["synthscope-artifacts-report"].data.endswith(f"({(out / 'report.html').resolve().as_uri()})")


@pytest.fixture
def restore_environ():
    """distributed's LocalCluster sets OMP_NUM_THREADS=1 (and MKL_, OPENBLAS_) in this process's
    environment and never unsets it: every process started later by the suite would run torch
    on one thread."""
    saved = os.environ.copy()
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_dask_runner_gives_the_same_features(prefect_harness, demo_dir, demo_store, tmp_path, restore_environ):
    """A whole audit on two Dask workers (every task pickled to them) embeds the shards there; its
    features equal what the default runner's ingest and features tasks compute. (The default side
    runs those two stages only, on the shared demo store: the rest of an audit is not compared.)"""
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    from synthscope.config import load_config
    from synthscope.features.load import load_embeddings
    from synthscope.orchestration.audit import audit_flow, run_plan
    from synthscope.pipeline import Pipeline, pipeline

    params = FAST_PARAMS | {"features.shard_size": 40}
    full = pipeline()
    embedding = Pipeline([full.stages["ingest"], full.stages["features"]])

    @flow(name="synthscope-embed")
    def embed(overrides: dict) -> list[str]:
        return run_plan(load_config(None, overrides, None, params), embedding)

    dask_flow = audit_flow.with_options(task_runner=DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
    ))
    runs = {}
    for name, run, store in (
        ("default", lambda overrides: embed(overrides, return_state=True), demo_store),
        ("dask", lambda overrides: dask_flow(config=None, overrides=overrides, param_overrides=params,
                                             return_state=True), tmp_path / "store-dask"),
    ):
        out = tmp_path / name
        state = run(_overrides(demo_dir, out, store))
        assert state.is_completed(), state
        if name == "dask":
            states = _task_states(state.state_details.flow_run_id)
            assert len([n for n in states if n.startswith("features-shard")]) >= 3, states
        emb = load_embeddings(OutputPaths(out), store)
        runs[name] = (pd.read_parquet(OutputPaths(out).attributes), emb.features, emb.logits)
    assert (tmp_path / "dask" / "report.html").exists()  # the whole audit ran on Dask
    pd.testing.assert_frame_equal(runs["default"][0], runs["dask"][0])
    np.testing.assert_allclose(runs["default"][1], runs["dask"][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(runs["default"][2], runs["dask"][2], rtol=1e-5, atol=1e-5)


def test_cli_audit_runs_the_flow_and_fails_on_the_gates(prefect_harness, demo_dir, demo_store, tmp_path, monkeypatch,
                                                         capsys):
    """`synthscope audit --fail-on fail` on the biased demo: the flow runs, the verdict is fail, exit 2."""
    import sys

    from synthscope import cli

    out = tmp_path / "cli-out"
    argv = ["synthscope", "audit", "--synthetic", str(demo_dir / "synthetic"), "--real", str(demo_dir / "real"),
            "--output-dir", str(out), "--store-dir", str(demo_store), "--fail-on", "fail"]
    for key, value in FAST_PARAMS.items():
        argv += ["--set", f"{key}={value}"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    captured = capsys.readouterr()
    assert exc.value.code == 2, captured
    assert f"report: {out / 'report.html'} (verdict: fail)" in captured.out
    assert "quality gates crossed" in captured.err


def test_a_toy_pipeline_runs_as_a_cached_flow(prefect_harness, demo_dir, tmp_path):
    """The flow is built from declarations: two toy stages declared outside synthscope run, then hit the cache."""
    from prefect import flow

    from synthscope.config import load_config
    from synthscope.orchestration.audit import run_plan
    from synthscope.pipeline import Pipeline, register_stage, unregister_stage
    from tests.fixtures import toy_count, toy_total

    toys = Pipeline([toy_count.STAGE, toy_total.STAGE])
    cfg = load_config(None, {"synthetic": str(demo_dir / "synthetic"), "real": None, "output_dir": str(tmp_path / "toy"),
                             "store_dir": str(tmp_path / "store"), "name": "toys"})

    @flow(name="toy-pipeline")
    def toy_flow() -> list[str]:
        return run_plan(cfg, toys)

    for stage in toys.stages.values():
        register_stage(stage)  # the tasks run them by name (``run_stage``)
    try:
        first, second = toy_flow(return_state=True), toy_flow(return_state=True)
    finally:
        for name in toys.stages:
            unregister_stage(name)
    assert first.is_completed() and second.is_completed()
    assert read_json(tmp_path / "toy/toy_total.json")["total"] > 0
    assert _task_states(first.state_details.flow_run_id, {"toy_count", "toy_total"}) == {
        "toy_count": "Completed", "toy_total": "Completed"}
    assert _task_states(second.state_details.flow_run_id, {"toy_count", "toy_total"}) == {
        "toy_count": "Cached", "toy_total": "Cached"}
