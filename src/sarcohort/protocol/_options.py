"""The option table: every key of ``study.toml``, defined once.

Each :class:`Option` holds a key's name, type, allowed values, default, the
words the report's methods text uses for each value, and its documentation.
Everything else reads this table:

- the reader (:mod:`sarcohort.protocol._reader`) checks every value against it
  and takes its defaults from it;
- the spec dataclasses (:mod:`sarcohort.protocol._spec`) take their field
  defaults from it, so ``AnalysisSpec()`` and a protocol without the key agree;
- ``sarcohort init`` writes its commented example protocol from it
  (:func:`example_protocol`);
- the report's methods text takes its wording from it (:func:`wording`).

The table is a tree of :class:`Section` objects, one per TOML table
(``[analysis]``, ``[analysis.multivariable]``...).

How to add an option
--------------------
1. Add an :class:`Option` to its section below: ``key``, ``kind`` (one of
   :data:`KINDS`), ``default``, ``doc`` (one line: it is the comment that
   ``sarcohort init`` writes and the documentation), and as needed
   ``choices`` (with ``wording``: the methods-text words of each value),
   bounds (``above``/``at_least``/``below``/``at_most``), ``example`` (the value
   ``init`` writes when it should differ from the default) and
   ``commented=True`` (``init`` writes it as a comment).
2. Add the field of the same name to the section's dataclass in
   :mod:`sarcohort.protocol._spec` with ``= default_of("section.key")`` as its
   default. ``tests/protocol/test_options.py`` fails until both exist and agree.
3. That is all for a value the generic checks cover (type, choices, bounds,
   lists of names). A rule that involves other keys or other modules (a date
   pattern, a column of the template) goes in :mod:`sarcohort.protocol._reader`,
   in ``_after`` (the checks that run once the section's dataclass is built).
4. Read it where it is used: ``study.analysis.rmst_tau``; for the methods text
   write its ``wording`` and call :func:`wording` in ``report/narrative.py``.

How to add a nested section (e.g. ``[analysis.missing]``)
---------------------------------------------------------
1. Add ``Section("missing", doc=..., options=(...))`` to the parent's
   ``sections``; a section whose keys are chosen by the user (labels, a
   mapping) gives ``entries=Option(...)`` describing each value instead.
2. Add a frozen dataclass (``MissingSpec``) to :mod:`sarcohort.protocol._spec`,
   a field ``missing: MissingSpec = field(default_factory=MissingSpec)`` to
   the parent's dataclass, and the pair ``"analysis.missing": MissingSpec``
   to ``SPECS`` there. A section with only ``entries`` needs no dataclass:
   it becomes a plain mapping (field type ``Mapping[str, ...]``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal, get_args

from sarcohort.data._days import TIME_UNITS
from sarcohort.engines._registry import ENGINES
from sarcohort.stats.results import ConfType, MedianMethod, Selection, Ties

Kind = Literal["text", "choice", "number", "integer", "bool", "date", "names", "numbers",
               "table"]

#: The value types an option may have.
KINDS: tuple[str, ...] = ("text", "choice", "number", "integer", "bool", "date", "names",
                          "numbers", "table")

_MISSING: Any = object()


@dataclass(frozen=True)
class Option:
    """One key of the protocol.

    Attributes
    ----------
    key
        The key's name inside its section (``conf_type``).
    kind
        Its type: ``"text"`` (non-empty string), ``"choice"`` (one of
        ``choices``), ``"number"``, ``"integer"``, ``"bool"``, ``"date"``
        (``YYYY-MM-DD``), ``"names"`` (a list of distinct names; each one of
        ``choices`` when given), ``"numbers"`` (a list of positive numbers,
        sorted) or ``"table"`` (a table the reader checks by a rule of its own).
    default
        The value when the key is absent (``None``: not set).
    doc
        One line: what it means and what to write (``init`` writes it as the
        key's comment).
    choices
        The allowed values of a ``choice`` or of each element of ``names``.
    wording
        The methods text's words for each value (``{z}`` is the normal quantile
        of ``conf_level``).
    above, at_least, below, at_most
        Bounds of a number (strict or inclusive).
    example
        What ``sarcohort init`` writes when it should differ from the default.
    commented
        ``init`` writes the key commented out (an optional key).
    accept_number
        A ``text`` that may be written as a number (``version = 1``).
    """

    key: str
    kind: Kind
    default: Any = None
    doc: str = ""
    choices: tuple[str, ...] = ()
    wording: Mapping[str, str] = field(default_factory=dict)
    above: float | None = None
    at_least: float | None = None
    below: float | None = None
    at_most: float | None = None
    example: Any = _MISSING
    commented: bool = False
    accept_number: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option {self.key}: unknown kind {self.kind!r}")
        if self.kind == "choice" and self.default is not None and self.default not in self.choices:
            raise ValueError(f"option {self.key}: default {self.default!r} is not a choice")
        missing = [c for c in self.choices if self.wording and c not in self.wording]
        if missing:
            raise ValueError(f"option {self.key}: no wording for {missing}")

    @property
    def shown(self) -> Any:
        """The value ``sarcohort init`` writes."""
        return self.default if self.example is _MISSING else self.example

    def bounds_text(self) -> str:
        """The bounds in words (``more than 0 and less than 1``), or ""."""
        parts = []
        if self.above is not None:
            parts.append(f"more than {self.above:g}")
        if self.at_least is not None:
            parts.append(f"at least {self.at_least:g}")
        if self.below is not None:
            parts.append(f"less than {self.below:g}")
        if self.at_most is not None:
            parts.append(f"at most {self.at_most:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Section:
    """One table of the protocol (``[analysis]``, ``[analysis.multivariable]``).

    Attributes
    ----------
    name
        Its name inside the parent (``multivariable``); the path is the dotted
        chain of names (``analysis.multivariable``).
    doc
        One line (``init`` writes it as the section's comment).
    options
        Its fixed keys.
    sections
        Its nested tables.
    entries
        For a table whose keys the user chooses (``[analysis.labels]``,
        ``[data.mapping]``): the type of each value (its ``key`` names the
        dataclass field that holds the mapping, or is ``""`` when the section
        is itself the mapping).
    example_entries
        The entries ``sarcohort init`` writes.
    commented
        ``init`` writes the whole section commented out.
    """

    name: str
    doc: str = ""
    options: tuple[Option, ...] = ()
    sections: tuple[Section, ...] = ()
    entries: Option | None = None
    example_entries: Mapping[str, Any] = field(default_factory=dict)
    commented: bool = False

    def keys(self) -> tuple[str, ...]:
        """The fixed keys and nested sections' names."""
        return tuple(o.key for o in self.options) + tuple(s.name for s in self.sections)


# --------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------
#: The landmark of the immortal-time analysis when ``landmark_time`` is not set: 6 months,
#: in days (the option itself is in the protocol's time unit).
DEFAULT_LANDMARK_DAYS: float = 6 * TIME_UNITS["months"]

#: What ``[analysis.treatments] show`` may name.
TREATMENT_VIEWS: tuple[str, ...] = ("overview", "regimens", "responses", "swimmer",
                                    "pfs_by_line")

PROTOCOL = Section(
    name="",
    doc="sarcohort study protocol",
    sections=(
        Section("study", doc="what the report shows on its first page", options=(
            Option("title", "text", "Untitled study", "shown on the report",
                   example="My retrospective cohort"),
            Option("version", "text", "1", "bump it when the protocol changes (it is hashed too)",
                   example="1.0", accept_number=True),
            Option("description", "text", None, "one sentence under the title",
                   commented=True, example="Retrospective multicentre series"),
        )),
        Section("data", doc="data sources (paths relative to this file)", options=(
            Option("patients", "text", None,
                   "CSV, XLSX, Parquet or a REDCap records export; `sarcohort template` gives "
                   "the layout", example="patients.csv"),
            Option("patients_sheet", "text", None,
                   'sheet of a workbook (default: "patients", else the first sheet)',
                   commented=True, example="patients"),
            Option("treatments", "text", None, "optional; may be the same workbook",
                   example="treatments.csv"),
            Option("treatments_sheet", "text", None, "sheet of a workbook", commented=True,
                   example="treatments"),
            Option("date_format", "text", None,
                   '"iso" | "dayfirst" | "monthfirst" | a pattern like "%d/%m/%Y"; unset: ISO, '
                   "and d/m/y as the unambiguous dates decide (others are errors), as "
                   "`sarcohort validate` reads without a protocol",
                   commented=True, example="dayfirst"),
            Option("redcap_dictionary", "text", None,
                   "set when `patients` is a REDCap records export", commented=True,
                   example="dictionary.csv"),
            Option("on_unlinked_treatments", "choice", "error",
                   "a treatment row whose patient id matches no patient: stop the analysis "
                   '("error"), or leave the row out and say so in the report ("ignore")',
                   choices=("error", "ignore"), commented=True,
                   wording={"error": "every treatment row was linked to its patient",
                            "ignore": "treatment rows whose patient id matched no patient "
                                      "were left out"}),
            Option("engine", "choice", "auto",
                   '"auto" | "memory" | "duckdb" | "spark": what computes the Kaplan-Meier curves '
                   "and log-rank tests (auto: DuckDB for inputs over 200 MB or a Parquet folder); "
                   "`validate` with duckdb checks Parquet tables out of core",
                   choices=ENGINES, commented=True),
        ), sections=(
            Section("mapping", doc="your column name -> template column",
                    entries=Option("mapping", "text", doc="a template column"),
                    example_entries={"sexe": "sex"}, commented=True),
            Section("codes", doc="your codes -> template codes, one table per template "
                                 "column; a table for a column of your own declares it coded "
                                 "(your code = the code shown)",
                    entries=Option("codes", "table", doc="your code = template code"),
                    example_entries={"sex": {"Homme": "M", "Femme": "F"}}, commented=True),
        )),
        Section("inclusion", doc="who is analysed", options=(
            Option("age_min", "number", 18.0, "years at the first metastasis"),
            Option("age_max", "number", None, "years at the first metastasis", commented=True,
                   example=80),
            Option("metastasis_from", "date", None, "inclusion window of the first metastasis",
                   commented=True, example=_dt.date(2009, 1, 1)),
            Option("metastasis_to", "date", None, "end of that window", commented=True,
                   example=_dt.date(2018, 12, 31)),
        )),
        Section("endpoints", doc="how endpoints and timing are derived", options=(
            Option("synchronous_window_days", "integer", 90,
                   "metastasis within this many days of the primary: synchronous", at_least=0),
            Option("cutoff_date", "date", None, "data cut-off: later events are censored",
                   commented=True, example=_dt.date(2020, 6, 30)),
        )),
        Section("derived",
                doc="covariates from expressions (comparisons, and/or/not, in [...])",
                entries=Option("derived", "text", doc="an expression in quotes"),
                example_entries={"more_than_5_metastases": "n_metastases > 5",
                                 "early_metastasis": "months_to_metastasis < 24"}),
        Section("analysis", doc="what is analysed and how", options=(
            Option("endpoints", "names", ("os", "pfs"),
                   "each needs <name>_days and <name>_event in the cohort",
                   example=("pfs", "os")),
            Option("group", "text", None, "Table 1 columns and Kaplan-Meier by group",
                   example="timing"),
            Option("group_order", "names", (), "order of the groups",
                   example=("synchronous", "metachronous")),
            Option("descriptive", "names", (), "rows of Table 1 (default: the factors)",
                   example=("sex", "age_at_metastasis", "months_to_metastasis", "n_metastases",
                            "met_lung", "met_bone", "met_other", "metastasis_surgery",
                            "in_trial")),
            Option("factors", "names", (),
                   "Kaplan-Meier, log-rank and univariable Cox for each",
                   example=("more_than_5_metastases", "early_metastasis", "metastasis_surgery",
                            "met_bone")),
            Option("time_unit", "choice", "months",
                   f"unit of the times shown (a month is {TIME_UNITS['months']:g} days)",
                   choices=tuple(TIME_UNITS), wording={u: u for u in TIME_UNITS}),
            Option("median_ci", "choice", "brookmeyer-crowley",
                   'median CI: as R/SAS, or median +- z SE as SPSS prints',
                   choices=get_args(MedianMethod),
                   wording={"brookmeyer-crowley":
                            "Brookmeyer-Crowley interval (as R's survival prints)",
                            "spss": "median \u00b1 {z} SE, SE from the Greenwood variance and a "
                                    "density estimate (as SPSS prints)"}),
            Option("conf_type", "choice", "log-log", "transformation of the pointwise CI of S(t)",
                   choices=get_args(ConfType),
                   wording={"log-log": "log-log", "log": "log", "plain": "plain"}),
            Option("conf_level", "number", 0.95, "level of every confidence interval",
                   above=0, below=1),
            Option("landmarks", "numbers", (), "survival reported at these times (time_unit)",
                   example=(12, 24)),
            Option("group_defined_by", "names", (),
                   "Table 1 rows that define the groups: shown, never tested against them",
                   commented=True, example=("months_to_metastasis",)),
            Option("continuous_summary", "names", ("median_iqr",),
                   'Table 1 statistics of continuous variables, a row each: "median_iqr", '
                   '"mean_sd", "mean_range", "median_range"',
                   choices=("median_iqr", "mean_sd", "mean_range", "median_range"),
                   wording={"median_iqr": "median (interquartile range)",
                            "mean_sd": "mean (standard deviation)",
                            "mean_range": "mean (range)",
                            "median_range": "median (range)"},
                   example=("mean_range", "median_iqr")),
            Option("continuous_test", "choice", "wilcoxon",
                   "Table 1 comparison of continuous variables (t: Welch's)",
                   choices=("wilcoxon", "t"),
                   wording={"wilcoxon": "the Wilcoxon rank-sum (Mann-Whitney) test",
                            "t": "Welch's t test"}),
            Option("ties", "choice", "efron", "Cox ties, as R's coxph",
                   choices=get_args(Ties),
                   wording={"efron": "Efron method for ties", "breslow": "Breslow method for ties",
                            "exact": "exact partial likelihood for ties"}),
            Option("time_dependent", "table", None,
                   "exposures after the time origin (immortal-time bias): exposure = its time "
                   "column (days); also analysed time-dependent and by landmark",
                   example={"metastasis_surgery": "surgery_days"}),
            Option("landmark_time", "number", None,
                   f"landmark of that analysis (time_unit; default "
                   f"{DEFAULT_LANDMARK_DAYS / TIME_UNITS['months']:g} months)", above=0,
                   example=6),
            Option("rmst_tau", "number", None,
                   "restricted mean survival time up to this horizon (time_unit), per group of "
                   "`group` with the difference and ratio against the first group (survRM2's method)",
                   above=0, example=24, commented=True),
            Option("centre_effect", "choice", None,
                   "heterogeneity between centres (column `centre`): the multivariable Cox model "
                   "(or the model of `group`) refitted with a shared gamma frailty on the centre "
                   "(R's coxph + frailty(centre)) or stratified by centre, beside the model without",
                   choices=("frailty", "strata"),
                   wording={"frailty": "a shared gamma frailty on the treating centre (R's coxph with "
                                       "frailty(centre); the frailty variance estimated by maximising the "
                                       "integrated likelihood, tested with R's frailty test)",
                            "strata": "stratification by the treating centre (a baseline hazard per "
                                      "centre)"},
                   example="frailty", commented=True),
        ), sections=(
            Section("multivariable", doc="the multivariable Cox model of each endpoint", options=(
                Option("selection", "choice", "explicit",
                       "univariable: keep the factors with P < p_threshold (the report then "
                       "warns: data-driven selection inflates effects)",
                       choices=get_args(Selection),
                       wording={"explicit": "prespecified covariates",
                                "univariable": "covariates selected by their univariable P "
                                               "value, a data-driven selection that inflates the "
                                               "retained effects"}),
                Option("p_threshold", "number", 0.05, "univariable selection threshold",
                       above=0, below=1, commented=True),
            ), entries=Option("covariates", "names", doc="endpoint = its covariates"),
                example_entries={"os": ["more_than_5_metastases", "early_metastasis",
                                        "metastasis_surgery", "met_bone"],
                                 "pfs": ["more_than_5_metastases", "early_metastasis",
                                         "metastasis_surgery"]}),
            Section("validation", doc="bootstrap internal validation of each multivariable model "
                    "(rms::validate: optimism-corrected C and calibration slope)", options=(
                Option("bootstrap", "integer", 200,
                       "bootstrap replicates (0: no validation); the whole modelling procedure, "
                       "covariate selection included, is repeated in each",
                       at_least=0, at_most=100_000),
                Option("seed", "integer", 1, "seed of the bootstrap draws (reproducible results)",
                       at_least=0, commented=True),
                Option("horizon", "number", None,
                       "time of the calibration plot (time_unit; default: the last landmark)",
                       above=0, commented=True, example=24),
            )),
            Section("missing", doc="missing covariates of the multivariable models", options=(
                Option("method", "choice", "complete-case",
                       "complete-case, or multiple-imputation: chained equations (predictive mean "
                       "matching, outcome in the imputation models), Rubin's rules; the report "
                       "shows both side by side",
                       choices=("complete-case", "multiple-imputation"),
                       wording={"complete-case": "complete-case analysis",
                                "multiple-imputation": "multiple imputation by chained equations"}),
                Option("m", "integer", 20, "imputed data sets", at_least=2, at_most=1000,
                       commented=True),
                Option("seed", "integer", 1, "seed of the imputations", at_least=0, commented=True),
            )),
            Section("competing", doc="competing risks of progression-free survival: a PFS event "
                    "that is a progression is one cause, a death without progression (the PFS "
                    "date is the death date) the other", options=(
                Option("event", "choice", None,
                       "the event of interest (unset: no competing-risks analysis); cumulative "
                       "incidence of each cause overall and by `group` with Gray's test, and a "
                       "Fine-Gray model as R's cmprsk::crr",
                       choices=("progression", "death"), example="progression", commented=True),
                Option("competing", "choice", None, "the competing event (default: the other one)",
                       choices=("progression", "death"), example="death", commented=True),
                Option("factors", "names", (),
                       "covariates of the Fine-Gray model (default: those of the multivariable "
                       "Cox model of PFS)", commented=True,
                       example=("more_than_5_metastases", "metastasis_surgery")),
            )),
            Section("labels", doc="display names (defaults exist for the template's columns)",
                    entries=Option("labels", "text", doc="display name"),
                    example_entries={"more_than_5_metastases": "More than 5 metastases",
                                     "early_metastasis": "Time to metastasis < 24 months"}),
            Section("treatments", doc="the course of treatment after the first metastasis "
                    "(from the treatments table)", options=(
                Option("show", "names", TREATMENT_VIEWS,
                       "tables and figures of the treatment course ([] shows none)",
                       choices=TREATMENT_VIEWS),
                Option("swimmer_max", "integer", 150,
                       "largest cohort drawn as one swimmer lane per patient (larger: the share "
                       "of patients on each line over time)", at_least=1, commented=True),
            ), sections=(
                Section("regimen_labels", doc="regimen as written = label shown (merges "
                        "spellings)", entries=Option("regimen_labels", "text", doc="label"),
                        example_entries={"AP": "doxorubicin + cisplatin"}, commented=True),
            )),
            Section("levels", doc="display names of a variable's values, one table per "
                                  "variable (defaults: the data dictionary's labels)",
                    entries=Option("levels", "table", doc="value = display name"),
                    example_entries={"sex": {"M": "Male", "F": "Female"}}, commented=True),
            Section("per", doc="hazard ratio of a continuous variable per this many units "
                               "(default 1)",
                    entries=Option("per", "number", doc="units", above=0),
                    example_entries={"age_at_metastasis": 10}, commented=True),
        )),
        Section("report", doc="output", options=(
            Option("formats", "names", ("html", "docx", "xlsx", "csv"), "files written",
                   choices=("html", "docx", "xlsx", "csv")),
            Option("figure_formats", "names", ("svg", "png"), 'figures ("pdf" also possible)',
                   choices=("svg", "png", "pdf")),
            Option("dpi", "integer", 300, "PNG resolution", at_least=72, at_most=1200),
            Option("risk_table_step", "number", None,
                   "time between the numbers-at-risk columns (default: automatic)", above=0,
                   commented=True, example=12),
            Option("max_time", "number", None, "cut the time axis of the Kaplan-Meier figures",
                   above=0, commented=True, example=60),
            Option("title", "text", None, "report title (default: the study's)",
                   commented=True, example="My study"),
            Option("factor_figures", "bool", True,
                   "Kaplan-Meier figure for every factor (false: by group only)"),
            Option("figure_width", "choice", "double",
                   "width of the Kaplan-Meier and residual figures: one journal column (85 mm) "
                   "or two (175 mm); text prints at 8-9 pt either way",
                   choices=("single", "double")),
            Option("median_lines", "bool", False,
                   "Kaplan-Meier figures: dotted lines at the median survival"),
            Option("page_size", "choice", "A4", "page size of tables.docx and of printing",
                   choices=("A4", "letter")),
        ), sections=(
            Section("max_time_per_endpoint", doc="cut each endpoint's time axis (time_unit); "
                                                 "default: max_time",
                    entries=Option("max_time_per_endpoint", "number", doc="time", above=0),
                    example_entries={"pfs": 48, "os": 120}, commented=True),
        )),
    ),
)

#: The sections that define the cohort (read by ``sarcohort validate --protocol`` too).
COHORT_SECTIONS: tuple[str, ...] = ("data", "inclusion", "endpoints", "derived")


# --------------------------------------------------------------------------------------
# look-ups
# --------------------------------------------------------------------------------------
def iter_sections(root: Section = PROTOCOL, prefix: str = "") -> Iterator[tuple[str, Section]]:
    """Every section with its dotted path, parents first."""
    for s in root.sections:
        path = f"{prefix}.{s.name}" if prefix else s.name
        yield path, s
        yield from iter_sections(s, path)


def iter_options(root: Section = PROTOCOL) -> Iterator[tuple[str, Option]]:
    """Every fixed option with its dotted path (``analysis.conf_type``)."""
    for path, s in iter_sections(root):
        for o in s.options:
            yield f"{path}.{o.key}", o


def section(path: str) -> Section:
    """The section at a dotted path (``analysis.multivariable``)."""
    for p, s in iter_sections():
        if p == path:
            return s
    raise KeyError(path)


def option(path: str) -> Option:
    """The option at a dotted path (``analysis.conf_type``)."""
    head, _, key = path.rpartition(".")
    for o in section(head).options:
        if o.key == key:
            return o
    raise KeyError(path)


def default_of(path: str) -> Any:
    """The default of an option (the one default used everywhere)."""
    return option(path).default


def z_value(conf_level: float) -> float:
    """The two-sided normal quantile of ``conf_level`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(1 - (1 - conf_level) / 2)


def wording(path: str, value: str, *, conf_level: float = 0.95) -> str:
    """The methods text's words for an option's value.

    Examples
    --------
    >>> wording("analysis.median_ci", "spss", conf_level=0.9)[:17]
    'median ± 1.645 SE'
    >>> wording("analysis.ties", "efron")
    'Efron method for ties'
    """
    text = option(path).wording.get(value, value)
    return text.replace("{z}", f"{round(z_value(conf_level), 3):g}")


# --------------------------------------------------------------------------------------
# sarcohort init: the commented example, written from the table
# --------------------------------------------------------------------------------------
def toml_value(v: Any) -> str:
    """A value in TOML syntax (strings, numbers, booleans, dates, lists, inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(v)
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {v!r}")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else json.dumps(k)


def _line(text: str, comment: str, commented: bool = False) -> list[str]:
    """The comment (wrapped) above ``key = value`` (a long list over several lines)."""
    out = textwrap.wrap(comment, 96, initial_indent="# ", subsequent_indent="#   ")
    key, eq, value = text.partition(" = ")
    if eq and len(text) > 98 and value.startswith("["):
        items = textwrap.wrap(value[1:-1], 96, initial_indent="  ", subsequent_indent="  ")
        body = [f"{key} = ["] + [f"{x}," if not x.endswith(",") else x for x in items] + ["]"]
    else:
        body = [text]
    return out + [("# " if commented else "") + b for b in body]


def _option_comment(o: Option) -> str:
    doc = o.doc
    if o.kind == "choice":
        doc = " | ".join(f'"{c}"' for c in o.choices) + f": {doc}"
    elif o.bounds_text():
        doc = f"{doc} ({o.bounds_text()})"
    if o.example is not _MISSING and o.default is not None and o.example != o.default:
        doc = f"{doc}; default {toml_value(o.default)}"
    return doc


def _section_lines(path: str, s: Section, commented: bool) -> list[str]:
    commented = commented or s.commented
    tables_of_tables = s.entries is not None and s.entries.kind == "table"
    lines = [] if tables_of_tables else _line(f"[{path}]", s.doc, commented)
    for o in s.options:
        value = o.shown
        if value is None:  # an optional key without an example: documented only
            lines.extend(_line(f"{o.key} = ...", o.doc, True))
            continue
        lines.extend(_line(f"{o.key} = {toml_value(value)}", _option_comment(o),
                           commented or o.commented))
    for k, v in s.example_entries.items():
        if isinstance(v, Mapping):  # a table of tables ([data.codes.sex])
            lines.extend(_line(f"[{path}.{k}]", s.doc, commented))
            for a, b in v.items():
                lines.extend(_line(f"{_toml_key(a)} = {toml_value(b)}", "", commented))
        else:
            lines.extend(_line(f"{_toml_key(k)} = {toml_value(v)}", "", commented))
    for sub in s.sections:
        lines.append("")
        lines.extend(_section_lines(f"{path}.{sub.name}", sub, commented))
    return lines


def example_protocol() -> str:
    """The commented example protocol that ``sarcohort init`` writes.

    Every option of the table appears, with the value it would take (its
    default, or an example), its allowed values and its documentation.
    """
    out = [
        "# sarcohort study protocol. Every key is checked: an unknown key or a wrong type is an",
        '# error naming the key (e.g. "analysis.median_ci"), never a silent default.',
        '# A key written "# key = value" is optional: remove the "# " to use it.',
        "# Run it with:  sarcohort analyze study.toml --out report/",
    ]
    for s in PROTOCOL.sections:
        out.append("")
        out.extend(_section_lines(s.name, s, False))
    return "\n".join(out) + "\n"


def reference_markdown() -> str:
    """Every option as a Markdown table (key, type, default, allowed values, meaning)."""
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for path, s in iter_sections():
        for o in s.options:
            default = "" if o.default is None else toml_value(o.default)
            allowed = ", ".join(o.choices) or o.bounds_text()
            rows.append(f"| `{path}.{o.key}` | {o.kind} | `{default}` | {allowed} | {o.doc} |")
        if s.entries is not None:
            rows.append(f"| `{path}.<name>` | {s.entries.kind} | | | {s.entries.doc} |")
    return "\n".join(rows) + "\n"
