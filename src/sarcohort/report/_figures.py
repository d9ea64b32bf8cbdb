"""Render the report's figures once: SVG (inlined in the HTML) and 300 dpi PNG files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sarcohort._forked import can_fork, fork_executor, stop, usable_cores
from sarcohort.analysis._results import Results
from sarcohort.data._printable import printable
from sarcohort.report._format import ci_name
from sarcohort.report._safe import safe_name, unique_name
from sarcohort.report._tables import headline_model


@dataclass(frozen=True)
class Figure:
    """A rendered figure: its key, caption, SVG text and the files written."""

    key: str
    caption: str
    svg: str
    files: tuple[Path, ...]
    section: str  # "flow" | endpoint name


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'\b((?:xlink:)?href)="#([^"]+)"')


def inline_svg(svg: str, prefix: str, label: str = "") -> str:
    """SVG text ready to inline in HTML: no XML prolog or comments, ids made unique.

    Several SVGs in one page must not share ids (clip paths and glyphs are
    referenced by id), so every id and reference gets ``prefix``.
    """
    start = svg.find("<svg")
    svg = _METADATA.sub("", _COMMENT.sub("", svg[start:]))
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', svg)
    # a responsive figure: width from CSS, height from the viewBox
    m = re.search(r'<svg([^>]*?) width="([^"]*)" height="[^"]*"', svg)
    if m:
        # up to 1.4 times the print size on a screen, never wider than the column
        w = re.match(r"([0-9.]+)(\w*)", m.group(2))
        width = f"{float(w.group(1)) * 1.4:.0f}{w.group(2)}" if w else m.group(2)
        svg = svg[: m.start()] + f'<svg{m.group(1)} style="max-width:{width}"' + svg[m.end():]
    import html as _html

    text = _html.escape(label, quote=True)
    svg = svg.replace("<svg", f'<svg role="img" focusable="false" class="fig" aria-label="{text}"', 1)
    if label:  # a <title> for screen readers and tooltips, first child of the svg
        end = svg.find(">", svg.find("<svg")) + 1
        svg = svg[:end] + f"<title>{text}</title>" + svg[end:]
    return svg


def _render(fig: Any, stem: Path, formats: tuple[str, ...], dpi: int) -> tuple[str, tuple[Path, ...]]:
    import io

    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from sarcohort.report.plots._style import rc_context, save, svg_font_fallback

    for text in fig.findobj(Text):  # data text: control characters shown as escapes
        shown = text.get_text()
        if printable(shown) != shown:
            text.set_text(printable(shown))
    # saving reads rcParams (svg.fonttype, fonts): keep the journal style while saving
    with rc_context():
        files = tuple(save(fig, stem, [f for f in formats if f != "svg"], dpi=dpi))
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
    svg = svg_font_fallback(buf.getvalue())
    if "svg" in formats:
        p = stem.with_suffix(".svg")
        p.write_text(svg, encoding="utf-8")
        files = (p, *files)
    plt.close(fig)
    return svg, files


def _draw(kind: str, payload: Any, unit: str, options: dict[str, Any] | None = None) -> Any:
    """Draw one figure; returns the matplotlib Figure."""
    if kind == "flow":
        from sarcohort.report.plots._flow import plot_flow

        return plot_flow(payload).figure
    if kind == "km":
        from sarcohort.report.plots._km import plot_km

        return plot_km(payload, time_unit=unit, **(options or {})).figure
    if kind == "cif":
        from sarcohort.report.plots._cif import plot_cif

        return plot_cif(payload, time_unit=unit, **(options or {})).figure
    if kind == "swimmer":
        from sarcohort.report.plots._swimmer import plot_swimmer

        return plot_swimmer(payload, time_unit=unit).figure
    if kind == "zph":
        from sarcohort.report.plots._zph import plot_zph

        model, time_label = payload
        return plot_zph(model, time_label=time_label, **(options or {}))[0].figure
    if kind == "calibration":
        from sarcohort.report.plots._calibration import plot_calibration

        return plot_calibration(payload, time_unit=unit).figure
    from sarcohort.report.plots._forest import plot_forest

    model, conf_level = payload
    return plot_forest(model, conf_level=conf_level).figure


@dataclass(frozen=True)
class FigureSpec:
    """A figure to render: what, where, and its caption."""

    key: str
    caption: str
    section: str
    kind: str  # "flow" | "km" | "forest"
    payload: Any
    stem: str
    formats: tuple[str, ...]
    dpi: int
    unit: str
    options: dict[str, Any] = field(default_factory=dict)  # time_label, median_lines


def _job(spec: FigureSpec) -> tuple[str, tuple[Path, ...]]:
    return _render(_draw(spec.kind, spec.payload, spec.unit, spec.options), Path(spec.stem),
                   spec.formats, spec.dpi)


class Pending:
    """Figures being rendered (in worker processes, or on demand here)."""

    def __init__(self, specs: list[FigureSpec], futures: list[Any] | None = None,
                 pool: Any = None):
        self._specs = specs
        self._futures = futures
        self._pool = pool

    @property
    def specs(self) -> list[FigureSpec]:
        """The figures being rendered."""
        return self._specs

    def cancel(self) -> None:
        """Stop the workers now (nothing more is written); safe to call twice."""
        if self._pool is not None:
            stop(self._pool)
            self._pool = self._futures = None

    def result(self) -> list[Figure]:
        """Wait for the figures (rendering here those no worker rendered: a worker that
        failed or was killed)."""
        done: list[Any] = [None] * len(self._specs)
        if self._futures is not None:
            try:
                for i, future in enumerate(self._futures):
                    try:
                        done[i] = future.result()
                    except Exception:  # noqa: BLE001 - a failed or killed worker: render here
                        done[i] = None
            except BaseException:  # Ctrl-C: stop the workers, write nothing more
                self.cancel()
                raise
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = self._futures = None
        done = [d if d is not None else _job(s) for s, d in zip(self._specs, done, strict=True)]
        return [Figure(s.key, s.caption, svg, files, s.section)
                for s, (svg, files) in zip(self._specs, done, strict=True)]


_PREPARED: Any = None  # a pool started by prepare(), used by the next start()


def _warm_worker() -> None:
    try:
        _warm()
    except Exception:  # noqa: BLE001 - a failing initializer makes a Pool respawn workers
        pass           # forever; the job itself then fails and renders here, with its error


def _warm() -> None:
    """Import and set up matplotlib and the plotting modules."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    from sarcohort.report.plots import _flow as flow  # noqa: F401
    from sarcohort.report.plots._style import font_family, text_width_in

    font_family()
    text_width_in("0")


def _default_workers() -> int:
    """Figure workers when none are asked for: two where this process may use two cores."""
    return min(2, usable_cores())


def prepare(workers: int | None = None) -> bool:
    """Start the figure workers now, so they import matplotlib while the analysis runs.

    Optional: call it before :meth:`Study.load`/:meth:`Study.analyze` to take about half a
    second (the matplotlib import) off the report on a multi-core machine. The next
    :func:`start` (and :func:`sarcohort.report.write`) uses these workers. Returns
    whether workers were started.
    """
    global _PREPARED
    if _PREPARED is not None:
        return True
    workers = _default_workers() if workers is None else workers
    if workers < 2 or not can_fork():
        return False
    try:
        _PREPARED = fork_executor(workers, _warm_worker)
    except Exception:  # noqa: BLE001 - no /dev/shm or no fork: figures render here later
        return False
    return True


def start(specs: list[FigureSpec], workers: int | None = None) -> Pending:
    """Start rendering ``specs``; call ``.result()`` for the figures.

    Figures are independent and CPU-bound (rasterising 300 dpi PNGs): with
    several cores they render in forked worker processes while the caller
    writes the tables. Any failure of the pool falls back to rendering in this
    process, one by one.
    """
    global _PREPARED
    pool, _PREPARED = _PREPARED, None
    if workers is None:
        workers = _default_workers()
    if pool is None and workers > 1 and len(specs) >= 3 and can_fork():
        # import and set up matplotlib once, here, so the forked children inherit it
        _warm()
        try:
            pool = fork_executor(workers)
        except Exception:  # noqa: BLE001 - e.g. no /dev/shm in a sandbox: render serially
            pool = None
    if pool is not None:
        try:
            return Pending(specs, [pool.submit(_job, s) for s in specs], pool)
        except Exception:  # noqa: BLE001 - render serially
            stop(pool)
        except BaseException:  # Ctrl-C while the figures are handed out: none is drawn
            stop(pool)
            raise
    return Pending(specs)


def time_axis_label(results: Results) -> str:
    """The time axis names the unit and the origin: ``Months since first metastasis``."""
    unit = results.meta.time_unit
    origin = results.meta.time_origin
    text = unit[:1].upper() + unit[1:]
    return f"{text} since {origin}" if origin else f"Time ({unit})"


def _zph_sample_note(model: Any) -> str:
    """The caption's word on a residual plot that shows a sample of the residuals."""
    shown = [c.points_shown for c in model.zph_curves if c.points_shown is not None]
    total = model.zph_curves[0].points_total
    if not shown or total is None or max(shown) >= total:
        return ""
    lo, hi = min(shown), max(shown)
    return (f" Points: {lo:,}" + (f" to {hi:,}" if hi > lo else "") + f" of the {total:,} "
            "residuals, evenly spaced in time order with each term's lowest and highest; the "
            "smooth and the test use all.")


def plan(results: Results, out_dir: Path, *, formats: tuple[str, ...] = ("svg", "png"),
         dpi: int = 300, factor_figures: bool = True) -> list[FigureSpec]:
    """The figures of the report: patient flow, Kaplan-Meier (overall, by group, by
    factor when ``factor_figures``) and forest plots."""
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    unit = results.meta.time_unit
    opts = dict(results.meta.report_options or {})
    specs: list[FigureSpec] = []
    used: set[str] = set()

    def add(key: str, caption: str, section: str, kind: str, payload: Any) -> None:
        key = unique_name(key, used)  # two long names cut to one prefix: still two files
        width = 3.35 if opts.get("figure_width") == "single" else 6.89
        options: dict[str, Any] = ({"time_label": time_axis_label(results),
                                    "median_lines": bool(opts.get("median_lines")), "width": width}
                                   if kind == "km" and any(payload is k for k in results.survival)
                                   else {"time_label": time_axis_label(results), "width": width}
                                   if kind == "cif" else {"width": width} if kind == "zph" else {})
        specs.append(FigureSpec(key, caption, section, kind, payload, str(fig_dir / key),
                                tuple(formats), dpi, unit, options))

    if results.flow:
        add("flow", "Patient flow.", "flow", "flow", results)
    group = results.meta.group
    for e in results.endpoints:
        for k in results.survival:
            if k.endpoint != e.name:
                continue
            if k.factor is not None and k.factor != group and not factor_figures:
                continue
            key = f"km_{safe_name(e.name)}" + (f"_{safe_name(k.factor)}" if k.factor else "")
            by = f" by {k.factor_label[:1].lower() + k.factor_label[1:]}" if k.factor_label else ""
            cap = (f"{e.label}{by}: Kaplan-Meier estimates"
                   + (f" with pointwise {results.meta.conf_level:.0%} confidence bands"
                      if len(k.groups) <= 3 else "")
                   + "; ticks mark censored patients; numbers at risk below the time axis."
                   + (" Log-rank P in the legend." if len(k.groups) > 1 else ""))
            add(key, cap, e.name, "km", k)
        comp = results.competing
        if comp is not None and comp.endpoint == e.name and comp.overall:
            by = (f" by {comp.factor_label[:1].lower() + comp.factor_label[1:]}"
                  if comp.by_group and comp.factor_label else "")
            add(f"cif_{safe_name(e.name)}", f"{e.label}, competing risks{by}: cumulative "
                f"incidence (Aalen-Johansen) of {comp.event_label.lower()} (solid) and of "
                f"{comp.competing_label.lower()} (dashed)"
                + (f", with pointwise {results.meta.conf_level:.0%} confidence bands of "
                   f"{comp.event_label.lower()}"
                   if len({c.group for c in comp.by_group or comp.overall}) <= 3 else "")
                + "; numbers at risk below the time axis."
                + (" Gray's P in the legend." if comp.tests else ""), e.name, "cif", comp)
        model, exposure = headline_model(results, e.name)
        if model is not None and model.terms:
            how = (f", {exposure.label[:1].lower() + exposure.label[1:]} as a time-dependent "
                   "covariate" if exposure is not None else "")
            add(f"forest_{safe_name(e.name)}", f"{e.label}: hazard ratios of the "
                f"multivariable Cox model{how} ({ci_name(results.meta.conf_level)}, log scale).",
                e.name, "forest", (model, results.meta.conf_level))
        for m in results.multivariable:
            if m.endpoint == e.name and m.zph_curves:
                add(f"zph_{safe_name(e.name)}", f"{e.label}: scaled Schoenfeld residuals of each "
                    "term of the multivariable Cox model against time (Kaplan-Meier scale), with "
                    "a natural-spline smooth (solid) and its \u00b12 SE band (dashed), as R's "
                    "plot(cox.zph); dotted: the model's constant coefficient. A smooth that "
                    "leaves the dotted line suggests the effect changes over follow-up."
                    + _zph_sample_note(m), e.name, "zph", (m, time_axis_label(results)))
    for v in results.validation:
        if sum(g.observed is not None for g in v.calibration) >= 2:
            add(f"calibration_{safe_name(v.endpoint)}", f"{v.endpoint_label}: calibration of the "
                f"multivariable Cox model at {v.horizon:g} {unit} (apparent, as rms::calibrate with "
                f"Kaplan-Meier): patients in {len(v.calibration)} groups by predicted survival, the "
                "mean prediction of each group against its Kaplan-Meier estimate with the "
                f"pointwise {results.meta.conf_level:.0%} CI; dashed: perfect calibration. The "
                "optimism-corrected calibration slope is in the validation table.",
                "validation", "calibration", v)
    course = results.treatments
    if course is not None and course.lines and "swimmer" in course.show:
        add("swimmer", (
            "Course of treatment of each patient from the first metastasis, one lane per "
            "patient, longest follow-up on top: bars are systemic lines, markers progressions, "
            "responses, surgery of metastases and death; arrows mark ongoing follow-up."
            if course.lanes else
            f"Share of the {course.n_patients} patients on each systemic line over time since "
            "the first metastasis (a lane per patient is drawn up to "
            f"{course.swimmer_max} patients)."), "treatments", "swimmer", course)
    if course is not None and course.pfs_by_line is not None and "pfs_by_line" in course.show:
        add("km_pfs_by_line", "Progression-free survival from the start of each systemic "
            "line to progression on that line or death: Kaplan-Meier estimates; numbers "
            "at risk below the time axis. Lines share patients: no test between them.",
            "treatments", "km", course.pfs_by_line)
    return specs


def render_figures(results: Results, out_dir: Path, *, formats: tuple[str, ...] = ("svg", "png"),
                   dpi: int = 300, factor_figures: bool = True, workers: int | None = None
                   ) -> list[Figure]:
    """Plan and render every figure (see :func:`plan`, :func:`start`)."""
    specs = plan(results, out_dir, formats=formats, dpi=dpi, factor_figures=factor_figures)
    return start(specs, workers).result()
