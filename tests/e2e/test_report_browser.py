"""Open report.html in headless Chromium: no console errors, no network requests, a screenshot.

Chromium comes from Debian (``tests/e2e/install_chromium.sh``, run here when it is missing);
the DevTools protocol is spoken with ``websockets``, already installed with Prefect.
"""

from __future__ import annotations

import json

import pytest

from synthscope.config import load_config
from synthscope.paths import OutputPaths
from synthscope.stages import report as report_stage
from tests.integration.headless_chromium import visit
from tests.integration.report_fixture import HOSTILE, build_outputs


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> OutputPaths:
    """The fixture audit's report, rendered once for the tests below."""
    tmp = tmp_path_factory.mktemp("report")
    out = build_outputs(tmp)
    report_stage.run(load_config(None, {"synthetic": str(tmp / "synthetic"), "output_dir": str(out.root)}))
    return out


@pytest.mark.slow
@pytest.mark.service
def test_report_opens_offline_without_errors(chromium, rendered, tmp_path):
    out = rendered
    page = visit(out.report_html, full_page=True)
    assert page.console_errors == []
    assert page.requests == []
    assert page.n_scripts == 0 and HOSTILE in page.text  # the hostile class name is shown, as text
    assert page.title.endswith("(fail)") and "Can I train on this data?".upper() in page.text.upper()
    shot = tmp_path / "report.png"
    shot.write_bytes(page.screenshot)
    assert page.screenshot.startswith(b"\x89PNG") and len(page.screenshot) > 50_000


@pytest.mark.slow
@pytest.mark.service
def test_utility_section_renders_with_its_charts_and_gallery(chromium, rendered, tmp_path):
    out = rendered
    report = json.loads(out.report_json.read_text())
    page = visit(out.report_html, section="#utility")
    assert page.console_errors == [] and page.requests == [] and page.n_scripts == 0
    assert "Is the synthetic data worth it?" in page.text
    assert report["utility"]["cost"]["sentence"] in page.text  # the cost sentence, as written to report.json
    for finding in report["utility"]["collapse"]:  # collapse findings name the hostile class as text
        assert finding["message"] in page.text
    assert "least realistic" in page.text and "most realistic" in page.text
    html = out.report_html.read_text()
    for alt in ("learning curves", "confusion matrix of the synthetic-trained classifier on real test images"):
        assert f'alt="{alt}" src="data:image/png;base64,' in html
    shot = page.section_screenshot
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
    (tmp_path / "utility.png").write_bytes(shot)
