"""Documents of the first two stages: ``ingest.json`` and ``features.json``."""

from __future__ import annotations

from typing import Literal

from synthscope.documents.common import Document, ExtractorRef
from synthscope.schema import ROLES


class RoleCounts(Document):
    """One role's files: ok / quarantined, exact duplicates among the ok ones, per class and per reason."""

    files: int
    ok: int
    quarantined: int
    exact_duplicates: int
    classes: dict[str, int]
    reasons: dict[str, int]


class Layout(Document):
    """What a dataset path was read as, and where its labels came from (docs/data.md)."""

    kind: Literal["image-folder", "flat-folder", "nested-folder", "manifest", "hf-imagefolder",
                  "hf-save-to-disk", "hf-arrow", "hf-parquet"]
    labels: Literal["folder", "column", "none"]  # none: an unlabelled set
    label_column: str | None = None
    image_column: str | None = None
    line: str  # the one line ingest prints


class IngestDocument(Document):
    """``ingest.json`` (owner: ``synthscope.stages.ingest``)."""

    roles: dict[Literal[ROLES], RoleCounts]
    layouts: dict[Literal[ROLES], Layout] = {}
    seconds: float
    files_per_second: float | None
    # Only in a re-scan folder (debias_before/, debias_after/) when debias built no set: the audit's own
    # file it is a copy of ("../ingest.json"); the data are unchanged, so re-running ingest would give the same.
    stand_in: str | None = None


class ExtractorInfo(ExtractorRef):
    """Everything that identifies the embeddings: network, weights, store key, shapes."""

    key: str  # feature-store key: <name>-<weights sha256[:12]>-<preprocess version>
    dim: int
    n_logits: int
    input_size: int
    preprocess: str
    weights_source: Literal["explicit", "env", "hub-cache", "package", "download"]
    weights_path: str


class RowCounts(Document):
    computed: int
    cached: int


class FeaturesDocument(Document):
    """``features.json`` (owner: ``synthscope.stages.features``)."""

    extractor: ExtractorInfo
    attributes_key: str
    store_dir: str
    images: int
    unique_images: int
    embeddings: RowCounts
    attributes: RowCounts
    # Only in a re-scan folder (debias_before/, debias_after/) when debias built no set: the audit's own
    # file it is a copy of ("../features.json"); the data are unchanged, so re-running features would give the same.
    stand_in: str | None = None
