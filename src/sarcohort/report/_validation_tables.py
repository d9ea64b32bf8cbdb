"""The model-validation table: apparent, optimism and optimism-corrected indices per model.

Every number comes from :class:`~sarcohort.analysis._results.ModelValidation` and is formatted
by the one policy of :mod:`sarcohort.report._format` (indices with 3 decimals, as rms prints).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sarcohort.analysis._results import ModelValidation
from sarcohort.report._format import DASH, fmt_int, is_missing
from sarcohort.report._tables import ReportTable

INDEX_LABELS = {"C": "Harrell's C (concordance)", "Dxy": "Somers' Dxy",
                "Slope": "Calibration slope"}


def _num(x: float | None) -> str:
    return DASH if is_missing(x) else f"{float(x):.3f}"  # type: ignore[arg-type]


def validation_table(models: Sequence[ModelValidation]) -> ReportTable | None:
    """One block of rows per validated model; None without any."""
    if not models:
        return None
    rows: list[list[str]] = []
    kinds: list[str] = []
    for v in models:
        rows.append([f"{v.endpoint_label} (n = {fmt_int(v.n)}, {fmt_int(v.n_event)} events)", "", "", ""])
        kinds.append("header")
        for name in ("C", "Dxy", "Slope"):
            rows.append([INDEX_LABELS[name], _num(v.value(name, "apparent")), _num(v.value(name, "optimism")),
                         _num(v.value(name, "corrected"))])
            kinds.append("level")
    first = models[0]
    notes = [f"Harrell's bootstrap (rms::validate): the whole modelling procedure refitted in each of "
             f"{first.B} bootstrap samples (seed {first.seed}); optimism = mean over the samples of "
             "the index in the sample minus the index of the sample's model in the original data; "
             "corrected = apparent - optimism. A calibration slope below 1 means predictions too "
             "extreme (overfitting)."]
    used = [v for v in models if v.n_replicates < v.B]
    for v in used:
        notes.append(f"{v.endpoint_label}: {v.B - v.n_replicates} of {v.B} bootstrap samples could not "
                     "be fitted (e.g. a diverging coefficient) and were left out.")
    if any(v.selection != "explicit" for v in models):
        notes.append("The univariable selection of the covariates was repeated in every bootstrap sample.")
    frame = pd.DataFrame(rows, columns=["Index", "Apparent", "Optimism", "Corrected"])
    return ReportTable("validation", "Internal validation of the multivariable models", frame,
                       tuple(kinds), tuple(notes))
