"""Report section "How synthetic differs from real": drift findings and example pairs (pure).

Beside the drift findings the section shows the synthetic images the drift check's embedding
classifier finds most synthetic-looking, next to their nearest real images, so a reader sees
what the gap looks like. The scan lists them in ``bias.json`` (``bias.examples.drift_examples``);
``sections.drift_pairs`` reads them.
"""

from __future__ import annotations

from synthscope.bias.masked import coverage_sentence
from synthscope.documents.bias import BiasSummary
from synthscope.documents.report import DriftPair, DriftSection, ReportFinding


def drift_section(findings: list[ReportFinding], summary: BiasSummary | None, pairs: list[DriftPair]) -> DriftSection:
    """The section: drift findings (most severe first), coverage sentences, example pairs."""
    cover = {} if summary is None or summary.object_attributes is None else summary.object_attributes
    return DriftSection(
        compared=summary is not None and summary.reference == "real",  # the scan had a real set to compare with
        findings=[f for f in findings if f.check == "drift"],
        coverage=[coverage_sentence(counts, role) for role, counts in cover.items()],
        examples=pairs,
    )
