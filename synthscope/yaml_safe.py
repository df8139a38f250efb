"""YAML for configs, ``params.yaml`` and ``--set`` values, without the billion-laughs trap.

PyYAML's ``safe_load`` still expands aliases: a 300-byte file of nested anchors becomes
gigabytes once built (and a value echoed in an error message becomes megabytes of text).
No synthscope setting needs an alias, so the loader refuses them before anything is built;
the text is capped in size and nesting depth as well. Every failure is a one-line
``ConfigError`` naming the file (or ``--set`` key) and what to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthscope.errors import ConfigError

MAX_BYTES = 1 << 20  # params.yaml is about 8 KB; a megabyte is no settings file
MAX_DEPTH = 32  # settings nest two or three levels deep


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that refuses aliases (``*name``, also inside ``<<`` merges) and deep nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ConfigError(f"YAML aliases (*name) are not allowed (line {mark.line + 1}); write the value out")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise ConfigError(f"YAML nested deeper than {MAX_DEPTH} levels; settings are a few levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _first_line(exc: yaml.YAMLError) -> str:
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return line if len(line) <= 120 else f"{line[:117]}..."


def load_yaml(text: str, what: str) -> Any:
    """Parse ``text`` (what a ``what`` such as ``"params file params.yaml"`` holds) or say why not."""
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{what} is {len(text)} characters, over the {MAX_BYTES} allowed; is it the right file?")
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {_first_line(exc)}") from None
    finally:
        loader.dispose()


def read_yaml_file(path: Path, what: str) -> Any:
    """The parsed content of ``path``, read only up to :data:`MAX_BYTES` (a huge file is refused unread)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read ({exc.strerror or exc}); pass a readable file") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{what} {path} is over {MAX_BYTES} bytes; is it the right file?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {path} is not UTF-8 text; save it as UTF-8") from None
    return load_yaml(text, f"{what} {path}")
