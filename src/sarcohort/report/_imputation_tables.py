"""Complete-case and multiply imputed estimates side by side, for each multivariable model.

Numbers come from :class:`~sarcohort.analysis._results.CoxModel` (complete cases) and
:class:`~sarcohort.analysis._results.ImputedModel` (Rubin's rules), formatted by the one policy
of :mod:`sarcohort.report._format`.
"""

from __future__ import annotations

import pandas as pd

from sarcohort.analysis._results import CoxModel, ImputedModel
from sarcohort.protocol._options import default_of
from sarcohort.report._format import DASH, ci_name, fmt_hr, fmt_int, fmt_p, is_missing
from sarcohort.report._tables import ReportTable


def imputation_table(complete: CoxModel, imputed: ImputedModel, conf_level: float = default_of("analysis.conf_level")) -> ReportTable:
    """Rows: the terms; columns: complete-case HR (CI), P; imputed HR (CI), P; FMI."""
    cc = {t.name: t for t in complete.terms}
    ci = ci_name(conf_level)
    rows = []
    for j, t in enumerate(imputed.terms):
        c = cc.get(t.name)
        fmi = imputed.fmi[j]
        rows.append([t.label,
                     fmt_hr(c.hr, c.lower, c.upper) if c is not None else DASH,
                     fmt_p(c.p) if c is not None else DASH,
                     fmt_hr(t.hr, t.lower, t.upper), fmt_p(t.p),
                     DASH if is_missing(fmi) else f"{float(fmi):.2f}"])  # type: ignore[arg-type]
    frame = pd.DataFrame(rows, columns=["Variable", f"Complete cases: HR ({ci})", "P, complete cases",
                                        f"Multiple imputation: HR ({ci})", "P, imputed", "FMI"])
    counts = ", ".join(f"{name} {fmt_int(k)}" for name, k in imputed.n_imputed)
    notes = (
        f"Complete cases: {fmt_int(complete.n)} patients ({fmt_int(complete.n_missing)} left out for "
        f"missing values); multiple imputation: {fmt_int(imputed.n)} patients, {imputed.m} data sets "
        f"imputed by chained equations (predictive mean matching, the event indicator and the "
        f"Nelson-Aalen cumulative hazard in the imputation models; seed {imputed.seed}), pooled by "
        "Rubin's rules with Barnard-Rubin degrees of freedom (t-based CI and P).",
        f"Imputed values per variable: {counts}.",
        "FMI: fraction of missing information." + (
            " Each imputed data set was fitted with Firth's penalised likelihood, as the "
            "complete-case model." if imputed.firth else ""),
    )
    return ReportTable(f"imputed_{imputed.endpoint}", f"{imputed.endpoint_label}: complete-case and "
                       "multiply imputed multivariable Cox model", frame,
                       tuple("plain" for _ in rows), notes)
