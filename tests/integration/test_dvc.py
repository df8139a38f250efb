"""DVC: dvc.yaml agrees with the stages; repro, a param change, exp run and metrics diff in a scratch repo."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthscope.dvcgen import dvc_text
from synthscope.pipeline import pipeline
from tests.cli_run import run_cli
from tests.conftest import FAST_PARAMS

ROOT = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
ALL_STAGES = ["demo", *(n.name for n in pipeline().nodes), *(n.name for n in pipeline("monitor").nodes)]  # monitor: on the demo


def test_checked_in_dvc_yaml_is_the_generated_one():
    assert (ROOT / "dvc.yaml").read_text() == dvc_text(root=ROOT), "dvc.yaml is stale: run `synthscope dvc --write`"


def test_dvc_check_names_the_fix_when_stale(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    stale = tmp_path / "dvc.yaml"
    stale.write_text((ROOT / "dvc.yaml").read_text().replace("    - synthscope/features/load.py\n", "", 1))
    code, err = run_cli(monkeypatch, capsys, "dvc", "--check", "--output", str(stale))
    assert code == 1 and "is stale" in err and "synthscope dvc --write" in err, err
    assert run_cli(monkeypatch, capsys, "dvc", "--check")[0] == 0


def test_dvc_yaml_lists_each_stage_with_what_it_reads():
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    stages = spec["stages"]
    assert list(stages) == ALL_STAGES
    pipe = pipeline()
    for node in pipe.nodes:
        stage = stages[node.name]
        rescan = f" --rescan {node.side}" if node.side else ""
        assert stage["cmd"] == f"synthscope stage {node.stage} --config ${{cfg}}{rescan}", node
        assert stage["params"] == list(pipe.stages[node.stage].params)
        assert f"synthscope/stages/{node.stage}.py" in stage["deps"], node
        if node.side:  # the re-scans read debias' summary (which set was rebalanced) and write only their folder
            assert "${out}/augmented.json" in stage["deps"] and "synthscope/stages/rescan.py" in stage["deps"]
            assert all(o.startswith(f"${{out}}/debias_{node.side}/") for o in stage["outs"]), node
    assert "synthscope/features/load.py" in stages["scan"]["deps"]  # imported inside scan's run()
    template = "synthscope/report/templates/report.html.j2"  # the monitor renders only its own template
    assert [name for name, stage in stages.items() if template in stage["deps"]] == ["report"]
    assert "synthscope/report/templates/monitor.html.j2" in stages["monitor"]["deps"]
    produced = {o if isinstance(o, str) else next(iter(o)) for s in stages.values() for o in s.get("outs", [])}
    produced |= {m for s in stages.values() for m in s.get("metrics", [])}
    assert stages["monitor"]["cmd"].startswith("synthscope monitor ")
    assert "monitor" in stages["monitor"]["params"] and "synthscope/stages/monitor.py" in stages["monitor"]["deps"]
    for name, stage in stages.items():  # every output file a stage reads is some stage's output
        reads = [d for d in stage["deps"] if d.startswith("${out}/")]
        assert set(reads) <= produced, name


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # stage commands find our synthscope
    return env


def _run(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{args}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def _ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A git + DVC copy of the tracked project with a small, fast demo (as a fresh clone would be)."""
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, repo / rel)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["demo"]["n_per_class"] = 15
    for dotted, value in FAST_PARAMS.items():
        section, key = dotted.split(".")
        params[section][key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    _run(["git", "init", "-q"], repo)
    _run(GIT + ["add", "-A"], repo)
    _run(GIT + ["commit", "-qm", "scratch"], repo)
    return repo


def _comparable(value):
    """Drop wall-clock fields and output folders (they differ by design); keep every measured number."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()
                if "second" not in k and "time" not in k and not k.endswith("_dir")}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _differences(a, b, path: str = "") -> list[str]:
    """Where two documents differ; floats compare to 1e-9 relative. Why: the same numbers computed in
    another process can differ in the last bit (BLAS blocking follows the thread count: one FID-inf
    subset point read 145.8142158279354 under dvc and 145.81421582793539 in the flow), while
    inputs, seeds and every other value are the same."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a} vs {b}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


@pytest.mark.slow
@pytest.mark.longest
def test_repro_then_noop_then_only_dependants_then_exp_and_metrics_diff(scratch_repo: Path, prefect_harness,
                                                                        monkeypatch: pytest.MonkeyPatch):
    repo = scratch_repo
    first = _run(["dvc", "repro"], repo)
    assert _ran(first) == set(ALL_STAGES), first[-2000:]
    metrics = json.loads((repo / "outputs/demo/metrics.json").read_text())
    assert metrics["fid"]["value"] > 0 and (repo / "outputs/demo/report.html").is_file()

    # The Prefect flow on the same config gives the same metrics and findings.
    from synthscope.orchestration.audit import audit_flow

    monkeypatch.chdir(repo)
    audit_flow(config="configs/demo.yaml", overrides={"output_dir": "outputs/flow"})
    for name in ("metrics.json", "bias.json", "debias.json", "debias_after/bias.json", "debias_before/bias.json"):
        dvc_side = json.loads((repo / "outputs/demo" / name).read_text())
        flow_side = json.loads((repo / "outputs/flow" / name).read_text())
        assert not (diff := _differences(_comparable(flow_side), _comparable(dvc_side))), (name, diff[:5])

    again = _run(["dvc", "repro"], repo)
    assert _ran(again) == set(), again

    # Editing a report template changes the report stage's deps only.
    template = repo / "synthscope/report/templates/report.html.j2"
    original = template.read_text()
    template.write_text(original + "{# edited #}\n")
    status = json.loads(_run(["dvc", "status", "--json"], repo))
    assert set(status) == {"report"}, status
    template.write_text(original)

    _run(GIT + ["add", "-A"], repo)
    _run(GIT + ["commit", "-qm", "first audit"], repo)

    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["ingest"]["min_side"] = 8  # no demo image is that small: the manifest does not change
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    changed = _run(["dvc", "repro"], repo)
    assert "ingest" in _ran(changed) and not _ran(changed) & {"demo", "features", "scan", "score"}, changed[-2000:]

    # A near-copy param: what DVC would re-run is the three scans and debias, never ingest, features
    # or score (which reads only near_copy.mem_*). Asked of `dvc status`, not run: that the stages after them follow
    # is DVC's own behaviour, and running them cost a minute of this test.
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["near_copy"]["dup_cosine"] = 0.9
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    status = json.loads(_run(["dvc", "status", "--json"], repo))
    assert set(status) == {"scan", "debias", "scan_before", "scan_after"}, status
    _run(["git", "checkout", "--", "params.yaml"], repo)
    _run(["dvc", "checkout", "-q"], repo)

    # The experiment targets the score stage: what follows it (compare, report, monitor) is DVC's own
    # propagation, checked by the first repro above, and cost 30 s here.
    exp = _run(["dvc", "exp", "run", "score", "--set-param", "score.prdc_k=3"], repo)
    assert _ran(exp) == {"score"}, exp[-2000:]
    diff = _run(["dvc", "metrics", "diff", "--json"], repo)
    changes = json.loads(diff)
    assert "outputs/demo/metrics.json" in changes and any("precision" in k for k in changes["outputs/demo/metrics.json"])
