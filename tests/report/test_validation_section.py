"""The report's "Model validation" section (bootstrap validation of the multivariable models).

Oracles: the apparent C of the validation equals the multivariable model's concordance (R's
concordance, checked in tests/stats); the indices themselves are checked against rms::validate
in tests/stats/test_validate_cox.py. Here: wiring, protocol options, JSON and the outputs.
"""

from __future__ import annotations

import pytest

from fixtures.small_cohort import results
from sarcohort.analysis._results import Results
from sarcohort.report._narrative import methods, results_text


@pytest.fixture(scope="module")
def res():
    return results(validation={"bootstrap": 40, "seed": 3, "horizon": 10})


def test_each_multivariable_model_is_validated(res) -> None:
    assert [v.endpoint for v in res.validation] == ["os", "pfs"]
    for v in res.validation:
        m = res.model(v.endpoint)
        assert v.value("C", "apparent") == pytest.approx(m.concordance, rel=1e-12)
        assert v.value("C") == pytest.approx(v.value("C", "apparent") - v.value("C", "optimism"))
        assert v.B == 40 and v.seed == 3 and v.horizon == 10 and 0 < v.n_replicates <= 40
        assert sum(g.n for g in v.calibration) == m.n
    again = results(validation={"bootstrap": 40, "seed": 3, "horizon": 10})
    assert again.validation == res.validation  # the seed makes it reproducible


def test_json_round_trip_and_text(res) -> None:
    back = Results.from_json(res.to_json())
    assert back.validation == res.validation
    assert "Harrell's bootstrap (40 samples" in methods(res)
    assert "after correction for optimism" in results_text(res)


def test_no_validation_when_bootstrap_is_zero() -> None:
    r = results(validation={"bootstrap": 0})
    assert r.validation == () and "bootstrap" not in methods(r)


def test_report_has_the_section_and_the_calibration_figure(res, tmp_path) -> None:
    import sarcohort.report

    sarcohort.report.write(res, tmp_path / "rep", formats=("html", "xlsx"), figure_formats=("svg",))
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "Model validation" in html and "Calibration slope" in html
    assert (tmp_path / "rep" / "figures" / "calibration_os.svg").exists()


def test_selection_is_validated_with_the_procedure() -> None:
    r = results(validation={"bootstrap": 30, "seed": 1},
                multivariable={"selection": "univariable", "p_threshold": 0.5})
    assert r.validation and all(v.selection == "univariable" for v in r.validation)
    assert "covariate selection included" in methods(r)
