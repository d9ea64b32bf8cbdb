"""``tables.docx``: real Word tables (python-docx) a clinician pastes into a manuscript.

Tables use the journal "three-line" look (rules above and below the header and
below the last row, no vertical lines); category rows are indented and
variable rows bold, as in the HTML report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sarcohort.analysis._results import Results
from sarcohort.data._printable import printable
from sarcohort.report._narrative import methods, results_text
from sarcohort.report._sections import Section
from sarcohort.report._stamp import document_time, fix_zip_times

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


FONT_PT = 9  # one size for every table cell and footnote
PAGES = {"A4": (21.0, 29.7), "letter": (21.59, 27.94)}  # width, height in cm
MARGIN_CM = 2.0


def _row_flags(row: Any, header: bool) -> None:
    """A row never splits across pages; the header row repeats on every page."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    tr_pr.append(el)
    if header:
        el = OxmlElement("w:tblHeader")
        tr_pr.append(el)


def _compact(p: Any) -> None:
    from docx.shared import Pt

    f = p.paragraph_format
    f.space_before = f.space_after = Pt(0)
    f.line_spacing = 1.0


def _text_width_cm(text: str, bold: bool = False) -> float:
    """Width of one line of text at FONT_PT in Arial, in cm (average glyph 0.5 em)."""
    return len(text) * FONT_PT * (0.55 if bold else 0.5) / 72 * 2.54


def column_widths(t: Any, available_cm: float) -> list[float]:
    """Widths (cm) fitted to the content: each column its longest cell (a header may wrap
    on its words, a body cell never does), scaled down to the page when wider."""
    frame = t.frame
    widths = []
    for j, col in enumerate(frame.columns):
        body = max([_text_width_cm(str(v)) for v in frame.iloc[:, j]] + [0.0])
        word = max([_text_width_cm(w, True) for w in str(col).split()] + [0.0])
        head = _text_width_cm(str(col), True)
        widths.append(max(body, word) + 0.3 + (0.35 if j == 0 else 0))
        del head
    total = sum(widths)
    if total > available_cm:
        # shrink the first (label) column first: it may wrap; numbers may not
        excess = total - available_cm
        first_min = max(3.0, widths[0] * 0.5)
        cut = min(excess, widths[0] - first_min)
        widths[0] -= cut
        total = sum(widths)
        if total > available_cm:
            widths = [w * available_cm / total for w in widths]
    return widths


def _new_section(doc: Any, landscape: bool, page: str) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    w, h = PAGES[page]
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (Cm(h), Cm(w)) if landscape else (Cm(w), Cm(h))
    sec.left_margin = sec.right_margin = sec.top_margin = sec.bottom_margin = Cm(MARGIN_CM)


def needs_landscape(t: Any, page: str) -> bool:
    """A table wider than the portrait text width at its natural widths."""
    natural = column_widths(t, 1e9)
    natural[0] = min(natural[0], 4.5)  # the label column wraps
    return sum(natural) > PAGES[page][0] - 2 * MARGIN_CM + 0.5


def _add_table(doc: Any, t: Any, number: int, available_cm: float) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    size = Pt(FONT_PT)
    cap = doc.add_paragraph()
    r = cap.add_run(f"Table {number}. ")
    r.bold = True
    cap.add_run(printable(t.title))
    cap.paragraph_format.keep_with_next = True
    cap.paragraph_format.space_after = Pt(3)
    frame = t.frame
    ncol = len(frame.columns)
    table = doc.add_table(rows=len(frame) + 1, cols=ncol)
    table.autofit = False
    _no_table_borders(table)
    widths = column_widths(t, available_cm)
    kinds = list(t.row_kinds) or ["plain"] * len(frame)
    # row.cells once per row: table.cell(i, j) rebuilds the whole cell grid on every call
    rows = list(table.rows)
    grid = [row.cells for row in rows]
    for j, w in enumerate(widths):
        table.columns[j].width = Cm(w)
    for i, row in enumerate(rows):
        _row_flags(row, header=i == 0)
        for j, cell in enumerate(grid[i]):
            cell.width = Cm(widths[j])
    for j, col in enumerate(frame.columns):
        cell = grid[0][j]
        cell.text = ""
        p = cell.paragraphs[0]
        _compact(p)
        p.paragraph_format.keep_with_next = True
        r = p.add_run(printable(str(col)))
        r.bold = True
        r.font.size = size
        _border(cell, top="12", bottom="6")
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        kind = kinds[i - 1]
        for j, value in enumerate(row):
            cell = grid[i][j]
            cell.text = ""
            p = cell.paragraphs[0]
            _compact(p)
            if i < len(frame):
                p.paragraph_format.keep_with_next = kind == "header"
            r = p.add_run(printable(str(value)))
            r.font.size = size
            if j == 0 and kind == "header":
                r.bold = True
            if j == 0 and kind == "level":
                p.paragraph_format.left_indent = Pt(8)
            if j > 0:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            if i == len(frame):
                _border(cell, bottom="12")
    for note in t.footnotes:
        p = doc.add_paragraph()
        _compact(p)
        r = p.add_run(printable(note))
        r.font.size = size
    doc.add_paragraph().paragraph_format.space_after = Pt(6)


def _add_figure(doc: Any, fig: Any, number: int, available_cm: float) -> None:
    from docx.shared import Cm, Pt

    png = next((f for f in fig.files if str(f).endswith(".png")), None)
    if png is None or not Path(png).exists():
        return
    from sarcohort.report.plots._style import png_size_in

    w_in, _ = png_size_in(Path(png))
    width = min(available_cm, w_in * 2.54)
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(str(png), width=Cm(width))
    cap = doc.add_paragraph()
    _compact(cap)
    r = cap.add_run(f"Figure {number}. ")
    r.bold = True
    r.font.size = Pt(FONT_PT)
    r = cap.add_run(fig.caption)
    r.font.size = Pt(FONT_PT)
    cap.paragraph_format.space_after = Pt(8)


def write_docx(path: Path, results: Results, sections: Sequence[Section], title: str | None = None,
               figures: Sequence[Any] = (), page: str | None = None) -> Path:
    """Write the methods and results text, every table (numbered, header rows repeated,
    rows whole, widths fitted, wide ones on landscape pages) and every figure (numbered,
    with its caption) to ``path``."""
    from docx import Document
    from docx.shared import Cm, Pt

    page = page or str((results.meta.report_options or {}).get("page_size") or "A4")
    page = page if page in PAGES else "A4"
    doc = Document()
    w, h = PAGES[page]
    for s in doc.sections:
        s.page_width, s.page_height = Cm(w), Cm(h)
        s.left_margin = s.right_margin = Cm(MARGIN_CM)
        s.top_margin = s.bottom_margin = Cm(MARGIN_CM)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    style.paragraph_format.space_after = Pt(4)
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
    doc.add_paragraph(printable(methods(results)))
    doc.add_heading("Results", level=2)
    doc.add_paragraph(printable(results_text(results)))
    if results.warnings:
        doc.add_heading("Warnings", level=2)
        for wtext in results.warnings:
            doc.add_paragraph(printable(wtext), style="List Bullet")
    rendered = {f.key: f for f in figures}
    portrait = w - 2 * MARGIN_CM
    landscape_w = h - 2 * MARGIN_CM
    n_table = n_figure = 0
    for sec in sections:
        items = [it for it in sec.items if it.kind in ("table", "text")
                 or (it.kind == "figure" and it.figure is not None and it.figure.key in rendered)]
        if not items:
            continue
        doc.add_heading(printable(sec.title), level=2)
        for it in items:
            if it.kind == "table" and it.table is not None:
                n_table += 1
                if needs_landscape(it.table, page):
                    _new_section(doc, True, page)
                    _add_table(doc, it.table, n_table, landscape_w)
                    _new_section(doc, False, page)
                else:
                    _add_table(doc, it.table, n_table, portrait)
            elif it.kind == "figure":
                n_figure += 1
                _add_figure(doc, rendered[it.figure.key], n_figure, portrait)
            else:
                for para in it.paragraphs:
                    doc.add_paragraph(printable(para))
    doc.save(str(path))
    fix_zip_times(path)
    return path
