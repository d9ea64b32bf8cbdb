"""The cohort sections of study.toml: defaults, key paths in errors, relative paths."""

from __future__ import annotations

import datetime as dt

import pytest

from sarcohort.exceptions import ProtocolError
from sarcohort.protocol import CohortConfig, parse_cohort, read_cohort_config

TOML = """
[study]
title = "belongs to the study module: ignored here"

[data]
patients = "data/cohort.xlsx"
patients_sheet = "patients"
date_format = "dayfirst"

[data.mapping]
sexe = "sex"
"Date de naissance" = "birth_date"

[data.codes.sex]
Homme = "M"
Femme = "F"

[inclusion]
age_min = 18
age_max = 80
metastasis_from = 2009-01-01
metastasis_to = "2018-12-31"

[endpoints]
synchronous_window_days = 60
cutoff_date = 2020-06-30

[derived]
more_than_5_metastases = "n_metastases > 5"

[analysis]
anything = 1
"""


def test_defaults():
    c = CohortConfig()
    assert c.inclusion.age_min == 18.0 and c.inclusion.age_max is None
    assert c.endpoints.synchronous_window_days == 90 and c.endpoints.cutoff_date is None
    assert c.derived == ()
    assert parse_cohort({}).inclusion == c.inclusion


def test_load_reads_only_cohort_sections(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(TOML, encoding="utf-8")
    c = read_cohort_config(path)
    assert c.data.patients == "data/cohort.xlsx" and c.base_dir == tmp_path
    assert c.data.mapping == {"sexe": "sex", "Date de naissance": "birth_date"}
    assert c.data.codes == {"sex": {"homme": "M", "femme": "F"}}
    assert c.inclusion.metastasis_from == dt.date(2009, 1, 1)
    assert c.inclusion.metastasis_to == dt.date(2018, 12, 31)
    assert c.endpoints.cutoff_date == dt.date(2020, 6, 30)
    assert c.derived == (("more_than_5_metastases", "n_metastases > 5"),)
    assert len(c.source_hash) == 64
    assert c.to_dict()["inclusion"]["metastasis_from"] == "2009-01-01"


@pytest.mark.parametrize("doc,path", [
    ({"data": {"mapping": {"sexe": "sexx"}}}, "data.mapping.sexe"),
    ({"data": {"patient": "x.csv"}}, "data.patient"),
    ({"data": {"codes": {"sexe": {"H": "M"}}}}, "data.codes.sexe"),
    ({"data": {"codes": {"sex": {"H": "Male"}}}}, "data.codes.sex.H"),
    ({"data": {"date_format": "european"}}, "data.date_format"),
    ({"data": {"patients": 3}}, "data.patients"),
    ({"inclusion": {"age_min": "18"}}, "inclusion.age_min"),
    ({"inclusion": {"agemin": 18}}, "inclusion.agemin"),
    ({"inclusion": {"metastasis_from": "2009/01/01"}}, "inclusion.metastasis_from"),
    ({"inclusion": {"age_min": 30, "age_max": 20}}, "inclusion.age_max"),
    ({"endpoints": {"synchronous_window_days": 90.5}}, "endpoints.synchronous_window_days"),
    ({"endpoints": {"cutoff": "2020-01-01"}}, "endpoints.cutoff"),
    ({"derived": {"x": 5}}, "derived.x"),
    ({"derived": {"my var": "1"}}, "derived.my var"),
    ({"derived": {"sex": "1"}}, "derived.sex"),
    ({"data": []}, "data"),
])
def test_errors_name_the_key(doc, path):
    with pytest.raises(ProtocolError) as info:
        parse_cohort(doc)
    assert str(info.value).startswith(path + ":")


def test_bad_toml(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text("[data\npatients = 1", encoding="utf-8")
    with pytest.raises(ProtocolError, match="TOML"):
        read_cohort_config(path)
    with pytest.raises(ProtocolError, match="cannot read"):
        read_cohort_config(tmp_path / "missing.toml")
