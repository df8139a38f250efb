"""The pipeline derived from the stage declarations: order, re-scans, code deps, cache keys, a toy stage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import synthscope
from synthscope import codedeps
from synthscope.codedeps import files_digest
from synthscope.config import load_config, load_params
from synthscope.dvcgen import dvc_spec
from synthscope.errors import ConfigError
from synthscope.pipeline import Node, Pipeline, pipeline, register_stage, unregister_stage
from synthscope.stages.stage import Stage
from tests.fixtures import toy_count, toy_total

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(synthscope.__file__).resolve().parent


def _rel(files) -> set[str]:
    return {f.relative_to(PACKAGE.parent).as_posix() for f in files if f.is_relative_to(PACKAGE.parent)}


def test_order_and_rescans_follow_from_what_each_stage_reads():
    pipe = pipeline()
    assert pipe.order == ("ingest", "features", "scan", "score", "debias", "compare", "report")
    assert pipe.upstream("report") == ("ingest", "features", "scan", "score", "compare")
    assert pipe.rescanned == ("ingest", "features", "scan")  # what compare's before:/after: reads need
    names = [n.name for n in pipe.nodes]
    assert names.index("debias") < names.index("ingest_before") < names.index("scan_after") < names.index("compare")
    assert Node("debias") in pipe.node_upstream(Node("ingest", "after"))  # the side's config is read from debias


def test_stage_code_is_its_imports_and_nothing_else():
    pipe = pipeline()
    scan = _rel(pipe.code(Node("scan")))
    assert "synthscope/features/load.py" in scan  # imported inside run(): dvc.yaml used to miss it
    assert "synthscope/bias/duplicates.py" in scan and "synthscope/stages/scan.py" in scan
    template = "synthscope/report/templates/report.html.j2"
    with_template = [n.name for n in pipe.nodes if template in _rel(pipe.code(n))]
    assert with_template == ["report"]
    assert "synthscope/stages/rescan.py" in _rel(pipe.code(Node("scan", "after")))
    assert "synthscope/api.py" not in _rel(pipe.code(Node("ingest")))  # synthscope.compare loads on use


def test_editing_a_report_template_changes_only_the_report_code_digest(tmp_path, monkeypatch):
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "synthscope", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codedeps, "_package_root", lambda top: copy if top == "synthscope" else None)
    pipe = pipeline()

    def digests() -> dict[str, str]:
        codedeps.code_files.cache_clear()
        return {n.name: files_digest(pipe.code(n)) for n in pipe.nodes}

    before = digests()
    monkeypatch.undo()
    assert digests() == before  # the same files checked out elsewhere: the same keys
    monkeypatch.setattr(codedeps, "_package_root", lambda top: copy if top == "synthscope" else None)
    template = copy / "synthscope/report/templates/report.html.j2"
    template.write_text(template.read_text() + "{# edited #}\n")
    after = digests()
    assert {n for n in before if before[n] != after[n]} == {"report"}
    (copy / "synthscope/features/load.py").write_text((copy / "synthscope/features/load.py").read_text() + "\n# x\n")
    changed = {n for n, d in digests().items() if d != after[n]}
    assert {"scan", "score", "debias", "compare", "scan_after"} <= changed
    assert not changed & {"ingest", "features", "ingest_after", "report"}  # the report reads no embeddings
    codedeps.code_files.cache_clear()


@pytest.fixture
def toys():
    for module in (toy_count, toy_total):
        register_stage(module.STAGE)
    yield pipeline()
    for module in (toy_count, toy_total):
        unregister_stage(module.STAGE.name)


def test_a_toy_stage_is_one_module_and_one_declaration(toys):
    """Registered, it is in the flow's plan (``audit_flow`` runs ``pipeline().nodes``) and in dvc.yaml."""
    names = [n.name for n in toys.nodes]
    assert names.index("toy_count") < names.index("toy_total")
    assert toys.node_upstream(Node("toy_total")) == (Node("toy_count"),)
    stages = dvc_spec(root=ROOT, pipe=toys)["stages"]
    toy = stages["toy_total"]
    assert toy["cmd"] == "synthscope stage toy_total --config ${cfg}"
    assert "${out}/toy_count.json" in toy["deps"] and "tests/fixtures/toy_total.py" in toy["deps"]
    assert "synthscope/io.py" in toy["deps"] and "synthscope/stages/stage.py" in toy["deps"]
    assert toy["outs"] == ["${out}/.stages/toy_total.json", "${out}/toy_total.json"]
    assert stages["toy_count"]["params"] == ["scan.seed"] and "${cfg}" in stages["toy_count"]["deps"]
    cfg = load_config(ROOT / "configs/demo.yaml")
    assert toys.expected_outputs("toy_total", cfg) == [Path(cfg.output_dir) / "toy_total.json"]
    from synthscope.completion import ancestors

    assert ancestors("toy_total") == ["toy_count"]


def test_a_toy_stage_runs_through_the_stage_command(toys, demo_dir, tmp_path):
    from synthscope.stages import run_stage

    cfg = load_config(None, {"synthetic": str(demo_dir / "synthetic"), "real": None, "output_dir": str(tmp_path)})
    run_stage("toy_count", cfg)
    run_stage("toy_total", cfg)
    total = yaml.safe_load((tmp_path / "toy_total.json").read_text())["total"]
    assert total == sum(1 for f in (demo_dir / "synthetic").rglob("*") if f.is_file())
    assert (tmp_path / ".stages/toy_total.json").is_file()


def test_bad_declarations_fail_with_the_stage_and_the_fix():
    def run(config):
        return []

    with pytest.raises(ValueError, match="cannot read 'manifst'"):
        Stage(name="bad", run=run, reads=("manifst",), writes=(), params=())
    lonely = Stage(name="lonely", run=run, reads=("nothing.json",), writes=(), params=())
    with pytest.raises(ConfigError, match="lonely reads 'nothing.json', which no stage writes"):
        Pipeline([lonely])
    a = Stage(name="a", run=run, reads=("b.json",), writes=("a.json",), params=())
    b = Stage(name="b", run=run, reads=("a.json",), writes=("b.json",), params=())
    with pytest.raises(ConfigError, match="cycle"):
        Pipeline([a, b])


def test_the_flow_runs_each_node_once_after_what_it_reads(toys, demo_dir, tmp_path, monkeypatch):
    """``run_plan`` (the audit flow's body) with every task run in place, as the sharded features task is."""
    from synthscope.orchestration import audit

    ran: list[str] = []

    def in_place(node, cfg, key):
        assert all(up.name in ran for up in toys.node_upstream(node)), node
        ran.append(node.name)
        return {"paths": [node.name], "digest": node.name}

    monkeypatch.setattr(audit, "_submit", in_place)
    pipe = Pipeline([toy_count.STAGE, toy_total.STAGE])
    cfg = load_config(None, {"synthetic": str(demo_dir / "synthetic"), "real": None, "output_dir": str(tmp_path)})
    assert audit.run_plan(cfg, pipe) == ["toy_count", "toy_total"] and ran == ["toy_count", "toy_total"]


def test_the_readme_stage_table_is_the_generated_one():
    from synthscope.pipeline import with_stage_table

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_stage_table(text, pipeline()) == text, "stale: run `synthscope stages --write README.md`"
    assert "| scan | " in text and "`near_copy`" in text


def _demo_monitor_config(tmp_path: Path, **changes):
    from synthscope.params import Params
    from synthscope.stages.monitor import MonitorConfig

    fields = {"synthetic": tmp_path / "train", "real": None, "incoming": tmp_path / "batch",
              "output_dir": tmp_path / "out", "store_dir": tmp_path / "store", "params": Params()} | changes
    return MonitorConfig(**fields)


def test_the_monitor_is_a_declared_stage_of_its_own_flow(tmp_path):
    """``synthscope monitor`` is declared like the audit stages, in the ``monitor`` flow, not in the audit's."""
    from synthscope.stages import monitor

    assert "monitor" not in pipeline().stages  # the audit flow and `synthscope stage` never run it
    pipe = pipeline("monitor")
    assert pipe.order == ("monitor",) and pipe.stages["monitor"] is monitor.STAGE
    code = _rel(pipe.code(Node("monitor")))
    assert {"synthscope/stages/monitor.py", "synthscope/monitor/novelty.py", "synthscope/report/monitor.py"} <= code
    cfg = _demo_monitor_config(tmp_path)
    paths = monitor.MonitorPaths(cfg.output_dir)
    assert pipe.expected_outputs("monitor", cfg) == [paths.novelty, paths.monitor_json, paths.report_html,
                                                      paths.summary_md, paths.history, cfg.store_dir]
    assert set(cfg.datasets()) == {"synthetic", "incoming"}


def test_the_monitor_dvc_stage_and_cache_key_come_from_its_declaration(tmp_path):
    from synthscope.orchestration.common import cache_key
    from synthscope.stages import monitor

    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["monitor"]  # generated: tests/integration/test_dvc.py
    assert spec["cmd"] == ("synthscope monitor --synthetic data/demo/synthetic --incoming data/demo/real_b "
                           "--output-dir ${out}/monitor --store-dir data/store --batch-id demo-real_b")
    assert spec["params"] == list(monitor.STAGE.params)
    assert spec["deps"][:2] == ["data/demo/synthetic", "data/demo/real_b"] and "${cfg}" not in spec["deps"]
    assert set(_rel(pipeline("monitor").code(Node("monitor")))) == {d for d in spec["deps"][2:] if d.startswith("synth")}
    assert spec["outs"][-1] == {"${out}/monitor/monitor_history.parquet": {"persist": True}}
    assert "${out}/monitor/monitor.json" in spec["outs"]  # no completion record: `synthscope monitor` keeps none

    pipe, node = pipeline("monitor"), Node("monitor")
    (tmp_path / "batch").mkdir()
    cfg = _demo_monitor_config(tmp_path)
    key = cache_key(cfg, node, [], pipe)
    assert set(key["datasets"]) == {"synthetic", "incoming"} and set(key["params"]) == set(monitor.STAGE.params)
    (tmp_path / "batch" / "new.png").write_bytes(b"x")  # a new file in the batch: a new key
    assert cache_key(cfg, node, [], pipe)["datasets"] != key["datasets"]
    tuned = _demo_monitor_config(tmp_path, params=load_params(None, {"monitor.k": 7}))
    assert cache_key(tuned, node, [], pipe)["params"]["monitor"]["k"] == 7 != key["params"]["monitor"]["k"]


def test_a_toy_stage_joins_the_monitor_flow_not_the_audit(tmp_path):
    from synthscope.stages.stage import DATASETS

    def run(config):
        return []

    toy = Stage(name="toy_alert", run=run, reads=("monitor.json",), writes=("alert.txt",), params=("monitor.k",),
                flow="monitor", command=lambda cfg, out: f"toy-alert {out}")
    register_stage(toy)
    try:
        assert [n.name for n in pipeline("monitor").nodes] == ["monitor", "toy_alert"]
        assert "toy_alert" not in pipeline().stages
        from synthscope.dvcgen import demo_monitor, flow_specs
        from synthscope.params import Params

        spec = flow_specs("monitor", demo_monitor(Path("data/store"), Params()), ROOT)["toy_alert"]
        assert spec["cmd"] == "toy-alert ${out}/monitor" and "${out}/monitor/monitor.json" in spec["deps"]
        assert spec["outs"] == ["${out}/monitor/alert.txt"]
    finally:
        unregister_stage("toy_alert")
    assert DATASETS in pipeline("monitor").stages["monitor"].reads and "toy_alert" not in pipeline("monitor").stages
