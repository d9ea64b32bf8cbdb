"""``sarcohort init``: write a commented example protocol (study.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["run", "EXAMPLE"]

EXAMPLE = '''\
# sarcohort study protocol. Every key is checked: an unknown key or a wrong type is an
# error naming the key (e.g. "analysis.median_ci"), never a silent default.
# Run it with:  sarcohort analyze study.toml --out report/

[study]
title = "My retrospective cohort"      # shown on the report
version = "1.0"                        # bump it when the protocol changes (it is hashed too)

# ---------------------------------------------------------------- data sources
[data]
patients = "patients.csv"              # CSV, XLSX, Parquet or a REDCap records export,
treatments = "treatments.csv"          #   relative to this file; `sarcohort template` gives the layout
date_format = "iso"                    # "iso" | "dayfirst" | "monthfirst" | "%d/%m/%Y" ...
# patients_sheet = "patients"          # for a workbook
# [data.mapping]                       # your column name -> template column
# sexe = "sex"
# [data.codes.sex]                     # your codes -> template codes
# Homme = "M"
# Femme = "F"

[inclusion]
age_min = 18                           # years at the first metastasis
# age_max = 80
# metastasis_from = 2009-01-01         # inclusion window of the first metastasis
# metastasis_to = 2018-12-31

[endpoints]
synchronous_window_days = 90           # metastasis within this many days of the primary: synchronous
# cutoff_date = 2020-06-30             # data cut-off: later events are censored

[derived]                              # covariates from expressions (comparisons, and/or/not, in [...])
more_than_5_metastases = "n_metastases > 5"
early_metastasis = "months_to_metastasis < 24"

# ---------------------------------------------------------------- analysis
[analysis]
endpoints = ["pfs", "os"]              # each needs <name>_days and <name>_event in the cohort
group = "timing"                       # Table 1 columns and Kaplan-Meier by group
group_order = ["synchronous", "metachronous"]
descriptive = ["sex", "age_at_metastasis", "months_to_metastasis", "n_metastases",
               "met_lung", "met_bone", "met_other", "metastasis_surgery", "in_trial"]
factors = ["more_than_5_metastases", "early_metastasis", "metastasis_surgery", "met_bone"]
time_unit = "months"                   # "days" | "weeks" | "months" (30.4375 days) | "years"
median_ci = "brookmeyer-crowley"       # as R/SAS; "spss" = median +- 1.96 SE as SPSS prints
conf_type = "log-log"                  # pointwise CI of S(t): "log-log" | "log" | "plain"
conf_level = 0.95
landmarks = [12, 24]                   # survival reported at these times (time_unit)
continuous_test = "wilcoxon"           # Table 1 comparison of continuous variables: or "t" (Welch)
ties = "efron"                         # Cox ties: "efron" (as R) | "breslow"
# A yes/no exposure that happens after the time origin (immortal-time bias): also analysed
# as a time-dependent covariate (counting process) and by landmark, beside the naive coding.
time_dependent = { metastasis_surgery = "surgery_days" }   # exposure = its time column (days)
landmark_time = 6                      # landmark of that analysis (time_unit)

[analysis.multivariable]
selection = "explicit"                 # or "univariable": keep factors with P < p_threshold
# p_threshold = 0.05                   #   (the report then warns: data-driven selection inflates effects)
os = ["more_than_5_metastases", "early_metastasis", "metastasis_surgery", "met_bone"]
pfs = ["more_than_5_metastases", "early_metastasis", "metastasis_surgery"]

[analysis.labels]                      # display names (defaults exist for the template's columns)
more_than_5_metastases = "More than 5 metastases"
early_metastasis = "Time to metastasis < 24 months"

# ---------------------------------------------------------------- report
[report]
formats = ["html", "docx", "xlsx", "csv"]
figure_formats = ["svg", "png"]        # "pdf" also possible
dpi = 300                              # PNG resolution
# risk_table_step = 12                 # time between the numbers-at-risk columns (default: automatic)
# max_time = 60                        # cut the time axis of the Kaplan-Meier figures
factor_figures = true                  # Kaplan-Meier figure for every factor (false: by group only)
'''


def run(
    out: Annotated[Path, typer.Argument(help="Where to write the protocol.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example protocol to edit for your study.

    Exit code 0: written; 2: the file exists (use --force) or cannot be written.
    """
    if out.exists() and not force:
        typer.echo(f"sarcohort init: {out} exists; use --force to overwrite it", err=True)
        raise typer.Exit(2)
    try:
        out.write_text(EXAMPLE, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"sarcohort init: cannot write {out}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {out}; edit it, then run: sarcohort analyze {out} --out report/")
