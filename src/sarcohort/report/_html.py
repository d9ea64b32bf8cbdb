"""The self-contained HTML report: inline CSS and SVG, no script, works offline, printable.

Rendered by jinja2 with autoescaping on: every data-derived string (centre
names, group labels, titles) is HTML-escaped. The only markup inserted
unescaped is the SVG matplotlib wrote, with its comments and metadata removed;
its text stays text (``svg.fonttype = "none"``) and matplotlib writes it
XML-escaped, so no data string becomes markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sarcohort.analysis._results import Results
from sarcohort.data._printable import printable
from sarcohort.report._figures import Figure, inline_svg
from sarcohort.report._format import ci_name
from sarcohort.report._narrative import methods, results_text
from sarcohort.report._sections import Section
from sarcohort.report._tables import median_ci_name


def _template_text(name: str) -> str:
    return resources.files("sarcohort.report").joinpath("templates", name).read_text("utf-8")


def _manifest_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The data manifest in a few lines: sources with their hashes, validation, counts.

    The full manifest is in ``results.json``.
    """
    rows: list[tuple[str, str]] = []
    for src in manifest.get("sources") or []:
        if isinstance(src, dict):
            bits = [str(src.get("file", "")), f"{src['rows']} rows" if "rows" in src else "",
                    f"SHA-256 {src['sha256']}" if src.get("sha256") else ""]
            rows.append((f"Data: {src.get('role', 'source')}", "; ".join(b for b in bits if b)))
    if isinstance(manifest.get("sources"), dict):  # {file: hash}
        for name, digest in manifest["sources"].items():
            rows.append((f"Data: {name}", f"SHA-256 {digest}"))
    val = manifest.get("validation")
    if isinstance(val, dict) and isinstance(val.get("counts"), dict):
        rows.append(("Validation", ", ".join(f"{v} {k}(s)" for k, v in val["counts"].items())))
    for key, name in (("n_analysed", "Patients analysed"), ("created_utc", "Cohort built")):
        if key in manifest:
            rows.append((name, str(manifest[key])))
    return rows


_NBSP = "\u00a0"


def unbreakable(cell: str) -> str:
    """A number cell that never breaks across lines: ``< 0.001``, ``2.86 (1.84-4.45)``,
    ``74 (61.7%)`` keep their spaces unbreakable (their hyphens are en-dash-free ranges)."""
    if len(cell) > 40:
        return cell
    return cell.replace(" ", _NBSP).replace("-", "\u2011")  # non-breaking hyphen


def render_html(results: Results, sections: Sequence[Section], figures: Sequence[Figure],
                title: str | None = None) -> str:
    """The report as one HTML string."""
    import jinja2
    from markupsafe import Markup

    def shown(value: Any) -> Any:  # data text: control characters as escapes (\x0b)
        return value if isinstance(value, Markup) or not isinstance(value, str) else printable(value)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=shown,
                             trim_blocks=False, lstrip_blocks=False)
    tpl = env.from_string(_template_text("report.html.j2"))
    rendered = {f.key: f for f in figures}
    number = 0
    n_table = 0
    ctx_sections: list[dict[str, Any]] = []
    for sec in sections:
        items = []
        for it in sec.items:
            if it.kind == "figure" and it.figure is not None and it.figure.key in rendered:
                fig = rendered[it.figure.key]
                number += 1
                items.append({"kind": "figure", "fig": fig, "number": number,
                              "svg": Markup(inline_svg(fig.svg, f"f{number}",
                                                      f"Figure {number}. {fig.caption}"))})
            elif it.kind == "table" and it.table is not None:
                t = it.table
                kinds = list(t.row_kinds) or ["plain"] * len(t.frame)
                rows = [{"kind": k, "cells": [str(c) if j == 0 else unbreakable(str(c))
                                              for j, c in enumerate(row)]}
                        for k, row in zip(kinds, t.frame.itertuples(index=False), strict=True)]
                n_table += 1
                items.append({"kind": "table", "table": t, "rows": rows, "number": n_table})
            else:
                items.append({"kind": "text", "paragraphs": it.paragraphs})
        ctx_sections.append({"id": sec.id, "title": sec.title, "elements": items})
    toc: list[dict[str, str]] = [{"id": "methods", "title": "Statistical methods"},
           {"id": "summary", "title": "Results summary"}]
    toc += [{"id": sec.id, "title": sec.title} for sec in sections]
    toc.append({"id": "provenance", "title": "Provenance"})
    return tpl.render(
        title=title or results.meta.title, meta=results.meta, css=Markup(_template_text("report.css")),
        warnings=list(results.warnings), methods=methods(results), results_text=results_text(results),
        sections=ctx_sections, toc=toc, median_ci=median_ci_name(results.meta.median_ci, results.meta.conf_level),
        ci=ci_name(results.meta.conf_level),
        page_size=("letter" if (results.meta.report_options or {}).get("page_size") == "letter"
                   else "A4"),
        manifest=_manifest_rows(results.meta.manifest))


def write_html(path: Path, results: Results, sections: Sequence[Section],
               figures: Sequence[Figure], title: str | None = None) -> Path:
    """Write ``report.html``."""
    path.write_text(render_html(results, sections, figures, title), encoding="utf-8")
    return path
