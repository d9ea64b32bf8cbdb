"""SPSS/Stata files: cells as stored, value labels apart (pyreadstat writes the test files)."""

from __future__ import annotations

import pandas as pd
import pytest

from sarcohort.data.readers import read_table
from sarcohort.data.readers._stat_files import read_stat_file, stat_value_labels
from sarcohort.exceptions import InputError


@pytest.fixture(params=["sav", "dta"])
def labelled(tmp_path, request):
    import pyreadstat

    df = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "grade": [1.0, 2.0, None],
                       "age": [31.5, 40.0, 52.25]})
    labels = {"grade": {1.0: "Low grade", 2.0: "High grade"}}
    p = tmp_path / f"patients.{request.param}"
    writer = pyreadstat.write_sav if request.param == "sav" else pyreadstat.write_dta
    writer(df, str(p), variable_value_labels=labels)
    return p


def test_cells_are_codes_and_labels_come_apart(labelled):
    t = read_table(labelled)
    assert list(t.frame.columns) == ["patient_id", "grade", "age"]
    assert t.frame["grade"].tolist() == [1, 2, None]  # whole numbers stay whole; missing is None
    assert t.frame["age"].tolist() == [31.5, 40.0, 52.25]
    assert list(t.rows) == [2, 3, 4] and t.sha256 is not None
    assert stat_value_labels(labelled) == {"grade": {"1": "Low grade", "2": "High grade"}}


def test_value_labels_become_level_names(labelled):
    from sarcohort.analysis._levels import apply_levels

    t = read_stat_file(labelled)
    shown = apply_levels(t.frame, stat_value_labels(labelled))
    assert shown["grade"].tolist()[:2] == ["Low grade", "High grade"]
    assert list(shown["grade"].cat.categories) == ["Low grade", "High grade"]


def test_bad_file_is_a_clear_error(tmp_path):
    p = tmp_path / "broken.sav"
    p.write_bytes(b"not an spss file")
    with pytest.raises(InputError, match="cannot be read as a SPSS file"):
        read_table(p)
    assert stat_value_labels(tmp_path / "other.csv") == {}
