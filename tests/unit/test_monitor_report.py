"""monitor_batch end to end on small seeded data, and the HTML/Markdown report it feeds (no network)."""

from __future__ import annotations

import jsonschema
import numpy as np
import pandas as pd
from PIL import Image

from synthscope.documents import MonitorDocument, dump, json_schema
from synthscope.features.attributes import ATTRIBUTE_COLUMNS, image_attributes
from synthscope.monitor.batch import NOVELTY_COLUMNS, monitor_batch
from synthscope.params import Params
from synthscope.report.monitor import monitor_markdown, render_monitor_html


def frame(tmp_path, name: str, n: int, shade: int, seed: int) -> pd.DataFrame:
    """``n`` small noisy images around grey level ``shade`` written as PNGs, with their real attributes."""
    rng = np.random.default_rng(seed)
    rows = []
    (tmp_path / name).mkdir()
    for i in range(n):
        rgb = np.clip(rng.normal(shade, 40, size=(16, 16, 3)), 0, 255).astype(np.uint8)
        path = tmp_path / name / f"{i}.png"
        Image.fromarray(rgb).save(path)
        attrs = image_attributes(rgb)
        rows.append({"image_id": f"{name}{i}", "role": "synthetic", "label": "a" if i % 2 else "b", "path": path.name,
                     "file": str(path), **{c: attrs[c] for c in ATTRIBUTE_COLUMNS}})
    return pd.DataFrame(rows)


def test_batch_document_matches_schema_and_report_renders(tmp_path):
    rng = np.random.default_rng(0)
    train = frame(tmp_path, "train", 120, 150, 0)
    incoming = frame(tmp_path, "inc", 40, 40, 1)  # much darker: attributes and embeddings both far off
    tf = rng.normal(size=(120, 8))
    inf = rng.normal(size=(40, 8))
    tf[:, 1] += 4.0  # training embeddings point one way (they are compared after L2 normalisation) ...
    inf[:, 1] += 4.0
    inf[:20, 1] -= 12.0  # ... and half the batch the opposite way: far from every training vector
    params = Params()
    history = None
    preds = pd.DataFrame({"path": incoming["path"], "predicted": ["a"] * 40, "confidence": np.linspace(0.2, 0.9, 40)})
    for batch in ("b1", "b2"):
        result = monitor_batch(train, tf, incoming, inf, params, batch, "2026-01-01T00:00:00+00:00", history, preds)
        history = result.history
    assert list(result.table.columns) == list(NOVELTY_COLUMNS)
    assert result.table["uncovered"][:20].all()
    doc = MonitorDocument.model_validate(result.document)
    jsonschema.validate(dump(doc), json_schema("monitor"))
    assert len(history) == 2 and doc.uncovered >= 20
    assert "darker" in doc.clusters[0].description
    assert doc.labels is not None and doc.labels.overall["accuracy"] == 0.5  # labels alternate a/b, all predicted a
    assert history["accuracy"].tolist() == [0.5, 0.5]
    html = render_monitor_html(doc, history, px=32)
    assert html.count("data:image/png;base64") >= 3 and "<script" not in html  # thumbnails and the history plot
    assert "Content-Security-Policy" in html and "Labels and predictions" in html
    md = monitor_markdown(doc, "monitor.html")
    assert md.startswith("# synthscope monitor: batch b2") and "Uncovered clusters" in md
