"""`sarcohort demo` end to end: synthetic cohort -> validation -> analysis -> report.

The oracle for the counts is the published abstract (shared/study/reference-study.md,
copied into sarcohort/synth/data/published.toml): the generator sets them exactly, and the
pipeline must find them again from the files it reads back. Medians and Cox P values are
checked against the issue's calibration goals for the default seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarcohort.analysis._results import Results
from sarcohort.cli._demo import published_vs_reproduced, run_demo
from sarcohort.exceptions import InputError
from sarcohort.report._format import fmt_time_ci
from sarcohort.synth import load_published


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return run_demo(tmp_path_factory.mktemp("demo") / "out")


def test_writes_every_output(demo):
    for key in ("html", "docx", "xlsx", "json"):
        assert demo.report[key].is_file(), key
    assert (demo.out_dir / "data" / "study.toml").is_file()
    html = demo.report["html"].read_text(encoding="utf-8")
    assert "Published vs reproduced" in html and "Synthetic data" in html


def test_counts_reproduce_the_abstract(demo):
    published = load_published()["published"]
    rows = demo.comparison.set_index("figure")["reproduced"]
    for key in ("n_patients", "synchronous", "metachronous", "male", "female", "met_lung", "met_bone",
                "met_other", "no_systemic_treatment", "in_trial", "local_treatment"):
        value = published[key]["value"]
        assert rows[published[key]["label"]].startswith(f"{value} ("), key


def test_reproduced_values_come_from_results(demo):
    results = Results.from_json(demo.report["json"])
    table = published_vs_reproduced(load_published()["published"], results).set_index("figure")
    os_group = results.km("os").groups[0]
    assert table.loc["median overall survival (months)", "reproduced"] == fmt_time_ci(
        os_group.median, os_group.median_lower, os_group.median_upper)
    # default seed: medians within 10% of the published 5.5 and 20.5 months
    assert abs(results.km("pfs").groups[0].median / 5.5 - 1) < 0.10
    assert abs(os_group.median / 20.5 - 1) < 0.10
    for endpoint, factors in (("os", {"more_than_5_metastases": 1, "early_metastasis": 1,
                                      "metastasis_surgery": -1, "met_bone": 1}),
                              ("pfs", {"more_than_5_metastases": 1, "early_metastasis": 1,
                                       "metastasis_surgery": -1})):
        terms = {t.name: t for t in results.model(endpoint).terms}
        for name, sign in factors.items():
            assert terms[name].p < 0.05, (endpoint, name)
            assert (terms[name].hr - 1) * sign > 0, (endpoint, name)
    # published: bone metastases not significant for PFS
    assert {t.name: t for t in results.model("pfs").terms}["met_bone"].p >= 0.05


def test_refuses_to_overwrite(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="new or empty folder"):
        run_demo(tmp_path)


def test_cli_writes_only_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from sarcohort.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    created = os.listdir(tmp_path)
    assert len(created) == 1 and created[0].startswith("sarcohort-demo-")
    assert "Published vs reproduced" in result.output and "report.html" in result.output


def test_shows_the_treatment_course(demo):
    """The demo's report has the treatment-course tables and the swimmer plot (issue 14)."""
    import docx
    import openpyxl

    html = demo.report["html"].read_text(encoding="utf-8")
    for text in ("Treatment course", "Systemic regimens by line", "Response and outcomes by line",
                 "Objective response rate", "figures/swimmer.svg", "km_pfs_by_line"):
        assert text in html, text
    assert (demo.out_dir / "report" / "figures" / "swimmer.png").is_file()
    doc = docx.Document(str(demo.report["docx"]))
    assert any("Response and outcomes by line" in p.text for p in doc.paragraphs)
    sheets = " ".join(openpyxl.load_workbook(demo.report["xlsx"], read_only=True).sheetnames)
    assert "regimens" in sheets.lower() or "Systemic" in sheets
