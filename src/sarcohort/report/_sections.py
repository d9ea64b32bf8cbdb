"""The report's outline: which tables, figures and texts, in which order.

HTML, Word and Excel all follow this one outline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sarcohort.analysis._results import Results
from sarcohort.report import _tables as build
from sarcohort.report._imputation_tables import imputation_table
from sarcohort.report._narrative import followup_phrase
from sarcohort.report._tables import ReportTable
from sarcohort.report._treatment_tables import treatment_tables
from sarcohort.report._validation_tables import validation_table


@dataclass(frozen=True)
class ExtraSection:
    """A section added by the caller: a title and a table (DataFrame) or text."""

    title: str
    content: Any  # pandas.DataFrame | str
    footnotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One element of a section: a table, a figure or paragraphs of text."""

    kind: str  # "table" | "figure" | "text"
    table: ReportTable | None = None
    figure: Any = None  # a Figure or FigureSpec (key, caption, section)
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled section of the report."""

    id: str
    title: str
    items: list[Item] = field(default_factory=list)


def normalise_extra(extra: Any) -> list[ExtraSection]:
    """Accept ``{title: DataFrame | str}``, ``[(title, content), ...]`` or ExtraSection objects."""
    if extra is None:
        return []
    if isinstance(extra, Mapping):
        pairs: Iterable[Any] = list(extra.items())
    else:
        pairs = list(extra)
    out = []
    for p in pairs:
        if isinstance(p, ExtraSection):
            out.append(p)
        elif hasattr(p, "title") and hasattr(p, "content"):
            out.append(ExtraSection(str(p.title), p.content, tuple(getattr(p, "footnotes", ()))))
        else:
            title, content = p
            out.append(ExtraSection(str(title), content))
    return out


def _extra_table(key: str, sec: ExtraSection) -> ReportTable:
    frame = sec.content.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), "")
    frame = frame.map(str) if hasattr(frame, "map") else frame.applymap(str)
    return ReportTable(key, sec.title, frame.reset_index(drop=True),
                       tuple("plain" for _ in range(len(frame))), tuple(sec.footnotes))


def outline(results: Results, figures: Sequence[Any], extra: Sequence[ExtraSection] = ()
            ) -> list[Section]:
    """The report's sections in order."""
    figs = {f.key: f for f in figures}
    tables = {t.key: t for t in build.all_tables(results)}
    out: list[Section] = []
    if results.flow:
        s = Section("flow", "Patient flow")
        if "flow" in figs:
            s.items.append(Item("figure", figure=figs["flow"]))
        s.items.append(Item("table", table=tables["flow"]))
        out.append(s)
    out.append(Section("table1", "Patient characteristics", [Item("table", table=tables["table1"])]))
    group = results.meta.group
    for e in results.endpoints:
        s = Section(f"endpoint-{e.name}", e.label)
        fu = results.followup()
        text = f"Patients: {e.n}; events: {e.events}."
        if fu is not None and fu.name == e.name:
            text += " " + followup_phrase(results, fu).replace("With a median", "Median") + "."
        s.items.append(Item("text", paragraphs=(text,)))
        keys = [f.key for f in figures if f.section == e.name]
        main = [k for k in keys if k.startswith("km_") and (k == f"km_{e.name}" or (
            group and k.endswith(f"_{group}")))]
        for k in main:
            s.items.append(Item("figure", figure=figs[k]))
        s.items.append(Item("table", table=tables[f"km_{e.name}"]))
        if f"rmst_{e.name}" in tables:
            s.items.append(Item("table", table=tables[f"rmst_{e.name}"]))
        for k in keys:
            if k.startswith("cif_"):
                s.items.append(Item("figure", figure=figs[k]))
        if f"cif_{e.name}" in tables:
            s.items.append(Item("table", table=tables[f"cif_{e.name}"]))
        for k in keys:
            if k.startswith("km_") and k not in main:
                s.items.append(Item("figure", figure=figs[k]))
        if f"cox_{e.name}" in tables:
            s.items.append(Item("table", table=tables[f"cox_{e.name}"]))
        if f"finegray_{e.name}" in tables:  # beside the Cox table
            s.items.append(Item("table", table=tables[f"finegray_{e.name}"]))
        for imp in results.imputed:
            if imp.endpoint == e.name:
                try:
                    cc = results.model(e.name)
                except KeyError:
                    continue
                s.items.append(Item("table", table=imputation_table(cc, imp, results.meta.conf_level)))
        for k in keys:
            if k.startswith("forest_"):
                s.items.append(Item("figure", figure=figs[k]))
        if f"zph_{e.name}" in tables:
            s.items.append(Item("table", table=tables[f"zph_{e.name}"]))
        for k in keys:
            if k.startswith("zph_"):
                s.items.append(Item("figure", figure=figs[k]))
        if f"centre_{e.name}" in tables:
            s.items.append(Item("table", table=tables[f"centre_{e.name}"]))
        out.append(s)
    if "robustness" in tables:
        out.append(Section("robustness", "Post-baseline exposures: immortal-time bias",
                           [Item("table", table=tables["robustness"])]))
    vt = validation_table(results.validation)
    if vt is not None:
        s = Section("validation", "Model validation", [Item("table", table=vt)])
        for f in figures:
            if f.section == "validation":
                s.items.append(Item("figure", figure=figs[f.key]))
        out.append(s)
    course_tables = treatment_tables(results.treatments, results.meta)
    if course_tables:
        s = Section("treatments", "Treatment course")
        for t in course_tables:
            s.items.append(Item("table", table=t))
        for f in figures:
            if f.section == "treatments":
                s.items.append(Item("figure", figure=figs[f.key]))
        out.append(s)
    for i, sec in enumerate(extra):
        sid = f"extra-{i + 1}"
        if isinstance(sec.content, str):
            paras = tuple(p.strip() for p in sec.content.split("\n\n") if p.strip())
            out.append(Section(sid, sec.title, [Item("text", paragraphs=paras)]))
        else:
            out.append(Section(sid, sec.title, [Item("table", table=_extra_table(sid, sec))]))
    out.append(Section("strobe", "STROBE checklist", [Item("table", table=tables["strobe"])]))
    return out
