"""The report's files: HTML escaping, Word and Excel tables re-opened, CSV neutralisation,
no identifier anywhere, narrative numbers equal to the tables'."""

from __future__ import annotations

import csv
import re
import zipfile

import pandas as pd
import pytest

from fixtures.small_cohort import FORMULA, SCRIPT, cohort, results
from sarcohort.report import _tables as build
from sarcohort.report._format import DASH, fmt_hr, fmt_time

EXTRA = {
    "Published vs reproduced": pd.DataFrame({
        "figure": ["median OS", "=cmd|' /C calc'!A0"],
        "published": ["20.5 (13.2-27.7)", "x"],
        "reproduced": ["12.0", "<b>bold</b>"],
        "note": ["", "synthetic"],
    }),
    "Synthetic data": "These patients are synthetic.\n\nA second <i>paragraph</i>.",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    import sarcohort.report

    r = results(time_dependent={"metastasis_surgery": "surgery_days"}, landmark_time=6)
    out = tmp_path_factory.mktemp("report")
    paths = sarcohort.report.write(r, out, extra_sections=EXTRA)
    return r, out, paths


def test_files_written(report):
    _, out, paths = report
    for key in ("html", "docx", "xlsx", "json", "csv_dir", "figures_dir"):
        assert paths[key].exists(), key
    names = {p.name for p in (out / "figures").iterdir()}
    for stem in ("flow", "km_os", "km_os_timing", "km_pfs", "km_pfs_timing", "forest_os"):
        assert {f"{stem}.svg", f"{stem}.png"} <= names
    assert "km_os_met_bone.png" not in names  # factor_figures = false in this protocol


def test_html_escapes_every_data_string(report):
    _, out, _ = report
    html = (out / "report.html").read_text()
    assert "<script" not in html.lower()  # the centre named <script>alert(1)</script>
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<i>paragraph</i>" not in html
    assert "Published vs reproduced" in html and "These patients are synthetic." in html
    assert html.count("<svg") >= 6  # figures inline
    # self-contained: nothing loaded from elsewhere
    assert not re.search(r'(src|href)="(https?:|//)', html) and "@import" not in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # inline SVGs do not share ids


def _output_text(f) -> str:
    """The text of an output file; Word and Excel files are zipped XML, read member by member."""
    if f.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(f) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                           if n.endswith((".xml", ".rels")))
    return f.read_text(errors="replace")


def test_no_identifier_in_any_output(report):
    _, out, _ = report
    p = cohort().patients
    births = [d.strftime("%Y-%m-%d") for d in p["birth_date"]]
    for f in out.rglob("*"):
        if f.is_dir() or f.suffix == ".png":
            continue
        text = _output_text(f)
        for pid in p.index:
            assert pid not in text, (f, pid)
        for b in births:
            assert b not in text, (f, b)


def _table_frames(r):
    return {t.key: t for t in build.all_tables(r)}


def test_docx_tables_reopened(report):
    from docx import Document

    r, out, _ = report
    doc = Document(str(out / "tables.docx"))
    frames = _table_frames(r)
    cells = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    t1 = frames["table1"].frame
    got = next(c for c in cells if c[0][0] == "Characteristic")
    assert got[0] == list(t1.columns)
    assert got[1:] == t1.astype(str).values.tolist()
    assert any(row[0] == SCRIPT for row in got)  # Word shows the text as text
    mv = frames["cox_os"].frame
    got = next(c for c in cells if c[0] == list(mv.columns))
    assert got[1:] == mv.values.tolist()
    extra = next(c for c in cells if c[0] == ["figure", "published", "reproduced", "note"])
    assert extra[1] == ["median OS", "20.5 (13.2-27.7)", "12.0", ""]


def test_xlsx_cells_reopened_and_neutralised(report):
    from openpyxl import load_workbook

    r, out, _ = report
    wb = load_workbook(out / "tables.xlsx")
    ws = next(ws for ws in wb.worksheets if ws["A3"].value == "Characteristic")
    t1 = _table_frames(r)["table1"].frame
    # the labels column as in the table (neutralised), the numbers split into numeric cells
    labels = [ws.cell(row=i, column=1).value for i in range(4, 4 + len(t1))]
    assert labels == ["'" + v if v.startswith("=") else v for v in t1.iloc[:, 0].astype(str)]
    head = [c.value for c in ws[3]]
    assert head[1] == f"{t1.columns[1]}: n or statistic" and head[-1] == "Note"
    sex = 4 + list(t1.iloc[:, 0]).index("Male")
    n_cell, pct_cell = ws.cell(row=sex, column=2), ws.cell(row=sex, column=3)
    assert n_cell.value == 6 and n_cell.data_type == "n"  # 6 of 12 are men (fixture)
    assert pct_cell.value == 50.0 and pct_cell.number_format == "0.0"
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if isinstance(c.value, str)]
    assert "'" + FORMULA in values and FORMULA not in values
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    pub = next(ws for ws in wb.worksheets if ws["A1"].value.endswith(". Published vs reproduced"))
    assert pub["A5"].value == "'=cmd|' /C calc'!A0"


def test_csv_neutralised(report):
    _, out, _ = report
    with open(out / "csv" / "table1.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    first = [row[0] for row in rows]
    assert "'" + FORMULA in first and FORMULA not in first
    for f in (out / "csv").glob("*.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), (f, cell)


def test_narrative_numbers_equal_the_tables(report):
    from sarcohort.report._narrative import methods, results_text

    r, _, _ = report
    text = results_text(r)
    frames = _table_frames(r)
    # medians: the "All patients" row of each endpoint's table
    for e in r.endpoints:
        row = frames[f"km_{e.name}"].frame.iloc[0]
        median_cell = row.iloc[3]  # "12.0 (8.0-NR)"
        point, _, ci = median_cell.partition(" (")
        assert f"{point} months (95% CI {ci.rstrip(')')})" in text
    # every multivariable HR, CI and P as in its table
    for m in r.multivariable:
        table = frames[f"cox_{m.endpoint}"].frame
        for row in table.itertuples(index=False):
            label, hr_cell, p_cell = row[0], row[5], row[6]
            if hr_cell == DASH:  # not estimable: said in words
                continue
            point, _, ci = hr_cell.partition(" (")
            p_text = f"P {p_cell}" if p_cell[0] in "<>" else f"P = {p_cell}"
            assert f"HR {point}, 95% CI {ci.rstrip(')')}, {p_text}" in text, label
    # group sizes as in Table 1
    assert "12 patients were analysed (4 synchronous and 8 metachronous)" in text
    k = r.km("os", "timing")
    assert fmt_time(k.groups[0].median) in text
    m = methods(r)
    assert "Brookmeyer-Crowley" in m and "log-rank" in m and "sarcohort" in m
    assert "Fisher's exact test" in m and "cox.zph" in m
    x = next(x for x in r.robustness if x.endpoint == "os")
    assert fmt_hr(x.naive.hr, x.naive.lower, x.naive.upper) in text


def test_write_from_results_json(report, tmp_path):
    import sarcohort.report

    _, out, _ = report
    paths = sarcohort.report.write(out / "results.json", tmp_path, formats=("html",),
                                   figure_formats=("svg",))
    assert paths["html"].is_file() and not (tmp_path / "tables.docx").exists()
    assert not list((tmp_path / "figures").glob("*.png"))


def test_neutralise_rules():
    # OWASP CSV-injection rule: text starting with = + - @ (or tab, CR) gets a leading quote;
    # numbers written as text and a lone dash are not formulas
    from sarcohort.report._safe import neutralise

    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+A1") == "'+A1"
    assert neutralise("-A1") == "'-A1"
    assert neutralise("@SUM(A1:A2)") == "'@SUM(A1:A2)"
    assert neutralise("\tx") == "'\tx"
    assert neutralise("-1.5") == "-1.5" and neutralise("+3%") == "+3%"
    assert neutralise("-") == "-" and neutralise("Lyon") == "Lyon" and neutralise(2.5) == 2.5


def test_extra_sections_forms():
    from sarcohort.report import ExtraSection
    from sarcohort.report._sections import normalise_extra

    df = pd.DataFrame({"figure": ["a"], "published": ["1"], "reproduced": ["2"], "note": [""]})
    forms = [
        [("T", df), ("Note", "text")],
        {"T": df, "Note": "text"},
        [ExtraSection("T", df), ExtraSection("Note", "text")],
    ]
    for form in forms:
        got = normalise_extra(form)
        assert [s.title for s in got] == ["T", "Note"]
        assert got[1].content == "text"
    assert normalise_extra(None) == []


def test_prepared_workers_render_the_figures(tmp_path):
    import sarcohort.report
    from sarcohort.report import _figures as figures

    sarcohort.report.prepare(2)
    paths = sarcohort.report.write(results(), tmp_path, formats=("html",))
    assert figures._PREPARED is None  # used by write, then released
    assert len(list((tmp_path / "figures").glob("*.png"))) >= 7
    assert paths["html"].read_text().count("<svg") >= 7


def test_interval_labels_follow_the_protocol_conf_level(tmp_path):
    # the protocol asks for 90% intervals: no table, footnote, figure caption or sentence
    # may call them 95% CIs
    from sarcohort.report._figures import plan
    from sarcohort.report._narrative import methods, results_text

    r = results(conf_level=0.90, ties="breslow",
                time_dependent={"metastasis_surgery": "surgery_days"}, landmark_time=6)
    texts = [methods(r), results_text(r)]
    for t in build.all_tables(r):
        texts += [*map(str, t.frame.columns), *t.footnotes]
    texts += [s.caption for s in plan(r, tmp_path)]
    joined = "\n".join(texts)
    assert "95%" not in joined and "Efron" not in joined
    assert "HR (90% CI)" in joined and "90% CI" in results_text(r)


def test_rewriting_a_folder_leaves_no_stale_figures(tmp_path):
    import sarcohort.report
    from fixtures.small_cohort import results as small_results

    res = small_results()
    sarcohort.report.write(res, tmp_path, factor_figures=True, formats=("csv",))
    many = {p.name for p in (tmp_path / "figures").iterdir()}
    sarcohort.report.write(res, tmp_path, factor_figures=False, formats=("csv",))
    few = {p.name for p in (tmp_path / "figures").iterdir()}
    assert few < many  # the factor figures of the first run are gone


def test_a_figure_pool_nobody_waited_for_is_stopped_at_exit() -> None:
    """A prepared pool dropped unused (an analysis that failed before its report) is stopped at
    interpreter exit: no ``unclosed running multiprocessing pool`` warning, no stray worker."""
    import subprocess
    import sys

    script = ("import gc\nfrom sarcohort.report import _figures\n"
              "assert _figures.prepare(2)\n_figures._PREPARED = None\ngc.collect()\nprint('ok')\n")
    run = subprocess.run([sys.executable, "-W", "always", "-c", script], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    assert "unclosed running multiprocessing pool" not in run.stderr
    assert "Exception ignored" not in run.stderr


def test_a_killed_figure_worker_leaves_its_figures_to_this_process(monkeypatch, tmp_path):
    """A figure worker killed mid-report (e.g. by the system when memory runs out) is no
    wait for ever: the figures it did not hand back are rendered here, the same."""
    import os
    import signal
    import time

    from sarcohort.report import _figures as figures

    parent = os.getpid()
    real = figures._job

    def job(spec):
        if os.getpid() != parent:  # in a worker: killed
            os.kill(os.getpid(), signal.SIGKILL)
        return real(spec)

    monkeypatch.setattr(figures, "_job", job)  # before the fork: the workers run it too
    specs = figures.plan(results(), tmp_path)[:3]
    t0 = time.perf_counter()
    pending = figures.start(specs, workers=2)
    assert pending._pool is not None  # forked workers took the figures
    got = pending.result()
    assert time.perf_counter() - t0 < 60
    assert [f.key for f in got] == [s.key for s in specs]
    assert all(f.svg.lstrip().startswith(("<?xml", "<svg")) and f.files for f in got)


def test_ctrl_c_while_figures_are_handed_out_stops_the_workers(monkeypatch, tmp_path):
    """Ctrl-C between two figures handed to the workers: no worker goes on drawing into a
    report folder that is being removed (the workers are ended before the error goes up)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from sarcohort.report import _figures as figures

    real = ProcessPoolExecutor.submit
    calls = {"n": 0}

    def submit(self, fn, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the _noop that forks the workers, one figure, then Ctrl-C
            raise KeyboardInterrupt
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    specs = figures.plan(results(), tmp_path)[:3]
    with pytest.raises(KeyboardInterrupt):
        figures.start(specs, workers=2)
    assert calls["n"] == 3
    assert not any(p.is_alive() for p in mp.active_children())
