"""The one typed audit config, loaded and validated once, then passed around frozen.

A config names the datasets and where outputs go; ``params.yaml`` holds the knobs.
Relative paths are resolved against the working directory (the project root, where
``dvc repro`` and ``make`` run), not against the config file.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from pydantic.dataclasses import dataclass

from synthscope.errors import ConfigError, echo
from synthscope.io import JSONObject
from synthscope.params import SECTION, Params, apply_overrides, build_params
from synthscope.yaml_safe import read_yaml_file

CONFIG_KEYS = ("name", "synthetic", "real", "output_dir", "store_dir")
DEFAULT_PARAMS_FILE = Path("params.yaml")


@dataclass(frozen=True, config=SECTION)
class AuditConfig:
    """Validated on construction (pydantic), also by ``dataclasses.replace``; frozen afterwards."""

    name: str
    synthetic: Path
    real: Path | None
    output_dir: Path
    store_dir: Path
    params: Params = field(default_factory=Params)
    source: Path | None = None  # the config file it came from, if any
    # A re-scan around debias when debias built no set (``stages.rescan``): the audit output dir
    # whose own ingest/features/scan outputs are copied in place of re-running them on the same data.
    stands_in_for: Path | None = None

    def __post_init__(self) -> None:
        # The name becomes a folder and a Prefect artifact key: no separators, no traversal.
        if not self.name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ConfigError(f"name: {echo(self.name)} may hold only letters, digits, '-', '_' and '.'")

    def datasets(self) -> dict[str, Path]:
        """Role -> dataset path, synthetic first (the order every table uses)."""
        roles = {"synthetic": self.synthetic}
        if self.real is not None:
            roles["real"] = self.real
        return roles

    def to_dict(self) -> JSONObject:
        return {
            "name": self.name,
            "synthetic": str(self.synthetic),
            "real": None if self.real is None else str(self.real),
            "output_dir": str(self.output_dir),
            "store_dir": str(self.store_dir),
            "params": self.params.to_dict(),
        } | ({} if self.stands_in_for is None else {"stands_in_for": str(self.stands_in_for)})


def read_yaml(path: Path, what: str) -> JSONObject:
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist; pass an existing file")
    data = read_yaml_file(path, what)  # aliases refused, size capped: no YAML bomb reaches validation
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path} must be a mapping of keys, not {type(data).__name__}")
    if not all(isinstance(key, str) for key in data):
        raise ConfigError(f"{what} {path}: every key must be a name, got {echo(next(k for k in data if not isinstance(k, str)))}")
    return data


def load_params(params_path: Path | None = None, overrides: JSONObject | None = None) -> Params:
    """Load ``params.yaml`` (defaults when absent) with dotted overrides applied."""
    path = params_path if params_path is not None else DEFAULT_PARAMS_FILE
    raw = read_yaml(path, "params file") if path.is_file() or params_path is not None else {}
    return build_params(apply_overrides(raw, overrides or {}))


def _as_path(value: Any, key: str) -> Path:
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise ConfigError(f"{key}: expected a path, got {echo(value)}")
    return Path(value)


def load_config(
    config_path: Path | None = None,
    overrides: JSONObject | None = None,
    params_path: Path | None = None,
    param_overrides: JSONObject | None = None,
) -> AuditConfig:
    """Build the config from a file and/or CLI overrides (``synthetic``, ``real``, ...).

    With ``synthetic`` given as an override the config file may be omitted; the other keys
    then default to ``outputs/<name>`` and ``data/store``.
    """
    raw: JSONObject = read_yaml(config_path, "config file") if config_path else {}
    unknown = sorted(set(raw) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{echo(unknown[0], bare=True)}: unknown config key; allowed keys are {', '.join(CONFIG_KEYS)}")
    for key, value in (overrides or {}).items():
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{echo(key, bare=True)}: unknown config key; allowed keys are {', '.join(CONFIG_KEYS)}")
        if value is not None:
            raw[key] = value
    if raw.get("synthetic") in (None, ""):
        raise ConfigError("synthetic: no synthetic dataset given; pass --config FILE or --synthetic PATH")
    synthetic = _as_path(raw["synthetic"], "synthetic")
    name = str(raw.get("name") or synthetic.name or "audit")
    real = raw.get("real")
    return AuditConfig(
        name=name,
        synthetic=synthetic,
        real=None if real in (None, "") else _as_path(real, "real"),
        output_dir=_as_path(raw.get("output_dir") or Path("outputs") / name, "output_dir"),
        store_dir=_as_path(raw.get("store_dir") or Path("data/store"), "store_dir"),
        params=load_params(params_path, param_overrides),
        source=config_path,
    )
