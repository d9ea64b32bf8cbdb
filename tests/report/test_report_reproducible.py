"""With SOURCE_DATE_EPOCH set, two runs give byte-identical reports (every file).

Two analyses of the same cohort, a few seconds apart, written to two folders: every
file (results.json, HTML, Word, Excel, CSV, SVG and PNG figures, the manifest) is
compared byte for byte, and the Office files carry the epoch as their dates.
"""

from __future__ import annotations

import time
import zipfile

import sarcohort.report
from fixtures.small_cohort import results
from report.test_report_folder import snapshot

EPOCH = 1700000000  # 2023-11-14T22:13:20Z


def test_two_runs_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first = tmp_path / "a"
    sarcohort.report.write(results(), first, figure_formats=("svg", "png"), dpi=72)
    time.sleep(1.1)  # a clock that leaked into a file would now differ
    second = tmp_path / "b"
    sarcohort.report.write(results(), second, figure_formats=("svg", "png"), dpi=72)
    a, b = snapshot(first), snapshot(second)
    assert {"results.json", "report.html", "tables.docx", "tables.xlsx", "csv/table1.csv",
            "figures/km_os.svg", "figures/km_os.png", "sarcohort-manifest.json"} <= set(a)
    assert a == b
    assert "2023-11-14T22:13:20Z" in (first / "results.json").read_text()
    for name in ("tables.docx", "tables.xlsx"):
        with zipfile.ZipFile(first / name) as z:
            assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}
            core = z.read("docProps/core.xml").decode()
        assert core.count("2023-11-14T22:13:20Z") >= 2, core  # created and modified
