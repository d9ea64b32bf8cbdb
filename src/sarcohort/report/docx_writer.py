"""``tables.docx``: real Word tables (python-docx) a clinician pastes into a manuscript.

Tables use the journal "three-line" look (rules above and below the header and
below the last row, no vertical lines); category rows are indented and
variable rows bold, as in the HTML report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sarcohort.analysis.results import Results
from sarcohort.data.printable import printable
from sarcohort.report._stamp import document_time, fix_zip_times
from sarcohort.report.narrative import methods, results_text
from sarcohort.report.sections import Section

__all__ = ["write_docx", "CORE_PROPERTY_MAX"]

#: Word refuses core properties (title, subject...) longer than this
CORE_PROPERTY_MAX = 255


def _border(cell: Any, **edges: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), size)
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def _no_table_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _add_table(doc: Any, t: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cap = doc.add_paragraph()
    run = cap.add_run(t.title)
    run.bold = True
    cap.paragraph_format.keep_with_next = True
    frame = t.frame
    ncol = len(frame.columns)
    size = Pt(9 if ncol <= 5 else 8)
    table = doc.add_table(rows=len(frame) + 1, cols=ncol)
    _no_table_borders(table)
    kinds = list(t.row_kinds) or ["plain"] * len(frame)
    # row.cells once per row: table.cell(i, j) rebuilds the whole cell grid on every call
    grid = [row.cells for row in table.rows]
    for j, col in enumerate(frame.columns):
        cell = grid[0][j]
        cell.text = ""
        r = cell.paragraphs[0].add_run(str(col))
        r.bold = True
        r.font.size = size
        _border(cell, top="12", bottom="6")
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        kind = kinds[i - 1]
        for j, value in enumerate(row):
            cell = grid[i][j]
            cell.text = ""
            p = cell.paragraphs[0]
            r = p.add_run(str(value))
            r.font.size = size
            if j == 0 and kind == "header":
                r.bold = True
            if j == 0 and kind == "level":
                p.paragraph_format.left_indent = Pt(10)
            if j > 0:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            if i == len(frame):
                _border(cell, bottom="12")
    for note in t.footnotes:
        p = doc.add_paragraph()
        r = p.add_run(note)
        r.font.size = Pt(8)
        p.paragraph_format.space_after = Pt(0)
    doc.add_paragraph()


def write_docx(path: Path, results: Results, sections: Sequence[Section], title: str | None = None
               ) -> Path:
    """Write the methods and results text and every table of the report to ``path``."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    for s in doc.sections:
        s.left_margin = s.right_margin = Cm(2.0)
        s.top_margin = s.bottom_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    title = printable(title or results.meta.title)
    props = doc.core_properties
    props.title = title[:CORE_PROPERTY_MAX]  # Word's limit on a core property
    props.author = "sarcohort"
    props.last_modified_by = "sarcohort"
    props.comments = f"sarcohort {results.meta.sarcohort_version}"
    props.created = props.modified = props.last_printed = document_time()
    props.revision = 1
    doc.add_heading(title, level=1)
    doc.add_heading("Statistical methods", level=2)
    doc.add_paragraph(methods(results))
    doc.add_heading("Results", level=2)
    doc.add_paragraph(results_text(results))
    if results.warnings:
        doc.add_heading("Warnings", level=2)
        for w in results.warnings:
            doc.add_paragraph(w, style="List Bullet")
    for sec in sections:
        items = [it for it in sec.items if it.kind in ("table", "text")]
        if not items:
            continue
        doc.add_heading(sec.title, level=2)
        for it in items:
            if it.kind == "table" and it.table is not None:
                _add_table(doc, it.table)
            else:
                for para in it.paragraphs:
                    doc.add_paragraph(para)
    doc.save(str(path))
    fix_zip_times(path)
    return path
