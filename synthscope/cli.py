"""The ``synthscope`` command line: thin adapters over the stage ``run`` functions.

Exit codes: 0 success; 1 an error a user can cause or fix (one line naming the fix: a bad
value, a missing input, a busy output dir, a full disk); 2 quality gates crossed
(``audit --fail-on``); 3 an unexpected crash, a bug, whose traceback goes to a log file
whose path is printed (``synthscope.failures``).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypedDict

import click
import typer

from synthscope.config import AuditConfig, load_config
from synthscope.errors import ConfigError, SynthscopeError, echo
from synthscope.failures import EXIT_CRASH, EXIT_USER, crash_line, error_line, os_error_line
from synthscope.io import JSONObject
from synthscope.logs import setup_logging
from synthscope.runlock import output_lock
from synthscope.yaml_safe import load_yaml

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Audit synthetic image datasets for bias, quality and memorisation.",
)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Audit config YAML (configs/*.yaml).")]
SyntheticOpt = Annotated[str | None, typer.Option("--synthetic", help="Synthetic dataset: ImageFolder or .csv/.parquet manifest.")]
RealOpt = Annotated[str | None, typer.Option("--real", help="Real reference dataset, same forms as --synthetic.")]
OutputOpt = Annotated[str | None, typer.Option("--output-dir", help="Where this audit's outputs go.")]
StoreOpt = Annotated[str | None, typer.Option("--store-dir", help="Feature store directory (shared between audits).")]
ParamsOpt = Annotated[Path | None, typer.Option("--params", help="Params file (default: ./params.yaml).")]
LabelsOpt = Annotated[
    str | None,
    typer.Option("--labels", help="Where class labels come from: auto, folder, none or manifest (docs/data.md)."),
]
ImageColumnOpt = Annotated[str | None, typer.Option("--image-column", help="Hugging Face datasets: the Image column.")]
LabelColumnOpt = Annotated[
    str | None, typer.Option("--label-column", help="Manifests and Hugging Face datasets: the label column.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a param: SECTION.KEY=VALUE (YAML value), repeatable."),
]


def label_sets(labels: str | None, image_column: str | None, label_column: str | None) -> JSONObject:
    """``--labels``/``--image-column``/``--label-column`` as ``ingest.*`` overrides (names stay text, not YAML)."""
    given = {"ingest.labels": labels, "ingest.image_column": image_column, "ingest.label_column": label_column}
    return {k: v for k, v in given.items() if v is not None}


def parse_sets(sets: list[str] | None, extra: JSONObject | None = None) -> JSONObject:
    """``["scan.seed=3"]`` -> ``{"scan.seed": 3}``; the value is parsed as YAML. ``extra`` overrides win."""
    out: JSONObject = dict(extra or {})
    for item in sets or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {echo(item)}: use SECTION.KEY=VALUE, for example scan.seed=1")
        out.setdefault(key.strip(), load_yaml(value, f"--set {echo(key.strip(), bare=True)}"))
    return out


# The options that pick an audit config, declared once: ``@config_options`` adds them to a command.
CONFIG_OPTIONS: dict[str, Any] = {"config": ConfigOpt, "synthetic": SyntheticOpt, "real": RealOpt,
                                  "output_dir": OutputOpt, "store_dir": StoreOpt, "params": ParamsOpt, "set_": SetOpt,
                                  "labels": LabelsOpt, "image_column": ImageColumnOpt, "label_column": LabelColumnOpt}


@dataclass(frozen=True)
class ConfigArgs:
    """What the config options said (``None``: not given)."""

    config: Path | None = None
    synthetic: str | None = None
    real: str | None = None
    output_dir: str | None = None
    store_dir: str | None = None
    params: Path | None = None
    set_: list[str] | None = None
    labels: str | None = None
    image_column: str | None = None
    label_column: str | None = None

    def overrides(self) -> dict[str, str]:
        """The config keys given on the command line."""
        given = {"synthetic": self.synthetic, "real": self.real, "output_dir": self.output_dir,
                 "store_dir": self.store_dir}
        return {k: v for k, v in given.items() if v is not None}

    def param_overrides(self) -> JSONObject:
        """``--set`` and the label options as dotted params keys."""
        return parse_sets(self.set_, label_sets(self.labels, self.image_column, self.label_column))

    def build(self) -> AuditConfig:
        return load_config(self.config, self.overrides(), self.params, self.param_overrides())


def config_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the options of ``CONFIG_OPTIONS``; it receives them as ``args: ConfigArgs``."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "args"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
              for name, annotation in CONFIG_OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(*positional: Any, **kwargs: Any) -> None:
        args = ConfigArgs(**{name: kwargs.pop(name, None) for name in CONFIG_OPTIONS})
        return command(*positional, args=args, **kwargs)

    wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
    return wrapper


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where to write the demo datasets.")] = Path("data/demo"),
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (default: params.yaml demo.seed).")] = None,
    params: ParamsOpt = None,
    digits: Annotated[bool, typer.Option(help="Also export scikit-learn's digits as an ImageFolder.")] = False,
) -> None:
    """Generate the built-in demo datasets (real-like shapes, biased and unbiased synthetic)."""
    from synthscope.config import load_params
    from synthscope.demo.digits import export_digits
    from synthscope.demo.generate import write_demo

    demo_params = load_params(params).demo
    written = write_demo(out, demo_params, seed=seed)
    for role, path in written.items():
        typer.echo(f"{role}: {path}")
    if digits:
        typer.echo(f"digits: {export_digits(out / 'digits')}")


@app.command()
@config_options
def stage(
    name: Annotated[str, typer.Argument(help="A stage: ingest, features, scan, score, debias, compare, report.")],
    rescan: Annotated[
        str | None,
        typer.Option(help="before|after: run ingest, features or scan on the set around debias (debias_<side>/)."),
    ] = None,
    *,
    args: ConfigArgs,
) -> None:
    """Run one stage without Prefect (this is what dvc.yaml calls)."""
    from synthscope.stages import run_stage
    from synthscope.stages.rescan import rescan_config, rescanned

    cfg = args.build()
    with output_lock(cfg.output_dir):  # the audit's own dir, also for a re-scan in its debias_<side>/
        if rescan is not None:
            if name not in rescanned():
                raise ConfigError(f"--rescan applies to {', '.join(rescanned())}, not {echo(name)}")
            cfg = rescan_config(cfg, rescan)
        for path in run_stage(name, cfg):
            typer.echo(str(path))


class FailOn(StrEnum):
    warn = "warn"
    fail = "fail"


@app.command()
@config_options
def audit(
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 2 when the verdict is this bad or worse (params.yaml gates)."),
    ] = None,
    *,
    args: ConfigArgs,
) -> None:
    """Run the whole pipeline as a Prefect flow."""
    from synthscope.orchestration.server import run_audit

    cfg = args.build()
    with output_lock(cfg.output_dir):  # taken before Prefect starts: a busy dir fails at once
        result = run_audit(
            config=str(args.config) if args.config else None,
            overrides=args.overrides(),
            params_file=str(args.params) if args.params else None,
            param_overrides=args.param_overrides(),
        )
    typer.echo(f"outputs: {cfg.output_dir}")
    for path in result:
        typer.echo(str(path))
    exit_on_verdict(cfg, None if fail_on is None else fail_on.value)


@app.command()
def serve(
    config: Annotated[Path, typer.Option("--config", "-c", help="Audit config YAML to run on the schedule.")] = Path(
        "configs/demo.yaml"
    ),
    cron: Annotated[str | None, typer.Option(help="Cron schedule, e.g. '0 3 * * *'; omit for UI-triggered runs only.")] = (
        "0 3 * * *"
    ),
    params: ParamsOpt = None,
    monitor: Annotated[bool, typer.Option("--monitor", help="Serve the monitor flow on --watch instead of the audit.")] = False,
    synthetic: Annotated[str | None, typer.Option(help="--monitor: the training data.")] = None,
    real: Annotated[str | None, typer.Option(help="--monitor: real training data, if any.")] = None,
    watch: Annotated[str | None, typer.Option(help="--monitor: the folder whose new files each run scores.")] = None,
    output_dir: Annotated[str | None, typer.Option(help="--monitor: outputs, history and state.")] = None,
    store_dir: Annotated[str, typer.Option(help="--monitor: the feature store.")] = "data/store",
) -> None:
    """Serve the audit flow (or, with --monitor, the monitor flow) as a Prefect deployment on a cron schedule.

    Needs PREFECT_API_URL (see `make ui`)."""
    if monitor:
        if not (synthetic and watch and output_dir):
            raise ConfigError("serve --monitor needs --synthetic TRAIN --watch FOLDER --output-dir DIR")
        from synthscope.orchestration.monitor import serve_monitor

        serve_monitor(synthetic, watch, output_dir, real, store_dir, cron or None, str(params) if params else None)
        return
    from synthscope.orchestration.deploy import serve as serve_flow

    serve_flow(str(config), cron or None, str(params) if params else None)


@app.command()
def monitor(
    synthetic: Annotated[str, typer.Option("--synthetic", help="Training data: ImageFolder or .csv/.parquet manifest.")],
    incoming: Annotated[str, typer.Option("--incoming", help="The incoming batch: folder or manifest, usually unlabelled.")],
    output_dir: Annotated[str, typer.Option("--output-dir", help="Where monitor.json, novelty.parquet and the report go.")],
    real: Annotated[str | None, typer.Option("--real", help="Real training data, if the model also saw some.")] = None,
    store_dir: Annotated[str, typer.Option("--store-dir", help="Feature store (training embeddings are served from it).")] = (
        "data/store"
    ),
    batch_id: Annotated[str | None, typer.Option(help="The batch's id in the history (default: from its content).")] = None,
    history: Annotated[Path | None, typer.Option(help="History Parquet (default: OUTPUT_DIR/monitor_history.parquet).")] = None,
    predictions: Annotated[Path | None, typer.Option(help="CSV path,predicted[,confidence] of your model on the batch.")] = None,
    params: ParamsOpt = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="SECTION.KEY=VALUE, repeatable.")] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 2 when the verdict is this bad or worse (params.yaml monitor: gates)."),
    ] = None,
) -> None:
    """Monitor incoming images for what the training data never showed (docs/monitoring.md)."""
    from synthscope.config import load_params
    from synthscope.stages.monitor import monitor_once

    out = Path(output_dir)
    with output_lock(out):
        doc = monitor_once(Path(synthetic), None if real is None else Path(real), Path(incoming), out,
                           Path(store_dir), load_params(params, parse_sets(set_)), batch_id, history,
                           predictions=predictions)
    typer.echo(f"monitor: {doc.uncovered} of {doc.n_images} incoming images uncovered "
               f"({doc.uncovered_share.value:.0%}; training reference {doc.reference_share.value:.0%})")
    for cluster in doc.clusters:
        typer.echo(f"  cluster {cluster.cluster}: {cluster.description}")
    typer.echo(f"report: {out / 'monitor.html'} (verdict: {doc.verdict})")
    if fail_on is not None and crosses_verdict(doc.verdict, fail_on.value):
        typer.echo(f"monitor gates crossed: verdict {doc.verdict} (--fail-on {fail_on.value})", err=True)
        raise typer.Exit(2)


def crosses_verdict(verdict: str, fail_on: str) -> bool:
    from synthscope.report.gates import crosses

    return crosses(verdict, fail_on)


def exit_on_verdict(cfg: AuditConfig, fail_on: str | None) -> None:
    """Print the report path and verdict; exit 2 when ``--fail-on`` is crossed."""
    from synthscope.paths import OutputPaths
    from synthscope.report.gates import crosses
    from synthscope.stages.report import read_verdict

    verdict = read_verdict(cfg)
    typer.echo(f"report: {OutputPaths(cfg.output_dir).report_html} (verdict: {verdict})")
    if fail_on is not None and crosses(verdict, fail_on):
        typer.echo(f"quality gates crossed: verdict {verdict} (--fail-on {fail_on})", err=True)
        raise typer.Exit(2)


class Loader(TypedDict):
    """How ``synthscope fid`` reads and embeds a folder (``features.folder.embed_folder``'s keywords)."""

    batch_size: int
    num_workers: int
    device: str


def _fid_side(path: Path, extractor: str, weights: Path | None, loader: Loader):
    """A folder of images -> its statistics through the extractor; an .npz -> saved stats."""
    from synthscope.metrics.features_to_stats import features_to_stats, load_stats

    if path.suffix == ".npz":
        return load_stats(path), None
    from synthscope.features.folder import embed_folder

    embedded = embed_folder(path, extractor, weights, **loader)
    return features_to_stats(embedded.features), embedded.extractor


def _device(name: str | None) -> str:
    """pytorch-fid's default: cuda when available, else cpu; a named device must exist."""
    import torch

    if name is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.empty(0, device=name)
    except (RuntimeError, AssertionError) as exc:
        raise ConfigError(f"--device {echo(name)} is not available here ({str(exc).splitlines()[0]}); "
                          "use --device cpu") from exc
    return name


@app.command()
def fid(
    dir_a: Annotated[Path, typer.Argument(help="Image folder, or an .npz of saved mu/sigma statistics.")],
    dir_b: Annotated[Path, typer.Argument(help="Image folder, or an .npz of saved mu/sigma statistics.")],
    extractor: Annotated[str, typer.Option(help="auto, inception-fid, mobilenet-v2 or a registered extractor.")] = "auto",
    weights: Annotated[Path | None, typer.Option(help="Explicit weights file for the extractor.")] = None,
    save_stats: Annotated[Path | None, typer.Option(help="Also save DIR_A's statistics (mu, sigma) to this .npz.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per forward pass (pytorch-fid's default).")] = 50,
    num_workers: Annotated[int | None, typer.Option(min=0, help="Decode processes (default: min(8, CPUs)).")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:0 ... (default: cuda if available).")] = None,
) -> None:
    """Frechet distance of two image folders, or a folder and saved mu/sigma (.npz), as
    ``python -m pytorch_fid A B``; the last printed line is the number."""
    import os

    from synthscope.metrics.features_to_stats import save_stats as write_stats
    from synthscope.metrics.frechet_distance import frechet_distance
    from synthscope.metrics.metric import distance_label

    if save_stats is not None and dir_a.suffix == ".npz":
        raise ConfigError(f"--save-stats: {dir_a} already is saved statistics; pass an image folder first")
    workers = min(8, os.cpu_count() or 1) if num_workers is None else num_workers
    loader = Loader(batch_size=batch_size, num_workers=workers, device=_device(device))
    stats_a, info_a = _fid_side(dir_a, extractor, weights, loader)
    stats_b, info_b = _fid_side(dir_b, extractor, weights, loader)
    if save_stats is not None:
        write_stats(save_stats, stats_a)
    info = info_a or info_b
    label = distance_label(info) if info else "Frechet distance (saved statistics)"
    sizes = " vs ".join(str(s.n) if s.n else "not recorded" for s in (stats_a, stats_b))  # old .npz: no n
    typer.echo(f"{label}; N = {sizes}")
    typer.echo(f"{frechet_distance(stats_a, stats_b):.6f}")


def _metric_lines(result: dict) -> list[str]:
    """Human-readable lines of a ``synthscope.compare`` result."""
    lines = [f"synthetic {result['n_synthetic']} vs real {result['n_real']}; network: {result['extractor']['name']}"]
    fid = result["fid"]
    lines.append(f"{fid['label']}: {fid['value']:.4f} [{fid['ci95'][0]:.4f}, {fid['ci95'][1]:.4f}]")
    lines += [f"  warning: {w}" for w in fid.get("warnings", [])]
    kid = result["kid"]
    lines.append(f"KID: {kid['value']:.6f} [{kid['ci95'][0]:.6f}, {kid['ci95'][1]:.6f}]")
    for key in ("precision", "recall", "density", "coverage"):
        m = result[key]
        lines.append(f"{key}: {m['value']:.4f} [{m['ci95'][0]:.4f}, {m['ci95'][1]:.4f}] (k={m['k']})")
    lines.append(f"intervals: precision..coverage by {result['precision']['method']}")
    for role, counts in result.get("feature_store", {}).items():
        if role != "dir":
            lines.append(f"{role} features: computed {counts['computed']}, served from the store {counts['cached']}")
    return lines


@app.command()
def metrics(
    synthetic: Annotated[str, typer.Argument(help="Image folder, .npy (N x D features) or .npz with a 'features' array.")],
    real: Annotated[str, typer.Argument(help="Same forms as SYNTHETIC.")],
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object (metrics.json's feature entries).")] = False,
    extractor: Annotated[str | None, typer.Option(help="Folders: auto, inception-fid, mobilenet-v2 or a registered extractor.")] = None,
    weights: Annotated[Path | None, typer.Option(help="Folders: explicit weights file for the extractor.")] = None,
    k: Annotated[int | None, typer.Option("--k", help="Neighbours for precision/recall/density/coverage.")] = None,
    store_dir: StoreOpt = None,
    params: ParamsOpt = None,
    set_: SetOpt = None,
    labels: LabelsOpt = None,
    image_column: ImageColumnOpt = None,
    label_column: LabelColumnOpt = None,
) -> None:
    """FID, KID, precision, recall, density and coverage of two folders or feature files."""
    import json

    from synthscope.api import compare
    from synthscope.config import load_params

    if k is not None and k < 1:
        raise ConfigError(f"--k {k}: use 1 or more neighbours")
    result = compare(synthetic, real, extractor=extractor, weights=weights, k=k,
                     store_dir=store_dir or "data/store",
                     params=load_params(params, parse_sets(set_, label_sets(labels, image_column, label_column))))
    if json_:
        typer.echo(json.dumps(result, indent=2))
        return
    for line in _metric_lines(result):
        typer.echo(line)


@app.command()
def schema(
    name: Annotated[str | None, typer.Argument(help="ingest, features, bias, metrics, augmented, debias or report")] = None,
    write: Annotated[Path | None, typer.Option(help="Write every document's schema as DIR/NAME.json instead.")] = None,
) -> None:
    """Print the JSON Schema of a stage document (or write them all: --write docs/schemas)."""
    from synthscope.documents import DOCUMENTS, schema_text, write_schemas

    if write is not None:
        for path in write_schemas(write):
            typer.echo(str(path))
        return
    if name is None:
        raise ConfigError(f"name a document: synthscope schema NAME, NAME one of {', '.join(DOCUMENTS.names())}")
    typer.echo(schema_text(name), nl=False)


@app.command()
def dvc(
    write: Annotated[bool, typer.Option("--write", help="Write the file instead of printing it.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when the file is not what the stages generate.")] = False,
    config: Annotated[Path, typer.Option("--config", "-c", help="The audit config dvc.yaml runs.")] = Path(
        "configs/demo.yaml"),
    output: Annotated[Path, typer.Option("--output", help="The file to write or check.")] = Path("dvc.yaml"),
) -> None:
    """dvc.yaml, generated from the stage declarations (each stage's reads, writes, params and code)."""
    from synthscope import dvcgen
    from synthscope.io import write_text

    if check:
        dvcgen.check(output, config)
        typer.echo(f"{output} is up to date")
    elif write:
        typer.echo(str(write_text(output, dvcgen.dvc_text(config))))
    else:
        typer.echo(dvcgen.dvc_text(config), nl=False)


@app.command()
def stages(
    write: Annotated[Path | None, typer.Option(help="Regenerate the stage table in this file (README.md).")] = None,
    check: Annotated[Path | None, typer.Option(help="Exit 1 when this file's stage table is stale.")] = None,
) -> None:
    """The pipeline's stages as a table, from their declarations (also the README's)."""
    from synthscope.io import write_text
    from synthscope.pipeline import pipeline, stage_table, with_stage_table

    pipe = pipeline()
    for path in (p for p in (write, check) if p is not None):
        text = path.read_text(encoding="utf-8")
        fresh = with_stage_table(text, pipe)
        if path == check and fresh != text:
            raise ConfigError(f"{path}'s stage table is stale; regenerate it with `synthscope stages --write {path}`")
        if path == write:
            write_text(path, fresh)
    if write is None and check is None:
        typer.echo(stage_table(pipe))


def main() -> None:
    setup_logging()
    try:
        # With standalone_mode=False click returns (not raises) the code of a typer.Exit.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except SynthscopeError as exc:
        typer.echo(f"error: {error_line(exc)}", err=True)
        sys.exit(EXIT_USER)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(EXIT_USER)
    except (click.ClickException, typer.TyperException) as exc:  # usage errors: bad option, missing argument
        # typer raises its vendored click's exceptions, which are not click.ClickException
        if callable(show := getattr(exc, "show", None)):
            show()
        else:
            typer.echo(f"error: {error_line(exc)}", err=True)
        sys.exit(EXIT_USER)  # not click's 2: that code means "quality gates crossed" here
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        if (line := os_error_line(exc)) is None:
            crashed(exc)
        typer.echo(f"error: {error_line(line)}", err=True)
        sys.exit(EXIT_USER)
    except Exception as exc:  # noqa: BLE001  the one place that catches everything: a bug, logged, exit 3
        crashed(exc)


def crashed(exc: BaseException) -> None:
    """A bug: the traceback goes to a log file; one line says where, and the exit code is 3."""
    typer.echo(crash_line(exc), err=True)
    sys.exit(EXIT_CRASH)


if __name__ == "__main__":
    main()

