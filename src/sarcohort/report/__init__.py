"""The report: HTML (self-contained), Word and Excel tables, CSVs, figures, results.json.

:func:`write` writes it (with optional :class:`ExtraSection` objects); :func:`prepare`
starts the figure workers early.

>>> import sarcohort.report                                     # doctest: +SKIP
>>> paths = sarcohort.report.write(results, "report/")          # doctest: +SKIP
>>> paths["html"]                                               # doctest: +SKIP
PosixPath('report/report.html')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sarcohort.report._sections import ExtraSection

__all__ = ["write", "prepare", "ExtraSection"]


def prepare(workers: int | None = None) -> bool:
    """Start the figure workers early (optional; see :func:`sarcohort.report._figures.prepare`).

    Call it before loading and analysing the cohort: the workers import
    matplotlib while the analysis runs, and the next :func:`write` uses them.
    """
    from sarcohort.report._figures import prepare as _prepare

    return _prepare(workers)


def write(
    results: Any,
    out_dir: str | Path,
    *,
    extra_sections: Any = None,
    formats: tuple[str, ...] | None = None,
    figure_formats: tuple[str, ...] | None = None,
    dpi: int | None = None,
    factor_figures: bool | None = None,
    title: str | None = None,
) -> dict[str, Path]:
    """Write every output of a study to ``out_dir``.

    Parameters
    ----------
    results
        :class:`~sarcohort.analysis._results.Results` (or the path of a ``results.json``).
    out_dir
        The report folder: new, empty, or an earlier sarcohort report, which is replaced
        whole (only the files its manifest lists are deleted; see
        :mod:`sarcohort.report._output`). A killed or failing run leaves the earlier
        report as it was.
    extra_sections
        Sections the caller adds after the analyses, rendered like the others in
        HTML, Word and Excel: ``{title: DataFrame | str}``, a list of
        ``(title, content)`` pairs or :class:`ExtraSection` objects. A DataFrame
        becomes a table (e.g. *Published vs reproduced* with columns figure,
        published, reproduced, note), a string becomes paragraphs (blank line
        between paragraphs).
    formats, figure_formats, dpi, factor_figures, title
        Override the protocol's ``[report]`` options.

    Returns
    -------
    dict
        ``{"html", "docx", "xlsx", "json", "csv_dir", "figures_dir"}`` -> path (those written).

    Raises
    ------
    OutputError
        ``out_dir`` holds files sarcohort did not write; nothing is written.
    """
    from sarcohort.analysis._results import Results
    from sarcohort.report._output import staged

    if not isinstance(results, Results):
        results = Results.from_json(Path(results))
    out = Path(out_dir)
    with staged(out, sarcohort_version=results.meta.sarcohort_version) as stage:
        written = _write_into(stage, results, extra_sections=extra_sections, formats=formats,
                              figure_formats=figure_formats, dpi=dpi,
                              factor_figures=factor_figures, title=title)
    return {key: out / path.relative_to(stage) for key, path in written.items()}


def _write_into(out: Path, results: Any, *, extra_sections: Any, formats: tuple[str, ...] | None,
                figure_formats: tuple[str, ...] | None, dpi: int | None,
                factor_figures: bool | None, title: str | None) -> dict[str, Path]:
    """Write every output into the (new, empty) folder ``out``."""
    from sarcohort.report._figures import plan, start
    from sarcohort.report._sections import normalise_extra

    opts = dict(results.meta.report_options or {})
    formats = tuple(formats or opts.get("formats") or ("html", "docx", "xlsx", "csv"))
    figure_formats = tuple(figure_formats or opts.get("figure_formats") or ("svg", "png"))
    dpi = int(dpi or opts.get("dpi") or 300)
    if factor_figures is None:
        factor_figures = bool(opts.get("factor_figures", True))
    title = title or opts.get("title") or results.meta.title
    extra = normalise_extra(extra_sections)

    paths: dict[str, Path] = {}
    specs = plan(results, out, formats=figure_formats, dpi=dpi, factor_figures=factor_figures)
    pending = None
    try:
        pending = start(specs)  # figures render in worker processes meanwhile
        return _write_files(out, paths, pending, results, extra, formats, title)
    except BaseException:
        if pending is not None:
            pending.cancel()  # no worker may write into a folder being removed
        raise


def _write_files(out: Path, paths: dict[str, Path], pending: Any, results: Any, extra: Any,
                 formats: tuple[str, ...], title: str) -> dict[str, Path]:
    from sarcohort.report._sections import outline
    from sarcohort.report._tables import ReportTable

    specs = pending.specs
    paths["figures_dir"] = out / "figures"
    sections = outline(results, specs, extra)
    tables: list[ReportTable] = [it.table for s in sections for it in s.items
                                 if it.kind == "table" and it.table is not None]
    paths["json"] = out / "results.json"
    results.to_json(paths["json"])
    # the tables that embed no figure first, while the workers draw
    if "xlsx" in formats:
        from sarcohort.report._xlsx_writer import write_xlsx

        paths["xlsx"] = write_xlsx(out / "tables.xlsx", tables)
    if "csv" in formats:
        from sarcohort.report._xlsx_writer import write_csvs

        write_csvs(out / "csv", tables)
        paths["csv_dir"] = out / "csv"
    figures = pending.result()
    if "docx" in formats:
        from sarcohort.report._docx_writer import write_docx

        paths["docx"] = write_docx(out / "tables.docx", results, sections, title, figures)
    if "html" in formats:
        from sarcohort.report._html import write_html

        paths["html"] = write_html(out / "report.html", results, sections, figures, title)
    return paths

