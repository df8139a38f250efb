"""Completion records: a stage's outputs are one unit, and a mix of two runs is refused.

Each output file is written atomically, but a stage writes several (debias: ``augmented/``,
``augmented_manifest.parquet``, ``augmented.json``): a run killed between two of them
leaves new files beside old ones. So every stage run goes through :func:`recorded`:

1. the records of the stages it reads from (every ancestor in ``synthscope.pipeline``) must say
   ``done`` and their files must still have the recorded hashes, and the datasets the
   output dir was ingested from must be this config's (``StageInputError`` otherwise);
2. temporary files and folders a killed run of this stage left (``.augmented.XXXX/``) are
   removed, and its record is set to ``running``;
3. the stage runs; then its record lists its outputs' sha256 (a folder: its file names and
   sizes) and says ``done``. A stage that raises gets its old record back when its old
   outputs are untouched, else ``failed``; a killed one stays ``running``.

Records live in ``<output_dir>/.stages/<stage>.json``. A stage without a record (outputs
from an older synthscope, or copied in by hand) is not checked. Hashing covers the stage's
own files only, never the feature store: a few MB per stage.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from synthscope.config import AuditConfig
from synthscope.errors import StageInputError, StorageError
from synthscope.fingerprint import file_sha256
from synthscope.io import JSONObject, read_json, write_json
from synthscope.logs import log
from synthscope.paths import OutputPaths
from synthscope.pipeline import Node, pipeline
from synthscope.stages import expected_outputs
from synthscope.stages.rescan import needed_sides

RECORDS = ".stages"


def record_path(output_dir: Path, stage: str) -> Path:
    return Path(output_dir) / RECORDS / f"{stage}.json"


def read_record(output_dir: Path, stage: str) -> JSONObject | None:
    path = record_path(output_dir, stage)
    try:
        return read_json(path) if path.is_file() else None
    except ValueError:
        return {"stage": stage, "state": "unreadable"}


def digest(path: Path) -> str:
    """sha256 of a file; of a folder, of its files' relative names and sizes (content would cost a read
    of every image; the augmented folder's own manifest holds each file's sha256)."""
    if not path.is_dir():
        return file_sha256(path)
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{file.relative_to(path).as_posix()}\0{file.stat().st_size}\n".encode("utf-8", "surrogateescape"))
    return "dir:" + h.hexdigest()


def _outputs(output_dir: Path, paths: list[Path]) -> dict[str, str]:
    root = Path(output_dir).resolve()
    out = {}
    for path in paths:
        full = Path(path).resolve()
        if full.exists() and full.is_relative_to(root) and full != root:
            out[full.relative_to(root).as_posix()] = digest(full)
    return out


def changed(output_dir: Path, record: JSONObject) -> list[str]:
    """The files of a ``done`` record whose content differs from the recorded hash (absent files do not count)."""
    root = Path(output_dir)
    return [rel for rel, sha in record.get("outputs", {}).items()
            if (root / rel).exists() and digest(root / rel) != sha]


def _datasets(config: AuditConfig) -> dict[str, str]:
    return {role: os.path.realpath(path) for role, path in config.datasets().items()}


def ancestors(stage: str) -> list[str]:
    return pipeline().ancestors(stage)


def side_ancestors(stage: str) -> list[Node]:
    """The runs in ``debias_<side>/`` that ``stage`` reads from (compare: the re-scans), with their ancestors."""
    pipe = pipeline()
    seen: list[Node] = []
    todo = [n for n in pipe.node_upstream(Node(stage)) if n.side]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.append(node)
            todo += [n for n in pipe.node_upstream(node) if n.side]
    return seen


def problem(output_dir: Path, stage: str) -> str | None:
    """Why ``stage``'s outputs in ``output_dir`` must not be read, or None (also when there is no record)."""
    record = read_record(output_dir, stage)
    if record is None:
        return None
    where, fix = f"{stage} outputs in {output_dir}", f"re-run `synthscope stage {stage}`"
    state = record.get("state")
    if state == "running":
        return f"{where} are incomplete: its run (pid {record.get('pid', '?')}) did not finish; {fix}"
    if state != "done":
        return f"{where} are incomplete (the last run {state}); {fix}"
    bad = changed(output_dir, record)
    if bad:
        return f"{where} mix two runs: {bad[0]} is not the file its run wrote (another run on the same --output-dir?); {fix}"
    return None


def check_inputs(stage: str, config: AuditConfig) -> None:
    """Refuse to run ``stage`` on a mix of runs or on another dataset's outputs (see the module docstring)."""
    out = Path(config.output_dir)
    for up in ancestors(stage):
        if (why := problem(out, up)) is not None:
            raise StageInputError(why)
    ingest = read_record(out, "ingest")
    if stage != "ingest" and ingest and ingest.get("datasets") not in (None, _datasets(config)):
        theirs = ", ".join(f"{role}={path}" for role, path in ingest["datasets"].items())
        raise StageInputError(f"{out} holds the outputs of an audit of {theirs}; pass those datasets, another "
                              "--output-dir, or re-run `synthscope stage ingest` first")
    for node in side_ancestors(stage):  # compare also reads the re-scans before and after debias
        assert node.side is not None
        if node.side not in needed_sides(config):  # debias built no set, or only "after" was re-scanned
            continue
        if (why := problem(OutputPaths(out).rescan_dir(node.side), node.stage)) is not None:
            raise StageInputError(f"{why} --rescan {node.side}")


def remove_leftovers(paths: list[Path]) -> None:
    """Temporary files and folders (``.<name>.XXXX``) a killed writer of ``paths`` left beside them."""
    for path in paths:
        if not path.parent.is_dir():
            continue
        for stray in path.parent.glob(f".{path.name}.*"):
            log.info("removing %s, left by an interrupted run", stray)
            if stray.is_dir() and not stray.is_symlink():
                shutil.rmtree(stray, ignore_errors=True)
            else:
                stray.unlink(missing_ok=True)


def begin(stage: str, config: AuditConfig) -> JSONObject | None:
    """Clean the stage's leftovers and mark it running; return its previous record."""
    out = Path(config.output_dir)
    old = read_record(out, stage)
    previous = [out / rel for rel in (old or {}).get("outputs", {})]
    remove_leftovers([Path(p) for p in expected_outputs(stage, config)] + previous)
    write_json(record_path(out, stage), {"stage": stage, "state": "running", "pid": os.getpid(),
                                         "started": time.strftime("%Y-%m-%dT%H:%M:%S")})
    return old


def finish(stage: str, config: AuditConfig, paths: list[Path]) -> None:
    out = Path(config.output_dir)
    record: JSONObject = {"stage": stage, "state": "done", "outputs": _outputs(out, paths)}
    if stage == "ingest":
        record["datasets"] = _datasets(config)
    write_json(record_path(out, stage), record)


def abandon(stage: str, config: AuditConfig, old: JSONObject | None, error: BaseException) -> None:
    """After a failed run: the old record if its files are untouched, else a ``failed`` one."""
    out = Path(config.output_dir)
    intact = old is not None and old.get("state") == "done" and not changed(out, old) and all(
        (out / rel).exists() for rel in old.get("outputs", {}))
    try:
        write_json(record_path(out, stage), old if intact else {"stage": stage, "state": f"failed ({type(error).__name__})"})
    except (StorageError, OSError) as exc:  # a full disk: the record stays "running" (also refused); keep the first error
        log.warning("could not record the failed %s run in %s: %s", stage, out, exc)


def recorded(stage: str, config: AuditConfig, run: Callable[[], list[Path]]) -> list[Path]:
    """Run ``run`` (the stage's work, writing ``stage``'s outputs) between the checks and records above."""
    check_inputs(stage, config)
    old = begin(stage, config)
    try:
        paths = run()
    except BaseException as exc:
        abandon(stage, config, old, exc)
        raise
    finish(stage, config, paths)
    return paths


def intact(stage: str, config: AuditConfig) -> bool:
    """True when ``stage``'s outputs are whole and from this config's datasets (or carry no record):
    the Prefect flow re-runs a cached stage whose files another run replaced."""
    if problem(Path(config.output_dir), stage) is not None:
        return False
    ingest = read_record(Path(config.output_dir), "ingest")
    return not ingest or ingest.get("datasets") in (None, _datasets(config))
