"""The rendered Word, Excel and HTML files as an editor opens them (python-docx, openpyxl)."""

from __future__ import annotations

import re

import pytest

from fixtures.small_cohort import results


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    import sarcohort.report

    r = results(factors=["met_bone", "sex", "centre"])
    out = tmp_path_factory.mktemp("rendered")
    paths = sarcohort.report.write(r, out, formats=("html", "docx", "xlsx"), figure_formats=("png",),
                                   dpi=72)
    return r, out, paths


def test_docx_a4_numbered_repeating_headers_whole_rows_and_figures(report):
    from docx import Document
    from docx.oxml.ns import qn

    _, out, _ = report
    doc = Document(str(out / "tables.docx"))
    first = doc.sections[0]
    assert round(first.page_width.cm, 1) == 21.0 and round(first.page_height.cm, 1) == 29.7
    caps = [p.text for p in doc.paragraphs if re.match(r"Table \d+\. ", p.text)]
    assert [int(c.split()[1].rstrip(".")) for c in caps] == list(range(1, len(doc.tables) + 1))
    figs = [p.text for p in doc.paragraphs if re.match(r"Figure \d+\. ", p.text)]
    assert len(figs) >= 4 and len(doc.inline_shapes) == len(figs)  # every figure embedded
    for t in doc.tables:
        rows = t.rows
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        sizes = {run.font.size.pt for r in rows for c in r.cells for p in c.paragraphs
                 for run in p.runs if run.text}
        assert sizes == {9.0}  # one font size
        widths = [c.width for c in rows[0].cells]
        assert len(set(widths)) > 1 or len(widths) == 1  # fitted, not equal widths
    from sarcohort.report import _tables as build
    from sarcohort.report._docx_writer import needs_landscape

    r, _, _ = report
    n_wide = sum(needs_landscape(t, "A4") for t in build.all_tables(r))
    wide = [s for s in doc.sections if s.page_width > s.page_height]
    assert len(wide) == n_wide  # each wide table on its landscape page


def test_wide_table_goes_landscape():
    import pandas as pd

    from sarcohort.report._docx_writer import column_widths, needs_landscape
    from sarcohort.report._tables import ReportTable

    cells = ["2.86 (1.84-4.45)"] * 8
    wide = ReportTable("w", "Wide", pd.DataFrame([["Label", *cells]], columns=list("abcdefghi")))
    narrow = ReportTable("n", "Narrow", pd.DataFrame([["Label", *cells[:3]]], columns=list("abcd")))
    assert needs_landscape(wide, "A4") and not needs_landscape(narrow, "A4")
    assert sum(column_widths(wide, 17.0)) == pytest.approx(17.0)  # scaled into the page


def test_docx_letter_by_option(report, tmp_path):
    from docx import Document

    from sarcohort.report._docx_writer import write_docx
    from sarcohort.report._sections import outline

    r, _, _ = report
    p = write_docx(tmp_path / "t.docx", r, outline(r, []), page="letter")
    s = Document(str(p)).sections[0]
    assert round(s.page_width.inches, 2) == 8.5 and round(s.page_height.inches, 2) == 11.0


def test_xlsx_numbers_are_numbers_with_formats_and_readable_sheet_names(report):
    from openpyxl import load_workbook

    r, out, _ = report
    wb = load_workbook(out / "tables.xlsx")
    names = wb.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and "  " not in n and not n.startswith("extra") for n in names)
    ws = next(ws for ws in wb.worksheets if ws.title.endswith("Cox regression"))
    head = [c.value for c in ws[3]]
    hr = head.index("Univariable HR (95% CI)")
    assert head[hr + 1].endswith(": lower") and head[hr + 2].endswith(": upper")
    cells = [ws.cell(row=i, column=hr + 1) for i in range(4, ws.max_row + 1)]
    numbers = [c for c in cells if isinstance(c.value, float)]
    assert numbers and all(c.data_type == "n" and c.number_format.startswith("0.")
                           for c in numbers)
    # P values: numbers, except "< 0.001" (a bound, kept as text); marks in their own column
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=4):
            for c in row:
                if isinstance(c.value, str) and c.column > 1:  # column A: labels
                    assert not re.fullmatch(r"-?\d+(\.\d+)?[\u1d43-\u1da0]*", c.value), c.value


def test_html_numbers_never_break_and_tables_numbered(report):
    _, out, _ = report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;\u00a00.001" in html and "&lt; 0.001</td>" not in html
    nums = [int(n) for n in re.findall(r"<caption><strong>Table (\d+)\.</strong>", html)]
    assert nums == list(range(1, len(nums) + 1)) and len(nums) >= 5
    assert "@page { size: A4" in html and "display: table-header-group" in html
