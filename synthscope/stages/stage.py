"""The one declaration of a stage: what it runs, reads, writes and which params it depends on.

Each stage module ends with ``STAGE = Stage(...)``. Everything else about the pipeline is
derived from the set of declarations (``synthscope.pipeline``): the order, each stage's
upstream stages, the files a finished stage leaves (``expected_outputs``), the Prefect flow
and its cache keys, the generated ``dvc.yaml`` and the README's stage table.

Files are named, in ``reads`` and ``writes``, by an ``OutputPaths`` property
(``"manifest"``), or by a path below the output dir with a dot or a slash (``"toy.json"``);
``"before:findings"`` is that file in the re-scan of the set before debias
(``stages.rescan``). Two names are not files of the output dir: ``DATASETS`` (the config's
synthetic and real sets, only read) and ``STORE`` (the shared feature store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from synthscope.paths import OutputPaths

DATASETS = "datasets"
STORE = "store"
SIDES = ("before", "after")

AUDIT = "audit"


class StageConfig(Protocol):
    """What a stage's ``run`` gets: an ``AuditConfig`` (the audit flow) or, for the monitor flow,
    ``stages.monitor.MonitorConfig``; the caches and ``dvc.yaml`` read only these members."""

    output_dir: Path
    store_dir: Path
    params: Any

    def datasets(self) -> dict[str, Path]: ...


StageFn = Callable[[Any], list[Path]]  # (an AuditConfig, or the config of the stage's flow) -> paths written
CommandFn = Callable[[Any, str], str]  # (config, its output dir as dvc.yaml writes it) -> shell command


def split_side(ref: str) -> tuple[str | None, str]:
    """``"after:findings"`` -> ``("after", "findings")``; ``"findings"`` -> ``(None, "findings")``."""
    side, sep, name = ref.partition(":")
    return (side, name) if sep else (None, ref)


def is_output_name(name: str) -> bool:
    return isinstance(getattr(OutputPaths, name, None), property) or "." in name or "/" in name


def output_path(root: Path, name: str) -> Path:
    """The file ``name`` (no side prefix) below the output dir ``root``."""
    if isinstance(getattr(OutputPaths, name, None), property):
        return getattr(OutputPaths(Path(root)), name)
    return Path(root) / name


@dataclass(frozen=True)
class Stage:
    """A pipeline stage. ``run(config)`` does the work and returns the paths it wrote.

    ``params``: params.yaml sections (``"scan"``) or single keys (``"near_copy.mem_cosine"``)
    the stage reads: they key its Prefect cache and are its ``dvc.yaml`` ``params``.
    ``document``: the typed document its main JSON output validates against, if any.
    ``metrics``/``persist``: outputs ``dvc.yaml`` lists as ``metrics`` / keeps between runs.
    ``plots``: ``(csv under the output dir, DVC plot properties)`` for ``dvc.yaml``'s ``plots``.
    ``flow``: the pipeline the stage belongs to: ``"audit"`` (``synthscope audit``, ``synthscope
    stage``) or another one built from its own declarations (``"monitor"``: ``synthscope monitor``).
    ``command``: how ``dvc.yaml`` runs the stage for a config; None: ``synthscope stage NAME
    --config ${cfg}``, which reads the config file and keeps the stage's completion record.
    """

    name: str
    run: StageFn
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    params: tuple[str, ...]
    document: type[BaseModel] | None = None
    metrics: tuple[str, ...] = ()
    persist: tuple[str, ...] = ()
    plots: tuple[tuple[str, dict[str, object]], ...] = ()
    flow: str = AUDIT
    command: CommandFn | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.flow.isidentifier():
            raise ValueError(f"stage name {self.name!r} (flow {self.flow!r}): use letters, digits and underscores")
        for ref in self.reads:
            side, name = split_side(ref)
            if side not in (None, *SIDES) or not (name in (DATASETS, STORE) or is_output_name(name)):
                raise ValueError(f"stage {self.name}: cannot read {ref!r}; name an OutputPaths property, "
                                 f"a path with a dot or slash, {DATASETS!r} or {STORE!r} (side prefix: before:/after:)")
        for name in self.writes:
            if not (name == STORE or is_output_name(name)):
                raise ValueError(f"stage {self.name}: cannot write {name!r}; name an OutputPaths property or a path")
        for name in (*self.metrics, *self.persist):
            if name not in self.writes:
                raise ValueError(f"stage {self.name}: {name!r} is not among its writes")

    @property
    def module(self) -> str:
        """The module that declares (and runs) the stage: its code's root for the caches."""
        return self.run.__module__

    @property
    def description(self) -> str:
        """The first line of the stage module's docstring (the README table's words)."""
        import sys

        doc = (sys.modules[self.module].__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""
