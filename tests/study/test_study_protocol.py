"""The protocol (study.toml): strict keys and types, errors naming the key path."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sarcohort.exceptions import ProtocolError
from sarcohort.protocol import parse_protocol
from sarcohort.study import Study

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reference-study" / "study.toml"


def test_reference_protocol_parses():
    s = Study.from_toml(EXAMPLE)
    a = s.analysis
    assert a.group == "timing" and a.median_ci == "spss" and a.landmarks == (12.0, 24.0)
    assert a.multivariable.covariates["os"] == (
        "more_than_5_metastases", "early_metastasis", "metastasis_surgery", "met_bone")
    assert a.multivariable.covariates["pfs"] == a.multivariable.covariates["os"]
    assert dict(a.time_dependent) == {"metastasis_surgery": "surgery_days"}
    assert a.unit_days == 30.4375
    assert len(s.protocol_hash) == 64
    assert dict(s.cohort_config.derived)["early_metastasis"] == "months_to_metastasis < 24"


def _doc(**analysis):
    doc = tomllib.loads(EXAMPLE.read_text())
    doc["analysis"].update(analysis)
    return doc


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"median_ci": "bootstrap"}, "analysis.median_ci"),
        ({"conf_level": 95}, "analysis.conf_level"),
        ({"conf_level": "0.95"}, "analysis.conf_level"),
        ({"landmarks": [12, "24"]}, "analysis.landmarks"),
        ({"factors": "met_bone"}, "analysis.factors"),
        ({"time_unit": "fortnights"}, "analysis.time_unit"),
        ({"grouping": "timing"}, "analysis.grouping"),
        ({"multivariable": {"os": ["a"], "pfs": ["b"], "selection": "stepwise"}},
         "analysis.multivariable.selection"),
        ({"multivariable": {"os": ["a"]}}, "analysis.multivariable.pfs"),
        ({"multivariable": {"os": ["a"], "pfs": ["b"], "dfs": ["c"]}}, "analysis.multivariable.dfs"),
    ],
)
def test_bad_analysis_keys_name_their_path(change, path):
    with pytest.raises(ProtocolError) as info:
        parse_protocol(_doc(**change))
    assert str(info.value).startswith(path)


def test_unknown_sections_and_report_keys():
    doc = _doc()
    doc["statistics"] = {}
    with pytest.raises(ProtocolError, match="^statistics"):
        parse_protocol(doc)
    doc = _doc()
    doc["report"]["dpi"] = 10
    with pytest.raises(ProtocolError, match="^report.dpi"):
        parse_protocol(doc)
    doc = _doc()
    doc["report"]["formats"] = ["html", "pdf"]
    with pytest.raises(ProtocolError, match=r"^report.formats\[1\]"):
        parse_protocol(doc)


def test_cohort_sections_are_delegated():
    doc = _doc()
    doc["data"]["patient_file"] = "x.csv"
    with pytest.raises(ProtocolError, match="data.patient_file"):
        Study.from_dict(doc)


def test_time_dependent_list_form():
    a = parse_protocol(_doc(time_dependent=["metastasis_surgery"])).analysis
    assert dict(a.time_dependent) == {"metastasis_surgery": "surgery_days"}


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "study.toml"
    bad.write_text("[analysis\nx = 1\n")
    with pytest.raises(ProtocolError, match="not a valid TOML"):
        Study.from_toml(bad)
    with pytest.raises(ProtocolError, match="cannot read"):
        Study.from_toml(tmp_path / "missing.toml")


def test_labels_and_defaults():
    p = parse_protocol({"analysis": {"labels": {"os": "OS"}, "factors": ["x"]}})
    a, r = p.analysis, p.report
    assert a.label("os") == "OS"
    assert a.label("pfs") == "Progression-free survival"
    assert a.label("my_var") == "My var"
    assert a.median_ci == "brookmeyer-crowley" and r.dpi == 300
    assert a.multivariable.covariates == {"os": ("x",), "pfs": ("x",)}
