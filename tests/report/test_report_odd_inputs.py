"""Odd but valid input never crashes the report, and is shown as written.

Titles longer than Word's 255-character property limit, XML-incompatible characters
(vertical tab) and `$` in labels, two long factor names with one prefix, a title
"NaN", more than 7 groups, and a numbers-at-risk step that would give hundreds of
columns (a clear error giving the smallest allowed step).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import sarcohort.report
from fixtures.small_cohort import cohort, protocol
from sarcohort.exceptions import ProtocolError
from sarcohort.study import Study

FAST = {"figure_formats": ("svg",), "dpi": 72}


def analyse(title: str = "Small study", labels: dict | None = None, columns: dict | None = None,
            report: dict | None = None, **analysis):
    doc = protocol(**analysis)
    doc["analysis"] = {k: v for k, v in doc["analysis"].items() if v is not None}
    doc["study"]["title"] = title
    doc["report"].update(report or {})
    if labels:
        doc["analysis"]["labels"] = labels
    c = cohort()
    for name, values in (columns or {}).items():
        c.patients[name] = values
    return Study.from_dict(doc, "small/study.toml").analyze(c)


def test_long_title_control_characters_and_dollars(tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    title = "Vertical\x0btab " + "very long title " * 25 + "$x$ costs $5"
    label = "Surgery $\\alpha$ \x0b of metastases"
    res = analyse(title, labels={"metastasis_surgery": label})
    out = tmp_path / "r"
    paths = sarcohort.report.write(res, out, **FAST)
    doc = Document(str(paths["docx"]))
    assert len(doc.core_properties.title) == 255
    assert doc.paragraphs[0].text.startswith("Vertical\\x0btab very long")
    load_workbook(paths["xlsx"])
    html = paths["html"].read_text(encoding="utf-8")
    assert "\x0b" not in html and "Vertical\\x0btab" in html
    for svg in (out / "figures").glob("*.svg"):
        ET.parse(svg)  # well-formed XML: no raw control character
    forest = (out / "figures" / "forest_os.svg").read_text(encoding="utf-8")
    assert "Surgery $\\alpha$ \\x0b of metastases" in forest  # text as written: no mathtext
    assert json.loads(paths["json"].read_text())["meta"]["title"] == title  # data kept


def test_two_long_factor_names_with_one_prefix_give_two_figures(tmp_path):
    stem = "a_very_long_covariate_label_that_goes_on_and_on_beyond_sixty_characters"
    a, b = stem + "_lung", stem + "_bone"
    base = cohort().patients
    res = analyse(columns={a: base["n_metastases"] > 5, b: base["metastasis_surgery"]},
                  factors=[a, b], report={"factor_figures": True})
    paths = sarcohort.report.write(res, tmp_path / "r", formats=("html", "csv"), **FAST)
    svgs = sorted(p.name for p in (tmp_path / "r" / "figures").glob("km_os_a_very*.svg"))
    assert len(svgs) == 2, svgs
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count(f"km_os_{stem[:50]}") >= 2


def test_a_title_nan_is_kept_as_written(tmp_path):
    from docx import Document

    res = analyse("NaN")
    paths = sarcohort.report.write(res, tmp_path / "r", **FAST)
    assert Document(str(paths["docx"])).core_properties.title == "NaN"
    assert "<h1>NaN</h1>" in paths["html"].read_text(encoding="utf-8")
    assert json.loads(paths["json"].read_text())["meta"]["title"] == "NaN"


def test_more_than_seven_groups_have_distinct_styles():
    from sarcohort.report.plots._km import plot_km

    sites = [f"site {i}" for i in range(9)] + ["site 0", "site 1", "site 2"]
    res = analyse(columns={"centre": sites}, group="centre", group_order=None, factors=["met_bone"],
                  multivariable=None)
    km = next(k for k in res.survival if k.endpoint == "os" and k.factor == "centre")
    assert len(km.groups) == 9
    ax = plot_km(km)
    # colour and dash pattern (offset, on-off sequence) of each curve in the legend
    styles = {(line.get_color(), str(line._unscaled_dash_pattern))
              for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert len(styles) == 9
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_a_risk_table_step_giving_hundreds_of_columns_is_refused():
    with pytest.raises(ProtocolError, match=r"report\.risk_table_step.*at least 1\.3"):
        analyse(report={"risk_table_step": 0.1})
    # the smallest allowed step works
    res = analyse(report={"risk_table_step": 1.3})
    km = res.survival[0]
    assert len(km.risk_times) <= 25 and np.isclose(km.risk_times[1], 1.3)
