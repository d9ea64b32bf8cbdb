"""The HTML report in a real headless Chromium: no console error, figures and tables in
the DOM, a screenshot written. Skipped, with the reason, only where Chromium is absent."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.small_cohort import results

pytestmark = pytest.mark.browser

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((p for p in map(shutil.which, CANDIDATES) if p), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="Chromium is not installed (apt-get install -y chromium; .ci/run installs it)")


def _chromium(html: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--no-first-run",
           "--disable-extensions", "--disable-sync", "--mute-audio",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra,
           html.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Console messages and page errors Chromium logged (our page has no script at all)."""
    bad = []
    for line in stderr.splitlines():
        if "CONSOLE" in line or "Uncaught" in line or "Not allowed to load" in line \
                or "Failed to load resource" in line or "ERR_FILE_NOT_FOUND" in line:
            bad.append(line)
    return bad


@needs_browser
def test_detector_sees_console_errors(tmp_path):
    # the check below must be able to fail: a page that logs an error is caught
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><title>x</title><script>console.error('boom');"
                    "undefined_function();</script><img src='missing.png'>")
    proc = _chromium(page, tmp_path, "--dump-dom")
    assert console_errors(proc.stderr), proc.stderr[-2000:]


@needs_browser
def test_report_in_chromium(tmp_path):
    import sarcohort.report

    paths = sarcohort.report.write(results(), tmp_path / "out")
    html = paths["html"]
    dom = _chromium(html, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(dom.stderr) == [], console_errors(dom.stderr)
    text = dom.stdout
    n_svg = len(re.findall(r"<svg\b", text))
    assert n_svg >= 6, n_svg  # flow, KM overall + by group for two endpoints, forests
    assert 'id="tab-table1"' in text and 'id="tab-cox_os"' in text
    assert "<script" not in text.lower()  # the escaped centre name stayed text
    shot = tmp_path / "report.png"
    proc = _chromium(html, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000",
                     "--hide-scrollbars")
    assert proc.returncode == 0 and shot.is_file() and shot.stat().st_size > 20_000, \
        proc.stderr[-2000:]
    assert console_errors(proc.stderr) == []
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        # not a blank page: the screenshot has ink
        assert im.convert("L").getextrema()[0] < 100


def _ink_right_of_column(html: Path, tmp: Path, width: int = 1280, height: int = 9000) -> int:
    """Dark pixels in the page's right margin (right of the text column) of a screenshot: text
    that a table or figure pushes out of the column, or clips at a scroll edge, lands there."""
    from PIL import Image

    shot = tmp / f"{html.stem}-margin.png"
    proc = _chromium(html, tmp, f"--screenshot={shot}", f"--window-size={width},{height}",
                     "--hide-scrollbars")
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as im:
        grey = im.convert("L")
        strip = grey.crop((width - 170, 0, width - 10, height))
        return sum(strip.histogram()[:160])


@needs_browser
def test_nothing_overflows_the_text_column(tmp_path):
    import sarcohort.report

    # the check can fail: a line that does not wrap runs into the margin
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><title>x</title><body style='margin:40px'><p style='white-space:"
                   "nowrap;font-size:40px'>" + "wide text that never wraps " * 12 + "</p></body>")
    assert _ink_right_of_column(bad, tmp_path, height=400) > 0
    paths = sarcohort.report.write(results(factors=["met_bone", "sex", "centre"]), tmp_path / "out",
                                   figure_formats=("svg",))
    assert _ink_right_of_column(paths["html"], tmp_path) == 0
