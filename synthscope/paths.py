"""Where each stage's outputs live under a config's ``output_dir`` (docs/design.md).

Stages name their inputs and outputs through this one object so that the DVC stages,
the Prefect tasks and the report agree on every file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

AUGMENTED_INDEX = "index.parquet"  # inside augmented/: path,label of every file (labels are not folder names)


@dataclass(frozen=True)
class OutputPaths:
    root: Path

    # ingest
    @property
    def manifest(self) -> Path:
        return self.root / "manifest.parquet"

    @property
    def ingest_summary(self) -> Path:
        return self.root / "ingest.json"

    @property
    def extracted(self) -> Path:
        """Images of Hugging Face datasets, written out byte for byte (``<role>/row-NNNNNN.<ext>``)."""
        return self.root / "ingest_images"

    # features
    @property
    def attributes(self) -> Path:
        return self.root / "attributes.parquet"

    @property
    def features_summary(self) -> Path:
        """Names the extractor whose rows in the store belong to this audit."""
        return self.root / "features.json"

    # scan
    @property
    def bias_json(self) -> Path:
        return self.root / "bias.json"

    @property
    def findings(self) -> Path:
        return self.root / "bias_findings.parquet"

    # score
    @property
    def metrics_json(self) -> Path:
        return self.root / "metrics.json"

    @property
    def realism(self) -> Path:
        """Per synthetic image: realism score, nearest real image, distance, outlier flag."""
        return self.root / "realism.parquet"

    # debias
    @property
    def augmented_dir(self) -> Path:
        return self.root / "augmented"

    @property
    def augmented_index(self) -> Path:
        """``path,label`` of the augmented files: the manifest the re-scan after debias ingests."""
        return self.augmented_dir / AUGMENTED_INDEX

    @property
    def augmented_manifest(self) -> Path:
        return self.root / "augmented_manifest.parquet"

    @property
    def augmented_summary(self) -> Path:
        """The augmented manifest's header: plan, target shares, deficits, selection counts."""
        return self.root / "augmented.json"

    def rescan_dir(self, side: str) -> Path:
        """Where the pipeline re-runs ingest, features and scan ``before``/``after`` debiasing."""
        if side not in ("before", "after"):
            raise ValueError(f"rescan side is 'before' or 'after', got {side!r}")
        return self.root / f"debias_{side}"

    # compare
    @property
    def debias_json(self) -> Path:
        return self.root / "debias.json"

    # report
    @property
    def report_html(self) -> Path:
        return self.root / "report.html"

    @property
    def summary_md(self) -> Path:
        return self.root / "summary.md"

    @property
    def report_json(self) -> Path:
        return self.root / "report.json"

    @property
    def plots_dir(self) -> Path:
        return self.root / "plots"

    @property
    def history(self) -> Path:
        """Run history (one row per report run, keyed by config name + timestamp); kept across runs."""
        return self.root / "history.parquet"
