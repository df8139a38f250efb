"""Hugging Face ``datasets`` inputs audit to the same documents as the same images in an ImageFolder.

The datasets are built locally with ``datasets`` from PNGs this test writes (no Hub): a
``save_to_disk`` folder, its ``.arrow`` file, a Parquet file (ClassLabel column), a Parquet file
with other column names and string labels (``--image-column``/``--label-column``), and an
``imagefolder`` with ``metadata.jsonl``. Images are embedded as bytes, so ingest writes them out;
they must hash, embed and scan exactly as the files do, and come from the feature store.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pytest

from synthscope.config import load_config
from synthscope.features.load import load_embeddings
from synthscope.paths import OutputPaths
from synthscope.stages import features, ingest, scan
from tests.shapes import write_shapes

SETTINGS = {"ingest.workers": 0, "features.workers": 0, "features.extractor": "mobilenet-v2"}


def build_sources(tmp: Path) -> dict[str, tuple[Path, dict]]:
    """Each variant: (dataset path, ingest overrides). 24 images, 3 classes, 32 px."""
    # in the ImageFolder's manifest order (class, then name): the cross-validated checks split rows by position
    paths = sorted(write_shapes(tmp / "folder", 24, seed=5, size=32), key=lambda p: (p.parent.name, p.name))
    names = sorted({p.parent.name for p in paths})
    cells = [{"bytes": p.read_bytes(), "path": p.name} for p in paths]
    classes = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=names)})
    ds = datasets.Dataset.from_dict({"image": cells, "label": [names.index(p.parent.name) for p in paths]},
                                    features=classes)
    ds.save_to_disk(str(tmp / "saved"))
    ds.to_parquet(str(tmp / "classlabel.parquet"))
    strings = datasets.Features({"img": datasets.Image(), "category": datasets.Value("string")})
    datasets.Dataset.from_dict({"img": cells, "category": [p.parent.name for p in paths]},
                               features=strings).to_parquet(str(tmp / "strings.parquet"))
    meta = tmp / "imagefolder"
    meta.mkdir()
    with open(meta / "metadata.jsonl", "w") as fh:
        for p in paths:
            shutil.copyfile(p, meta / f"{p.parent.name}-{p.name}")
            fh.write(json.dumps({"file_name": f"{p.parent.name}-{p.name}", "label": p.parent.name}) + "\n")
    return {
        "folder": (tmp / "folder", {}),
        "save_to_disk": (tmp / "saved", {}),
        "arrow": (next((tmp / "saved").glob("*.arrow")), {}),
        "parquet": (tmp / "classlabel.parquet", {}),
        "parquet_columns": (tmp / "strings.parquet", {"ingest.image_column": "img", "ingest.label_column": "category"}),
        "imagefolder_metadata": (meta, {}),
    }


def audit(source: Path, out: Path, store: Path, extra: dict) -> dict:
    cfg = load_config(None, {"synthetic": str(source), "output_dir": str(out), "store_dir": str(store)}, None,
                      {**SETTINGS, **extra})
    for stage in (ingest, features, scan):
        stage.run(cfg)
    paths = OutputPaths(out)
    emb = load_embeddings(paths, store)
    order = np.argsort(emb.index["image_id"].to_numpy(), kind="stable")
    attributes = pd.read_parquet(paths.attributes)
    findings = pd.read_parquet(paths.findings)
    return {
        "layout": json.loads(paths.ingest_summary.read_text())["layouts"]["synthetic"],
        "computed": json.loads(paths.features_summary.read_text())["embeddings"]["computed"],
        "labels": emb.index["label"].to_numpy()[order],
        "ids": emb.index["image_id"].to_numpy()[order],
        "features": emb.features[order],
        "attributes": attributes.drop(columns=[c for c in ("path", "root") if c in attributes.columns])
        .sort_values("image_id", kind="stable").reset_index(drop=True),
        "findings": findings.sort_values(["check", "metric", "attribute", "class"], kind="stable",
                                         na_position="first").reset_index(drop=True),
        "bias": json.loads(paths.bias_json.read_text())["findings"],
    }


@pytest.mark.slow
def test_hugging_face_variants_audit_to_the_same_documents_as_the_image_folder(tmp_path):
    sources = build_sources(tmp_path / "src")
    store = tmp_path / "store"
    results = {name: audit(path, tmp_path / name, store, extra) for name, (path, extra) in sources.items()}
    reference = results.pop("folder")
    assert reference["computed"] == 24 and len(reference["ids"]) == 24
    kinds = {"save_to_disk": "hf-save-to-disk", "arrow": "hf-arrow", "parquet": "hf-parquet",
             "parquet_columns": "hf-parquet", "imagefolder_metadata": "hf-imagefolder"}
    for name, got in results.items():
        assert got["layout"]["kind"] == kinds[name] and got["layout"]["labels"] == "column", name
        assert got["computed"] == 0, f"{name}: the same bytes must be served from the feature store"
        np.testing.assert_array_equal(got["ids"], reference["ids"], err_msg=name)
        np.testing.assert_array_equal(got["labels"], reference["labels"], err_msg=name)
        np.testing.assert_array_equal(got["features"], reference["features"], err_msg=name)
        pd.testing.assert_frame_equal(got["attributes"], reference["attributes"], obj=name)
        pd.testing.assert_frame_equal(got["findings"], reference["findings"], obj=name)
        assert got["bias"] == reference["bias"], name
    assert len(reference["findings"]) > 0  # the comparison covers real measurements, not two empty tables
