"""A small hand-made cohort in the template's format, for examples and tests.

Six patients whose endpoints are easy to compute by hand (see each comment).
Dates are ISO text, codes are the template's.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["example_tables"]


def example_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(patients, treatments)`` of six valid hand-made patients.

    * A1: synchronous (first metastasis exactly 90 days after diagnosis), died
      after progression, surgery of metastases and two systemic lines.
    * A2: metachronous (91 days), alive and progression-free, censored.
    * B1: metachronous, progression then alive, in a trial.
    * B2: synchronous (same day), dead without progression (PFS event = death).
    * B3: 18 years old exactly on the day of the first metastasis.
    * C1: extra column 'grade', no treatment.
    """
    patients = pd.DataFrame({
        "patient_id": ["A1", "A2", "B1", "B2", "B3", "C1"],
        "centre": ["Lyon", "Lyon", "Paris", "Paris", "Paris", "Nice"],
        "sex": ["M", "F", "M", "F", "M", "F"],
        "birth_date": ["1980-05-17", "1975-01-31", "1990-12-01", "1961-07-04", "1992-02-29",
                       "1985-10-10"],
        "primary_diagnosis_date": ["2010-01-01", "2010-01-01", "2011-06-15", "2012-03-01",
                                   "2009-06-01", "2013-01-10"],
        "first_metastasis_date": ["2010-04-01", "2010-04-02", "2013-02-01", "2012-03-01",
                                  "2010-02-28", "2015-01-10"],
        "n_metastases": [3, 1, 8, 2, 1, 6],
        "met_lung": ["yes", "yes", "yes", "no", "yes", "yes"],
        "met_bone": ["no", "no", "yes", "yes", "no", "no"],
        "met_other": ["no", "no", "no", "yes", "no", "yes"],
        "progression_date": ["2010-10-01", None, "2013-08-01", None, None, "2015-06-10"],
        "death_date": ["2011-04-01", None, None, "2012-09-01", None, None],
        "last_followup_date": ["2011-04-01", "2014-04-02", "2016-02-01", "2012-09-01",
                               "2012-02-28", "2017-01-10"],
        "grade": [3, 2, 3, None, 1, 2],
    })
    treatments = pd.DataFrame({
        "patient_id": ["A1", "A1", "A1", "B1", "B1", "B2", "B3"],
        "kind": ["systemic", "surgery", "systemic", "systemic", "radiotherapy", "systemic",
                 "ablation"],
        "start_date": ["2010-04-15", "2010-07-01", "2010-11-01", "2013-02-10", "2013-09-01",
                       "2012-03-10", "2010-04-01"],
        "line": [1, None, 2, 1, None, 1, None],
        "regimen": ["MAP", "lung metastasectomy", "ifosfamide", "trial drug", "SBRT", "AP",
                    "RFA"],
        "in_trial": ["no", "no", "no", "yes", "no", "no", "no"],
        "best_response": ["PR", None, "PD", "SD", None, "PD", None],
    })
    return patients, treatments
