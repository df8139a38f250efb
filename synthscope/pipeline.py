"""The pipeline, derived from the stage declarations (``synthscope.stages.stage.Stage``).

Every module of ``synthscope.stages`` that defines ``STAGE`` is a stage; ``register_stage``
adds one from elsewhere (a plugin, a test). From that set this module derives what used to
be written by hand in four places: the order, each stage's upstream stages (the stages that
write what it reads), the re-scans around debias (the ``before:``/``after:`` reads), the
files a finished stage leaves, and each stage's code (``synthscope.codedeps``). The Prefect
flow (``orchestration.audit``), ``dvc.yaml`` (``synthscope.dvcgen``), the completion
records and the README's stage table are built from it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

from synthscope.codedeps import code_files
from synthscope.config import AuditConfig
from synthscope.errors import ConfigError
from synthscope.paths import OutputPaths
from synthscope.stages.stage import AUDIT, DATASETS, SIDES, STORE, Stage, StageConfig, output_path, split_side

RESCAN_MODULE = "synthscope.stages.rescan"  # derives the config of each side; its reads are every side node's
SIDE_READS = ("augmented_summary", "augmented_dir")  # what rescan_config and the after side read from debias


@dataclass(frozen=True)
class Node:
    """One run of a stage: in the audit's output dir (``side`` None) or in a re-scan's (``debias_<side>/``)."""

    stage: str
    side: str | None = None

    @property
    def name(self) -> str:
        """``scan`` or ``scan_after``: the Prefect task and ``dvc.yaml`` stage name."""
        return self.stage if self.side is None else f"{self.stage}_{self.side}"


class Pipeline:
    """A validated set of stages: every file read is written by exactly one stage, and no cycles."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages: dict[str, Stage] = {}
        for stage in stages:
            if stage.name in self.stages:
                raise ConfigError(f"two stages are named {stage.name!r} ({self.stages[stage.name].module}, {stage.module})")
            self.stages[stage.name] = stage
        self.writer: dict[str, str] = {}
        for stage in self.stages.values():
            for name in stage.writes:
                if name in self.writer and name != STORE:
                    raise ConfigError(f"{name!r} is written by both {self.writer[name]} and {stage.name}")
                self.writer.setdefault(name, stage.name)
        for stage in self.stages.values():
            rescans = any(split_side(ref)[0] for ref in stage.reads)
            for ref in (*stage.reads, *(SIDE_READS if rescans else ())):
                name = split_side(ref)[1]
                if name not in (DATASETS, STORE) and name not in self.writer:
                    raise ConfigError(f"stage {stage.name} reads {ref!r}, which no stage writes")
        self.order = self._order()
        self.nodes = self._nodes()

    # --- the graph -------------------------------------------------------------------------
    def _side_reads(self, stage: str) -> list[Node]:
        return [Node(self.writer[name], side) for side, name in map(split_side, self.stages[stage].reads)
                if side is not None and name not in (DATASETS, STORE)]

    def upstream(self, stage: str) -> tuple[str, ...]:
        """The stages whose outputs ``stage`` reads in its own output dir, in pipeline order once built."""
        ups = {self.writer[name] for side, name in map(split_side, self.stages[stage].reads)
               if side is None and name not in (DATASETS, STORE)} - {stage}
        return tuple(s for s in getattr(self, "order", sorted(ups)) if s in ups)

    def ancestors(self, stage: str) -> list[str]:
        seen: list[str] = []
        todo = list(self.upstream(stage))
        while todo:
            up = todo.pop()
            if up not in seen:
                seen.append(up)
                todo += self.upstream(up)
        return seen

    def _order(self) -> tuple[str, ...]:
        """Topological, ties by depth then name: ingest, features, scan, score, debias, compare, report."""
        depth: dict[str, int] = {}

        def visit(stage: str, path: tuple[str, ...]) -> int:
            if stage in path:
                raise ConfigError(f"the stages read each other in a cycle: {' -> '.join((*path, stage))}")
            if stage not in depth:
                ups = [*self.upstream(stage), *(n.stage for n in self._side_reads(stage))]
                depth[stage] = 1 + max((visit(u, (*path, stage)) for u in ups), default=-1)
            return depth[stage]

        for stage in self.stages:
            visit(stage, ())
        return tuple(sorted(self.stages, key=lambda s: (depth[s], s)))

    def node_upstream(self, node: Node) -> tuple[Node, ...]:
        """The runs ``node`` waits for: its upstream in its own dir; a side run also waits for debias,
        and reads the same stage's run in the audit's dir (copied when debias built no set)."""
        ups = [Node(s, node.side) for s in self.upstream(node.stage)]
        if node.side is None:
            ups += self._side_reads(node.stage)
        else:
            ups += [Node(self.writer[name]) for name in SIDE_READS] + [Node(node.stage)]
        return tuple(dict.fromkeys(ups))

    def _nodes(self) -> tuple[Node, ...]:
        """Every run, in a topological order: the side runs right after the stage they re-scan from."""
        wanted: list[Node] = [Node(s) for s in self.order]
        todo = [n for s in self.order for n in self._side_reads(s)]
        while todo:
            node = todo.pop()
            if node not in wanted:
                wanted.append(node)
                todo += [Node(s, node.side) for s in self.upstream(node.stage)]
        anchor = max((self.order.index(self.writer[n]) for n in SIDE_READS if n in self.writer), default=0)

        def key(node: Node) -> tuple[int, int, int]:
            if node.side is None:
                return (self.order.index(node.stage), 0, 0)
            return (anchor, 1 + SIDES.index(node.side), self.order.index(node.stage))

        done: list[Node] = []
        while len(done) < len(wanted):
            ready = [n for n in wanted if n not in done and all(u in done for u in self.node_upstream(n))]
            done.append(min(ready, key=key))
        return tuple(done)

    @property
    def rescanned(self) -> tuple[str, ...]:
        """The stages the pipeline also runs on the sets before and after debias."""
        return tuple(s for s in self.order if any(n.stage == s and n.side for n in self.nodes))

    # --- files and code --------------------------------------------------------------------
    def expected_outputs(self, stage: str, config: AuditConfig | StageConfig) -> list[Path]:
        """Files a finished stage leaves behind: a cached result whose files are gone must re-run."""
        return [Path(config.store_dir) if name == STORE else output_path(config.output_dir, name)
                for name in self.stages[stage].writes]

    def node_dir(self, node: Node, output_dir: Path) -> Path:
        return Path(output_dir) if node.side is None else OutputPaths(Path(output_dir)).rescan_dir(node.side)

    def code(self, node: Node) -> tuple[Path, ...]:
        """The files of the node's code: its stage module's imports (and the re-scan's, for a side run)."""
        modules = (self.stages[node.stage].module, *((RESCAN_MODULE,) if node.side else ()))
        return code_files(*modules)

    def param_keys(self, stage: str) -> tuple[str, ...]:
        return self.stages[stage].params


def get(pipeline: Pipeline, name: str) -> Stage:
    if name not in pipeline.stages:
        raise ConfigError(f"unknown stage {name!r}; choose one of {', '.join(pipeline.order)}")
    return pipeline.stages[name]


_registered: dict[str, Stage] = {}


def register_stage(stage: Stage) -> Stage:
    """Add a stage declared outside ``synthscope.stages`` (a plugin); it joins the next ``pipeline()``."""
    _registered[stage.name] = stage
    pipeline.cache_clear()
    return stage


def unregister_stage(name: str) -> None:
    _registered.pop(name, None)
    pipeline.cache_clear()


def discover(package: str = "synthscope.stages") -> list[Stage]:
    """The ``STAGE`` of every module in ``package`` (of every flow)."""
    root = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.{info.name}")
        if isinstance(stage := getattr(module, "STAGE", None), Stage):
            found.append(stage)
    return found


@functools.cache
def pipeline(flow: str = AUDIT) -> Pipeline:
    """The stages of ``flow`` (the audit's by default; ``"monitor"``: ``synthscope monitor``'s),
    synthscope's and the registered ones (built once per process; registering rebuilds)."""
    return Pipeline([s for s in (*discover(), *_registered.values()) if s.flow == flow])


TABLE_BEGIN = "<!-- stages: generated by `synthscope stages --write README.md` -->"
TABLE_END = "<!-- /stages -->"


def _files(stage: Stage, names: tuple[str, ...]) -> str:
    shown = []
    for ref in names:
        side, name = split_side(ref)
        text = {DATASETS: "the datasets", STORE: "feature store"}.get(name) or output_path(Path(), name).as_posix()
        shown.append(f"`{side}: {text}`" if side else (f"`{text}`" if name not in (DATASETS, STORE) else text))
    return ", ".join(shown)


def stage_table(pipe: Pipeline) -> str:
    """The README's stage table: what each stage does, reads, writes and which params it depends on."""
    rows = ["| stage | what it does | reads | writes (under `output_dir`) | params |", "|---|---|---|---|---|"]
    for name in pipe.order:
        stage = pipe.stages[name]
        words = re.sub(r"^\w+ stage: ", "", stage.description).replace("``", "`").rstrip(".")
        rows.append(f"| {name} | {words} | {_files(stage, stage.reads)} | "
                    f"{_files(stage, stage.writes)} | {', '.join(f'`{p}`' for p in stage.params)} |")
    if pipe.rescanned:
        rows.append(f"| {', '.join(pipe.rescanned)} `--rescan before/after` | the same stages on the sets around "
                    "debias, for compare | | `debias_before/`, `debias_after/` | |")
    return "\n".join(rows)


def with_stage_table(text: str, pipe: Pipeline) -> str:
    """``text`` (the README) with the block between the stage-table markers regenerated."""
    start, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ConfigError(f"no stage table markers ({TABLE_BEGIN} ... {TABLE_END}); add them where the table goes")
    return text[: start + len(TABLE_BEGIN)] + "\n" + stage_table(pipe) + "\n" + text[end:]
