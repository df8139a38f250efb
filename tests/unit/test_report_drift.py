"""The "How synthetic differs from real" section: the scan lists the examples, the report reads them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from synthscope.bias.base import ScanData
from synthscope.bias.drift import Drift
from synthscope.bias.examples import drift_examples
from synthscope.documents.bias import ObjectCoverage
from synthscope.documents.report import ReportFinding
from synthscope.neighbours import l2_normalise
from synthscope.params import ScanParams
from synthscope.report.drift import drift_section
from synthscope.report.sections import drift_pairs
from tests.documents_fakes import bias_doc, finding


def scan_data(n: int = 20) -> ScanData:
    """Real rows near (0, 1); synthetic rows move from real-like (i=0) to far off (i=n-1) along x."""
    rng = np.random.default_rng(0)
    real = np.c_[rng.normal(0, 0.05, n), np.ones(n)]
    syn = np.c_[np.linspace(0, 3, n), np.ones(n)]

    def frame(prefix: str, role: str) -> pd.DataFrame:
        return pd.DataFrame({"image_id": [f"{prefix}{i}" for i in range(n)], "role": role, "label": "a",
                             "path": [f"{role}/{i}.png" for i in range(n)]})

    return ScanData(frame("s", "synthetic"), frame("r", "real"), l2_normalise(syn), l2_normalise(real))


def test_the_scan_lists_the_far_off_images_first_with_their_nearest_real(monkeypatch) -> None:
    from synthscope.bias import drift

    fits = []
    real_fit = drift.classifier_auc
    monkeypatch.setattr(drift, "classifier_auc", lambda *a, **k: fits.append(k.get("linear")) or real_fit(*a, **k))
    data, params = scan_data(), ScanParams()
    Drift().score(data, params)
    examples = drift_examples(data, params, 3)
    assert examples is not None
    assert fits.count(True) == 1  # the check's embedding classifier, fitted once for the check and the list
    assert len(examples) == 3 and {e.synthetic.image_id for e in examples} <= {f"s{i}" for i in range(14, 20)}
    probs = [e.probability for e in examples]
    assert probs == sorted(probs, reverse=True) and probs[0] > 0.5
    for e in examples:  # nearest real by cosine, checked by brute force
        q = data.synthetic_emb[int(e.synthetic.image_id[1:])]
        sims = data.real_emb @ q
        assert e.real.image_id == f"r{int(np.argmax(sims))}"
        assert abs(e.cosine_distance - (1 - sims.max())) < 1e-6


def test_no_examples_without_embeddings_or_real_images() -> None:
    data = scan_data()
    assert drift_examples(ScanData(data.synthetic, data.real), ScanParams(), 3) is None
    assert drift_examples(ScanData(data.synthetic, None, data.synthetic_emb), ScanParams(), 3) is None
    assert drift_examples(data, ScanParams(), 0) == []


def test_the_report_reads_the_scans_examples_and_skips_images_gone_from_the_manifest() -> None:
    data = scan_data()
    bias = bias_doc([]).model_copy(update={"drift_examples": drift_examples(data, ScanParams(), 4)})
    index = pd.concat([data.synthetic, data.real], ignore_index=True).assign(root="/data")
    gone = bias.drift_examples[0].synthetic.image_id
    pairs = drift_pairs(bias, index[index["image_id"] != gone].reset_index(drop=True), limit=2)
    assert [p.query.image_id for p in pairs] == [e.synthetic.image_id for e in bias.drift_examples[1:3]]
    assert pairs[0].query.root == "/data" and pairs[0].probability == bias.drift_examples[1].probability
    assert drift_pairs(None, index, 3) == []


def test_section_keeps_drift_findings_and_coverage() -> None:
    findings = [ReportFinding.model_validate(finding("high", check, attribute=attribute) | {"plain": "p"})
                for check, attribute in (("drift", "resolution"), ("shortcut", "color"))]
    summary = SimpleNamespace(reference="real", object_attributes={
        "synthetic": ObjectCoverage(images=10, measured=10, cluttered_background=0, no_distinct_object=0),
        "real": ObjectCoverage(images=10, measured=4, cluttered_background=5, no_distinct_object=1),
    })
    section = drift_section(findings, summary, [])
    assert section.compared and [f.attribute for f in section.findings] == ["resolution"]
    assert section.coverage[1] == ("object attributes measured on 4 of 10 real images (5 with a cluttered "
                                      "background, 1 with no object distinct from the backdrop)")
