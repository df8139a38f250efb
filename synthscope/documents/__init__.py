"""The typed documents the stages write and read (pydantic v2), and their JSON Schemas.

One model per stage document; each stage builds its document and writes
``dump(doc)`` atomically, readers call :func:`read_document`. ``synthscope schema NAME``
prints :func:`json_schema`; ``docs/schemas/<NAME>.json`` are generated from it
(``synthscope schema --write docs/schemas``) and a test keeps them current.

| name | file | model | owner (writes it) |
|---|---|---|---|
| ingest | ingest.json | IngestDocument | synthscope.stages.ingest |
| features | features.json | FeaturesDocument | synthscope.stages.features |
| bias | bias.json | BiasDocument | synthscope.stages.scan |
| metrics | metrics.json | MetricsDocument | synthscope.stages.score |
| augmented | augmented.json | AugmentedDocument | synthscope.stages.debias |
| debias | debias.json | DebiasDocument | synthscope.stages.compare |
| report | report.json | ReportDocument | synthscope.stages.report |
| monitor | monitor.json | MonitorDocument | synthscope.stages.monitor (`synthscope monitor`) |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthscope.documents.bias import FINDING_KEYS, BiasDocument, Finding, MemorizedExample
from synthscope.documents.common import Document, Estimate, ExtractorRef, JSONObject, dump, extended, json_number
from synthscope.documents.debias import AugmentedDocument, DebiasDocument
from synthscope.documents.metrics import MetricsDocument
from synthscope.documents.monitor import MonitorDocument
from synthscope.documents.report import ReportDocument
from synthscope.documents.stages import FeaturesDocument, IngestDocument
from synthscope.errors import DataError
from synthscope.io import read_json, write_json, write_text
from synthscope.registry import Registry

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class DocumentSpec:
    file: str  # name under the config's output_dir
    model: type[BaseModel]
    stage: str  # the stage that writes it (named in error messages as the fix)
    command: str = ""  # the command that writes it, when it is not `synthscope stage <stage>`

    @property
    def writer(self) -> str:
        return self.command or f"synthscope stage {self.stage}"


DOCUMENTS: Registry[DocumentSpec] = Registry("document")
DOCUMENTS.add("ingest", DocumentSpec("ingest.json", IngestDocument, "ingest"))
DOCUMENTS.add("features", DocumentSpec("features.json", FeaturesDocument, "features"))
DOCUMENTS.add("bias", DocumentSpec("bias.json", BiasDocument, "scan"))
DOCUMENTS.add("metrics", DocumentSpec("metrics.json", MetricsDocument, "score"))
DOCUMENTS.add("augmented", DocumentSpec("augmented.json", AugmentedDocument, "debias"))
DOCUMENTS.add("debias", DocumentSpec("debias.json", DebiasDocument, "compare"))
DOCUMENTS.add("report", DocumentSpec("report.json", ReportDocument, "report"))
DOCUMENTS.add("monitor", DocumentSpec("monitor.json", MonitorDocument, "monitor", "synthscope monitor"))


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of document ``name``, titled with its file name."""
    spec = DOCUMENTS.get(name)
    schema = spec.model.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{name}.schema.json",
            "description": f"{spec.file}, written by `{spec.writer}`", **schema}


def schema_text(name: str) -> str:
    """What ``synthscope schema NAME`` prints and ``docs/schemas/NAME.json`` holds (stable bytes)."""
    return json.dumps(json_schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """``folder/<name>.json`` for every document (what ``docs/schemas`` holds), written atomically."""
    return [write_text(Path(folder) / f"{name}.json", schema_text(name)) for name in DOCUMENTS.names()]


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


def parse_document(model: type[M], data: Any, source: str, stage: str, command: str = "") -> M:
    """``model.model_validate(data)``; a mismatch is a ``DataError`` naming the file, key and fix."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataError(f"{source} does not match its schema ({_one_line(exc)}); "
                        f"re-run `{command or f'synthscope stage {stage}'}`") from exc


def read_document(path: Path, model: type[M]) -> M | None:
    """The document at ``path`` as ``model``, or None when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    spec = next(s for _, s in DOCUMENTS if s.model is model)
    try:
        data = read_json(path)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc.msg}); re-run `{spec.writer}`") from exc
    return parse_document(model, data, str(path), spec.stage, spec.command)


def write_document(path: Path, doc: BaseModel) -> Path:
    """Write ``doc`` atomically as sorted JSON (keys it did not set left out, see ``common.dump``)."""
    return write_json(path, dump(doc))


__all__ = [
    "DOCUMENTS", "FINDING_KEYS", "BiasDocument", "DebiasDocument", "Document", "Estimate", "ExtractorRef",
    "FeaturesDocument", "Finding", "IngestDocument", "JSONObject", "MemorizedExample", "MetricsDocument", "MonitorDocument", "ReportDocument",
    "dump", "extended", "json_number", "json_schema", "parse_document", "read_document", "schema_text", "write_document", "write_schemas",
]
