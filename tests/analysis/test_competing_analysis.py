"""``[analysis.competing]``: cumulative incidence of progression and of death without
progression, Gray's test and a Fine-Gray model, from the cohort's PFS and OS columns.

The numbers are :func:`sarcohort.cuminc`'s and :func:`sarcohort.fine_gray`'s (tested against
R's cmprsk in tests/stats/test_cuminc.py and tests/stats/test_fine_gray.py); here: that the
runner derives the causes as documented and hands them the right data, that the results
round-trip through results.json and that the report shows the figure and the tables.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import sarcohort as sc
from fixtures.small_cohort import MONTH, cohort, study
from sarcohort.analysis._competing import competing_status
from sarcohort.analysis._results import Results
from sarcohort.exceptions import ProtocolError
from sarcohort.report._narrative import methods
from sarcohort.report._tables import all_tables

#: patients whose PFS event is their death (no progression before it)
DEATHS = ["P0002", "P0005", "P0008", "P0011"]


def _cohort():
    c = cohort()
    p = c.patients.copy()
    p.loc[DEATHS, "pfs_days"] = p.loc[DEATHS, "os_days"]
    p.loc["P0012", "pfs_event"] = False  # censored
    return dataclasses.replace(c, patients=p)


def _results(**competing):
    return study(competing={"event": "progression", **competing}).analyze(_cohort())


def test_status_from_pfs_and_os_columns_by_hand() -> None:
    # progression; death (same day, dead); censored; PFS event on the death day but alive -> progression
    got = competing_status(np.array([5, 9, 4, 7.0]), np.array([True, True, False, True]),
                           np.array([10, 9, 8, 7.0]), np.array([True, True, True, False]))
    assert got.tolist() == ["progression", "death", "censored", "progression"]


def test_runner_equals_cuminc_and_fine_gray_on_the_same_data() -> None:
    r = _results()
    comp = r.competing
    assert comp is not None and (comp.event, comp.competing) == ("progression", "death")
    p = _cohort().patients
    t = p["pfs_days"].to_numpy(float) / MONTH
    status = np.where(~p["pfs_event"], 0, np.where(p.index.isin(DEATHS), 2, 1))
    assert (status == 2).sum() == 4 and (status == 0).sum() == 1
    direct = sc.cuminc(t, status)
    for curve, cause in zip(comp.overall, (1, 2), strict=True):
        d = direct.curves["All", cause] if ("All", cause) in direct.curves else direct.curve(direct.groups[0], cause)
        np.testing.assert_allclose(np.array(curve.estimate, float), d.estimate, rtol=1e-12)
        np.testing.assert_allclose(curve.time, d.time, rtol=1e-12)
        np.testing.assert_allclose([lm.estimate for lm in curve.landmarks], d.at([6, 12]).estimate,
                                   rtol=1e-12)
    g = pd.Categorical(p["timing"], categories=["synchronous", "metachronous"])
    by = sc.cuminc(t, status, g)
    assert [c.group for c in comp.by_group] == ["Synchronous"] * 2 + ["Metachronous"] * 2
    np.testing.assert_allclose(np.array(comp.by_group[2].estimate, float),
                               by.curves["metachronous", 1].estimate, rtol=1e-12)
    assert [x.cause for x in comp.tests] == ["progression", "death"]
    np.testing.assert_allclose([x.p for x in comp.tests], [by.tests[1].p, by.tests[2].p], rtol=1e-12)
    # Fine-Gray: the PFS multivariable covariates by default (both binary, 0/1)
    X = np.column_stack([p["more_than_5_metastases"].astype(float), p["metastasis_surgery"].astype(float)])
    fg = sc.fine_gray(t, status, X, cause=1, names=["a", "b"])
    m = comp.model
    assert m is not None and m.covariates == ("more_than_5_metastases", "metastasis_surgery")
    np.testing.assert_allclose([x.hr for x in m.terms], fg.shr, rtol=1e-10)
    np.testing.assert_allclose([x.p for x in m.terms], fg.p, rtol=1e-10)
    assert (m.n, m.n_event, m.n_competing, m.n_censored) == (12, 7, 4, 1)


def test_round_trip_report_tables_and_methods() -> None:
    r = _results(factors=["metastasis_surgery"])
    assert r.competing is not None and r.competing.model is not None
    assert r.competing.model.covariates == ("metastasis_surgery",)
    assert Results.from_json(r.to_json()).competing == r.competing
    tables = {t.key: t for t in all_tables(r)}
    cif = tables["cif_pfs"]
    assert "Gray's P" in list(cif.frame.columns)
    assert "Death without progression" in " ".join(cif.frame.iloc[:, 0])
    fg = tables["finegray_pfs"]
    assert "Subdistribution HR" in " ".join(fg.frame.columns)
    assert "cmprsk::crr" in methods(r)


def test_not_asked_nothing_and_bad_protocols() -> None:
    assert study().analyze(_cohort()).competing is None
    with pytest.raises(ProtocolError, match="event of interest itself"):
        study(competing={"event": "death", "competing": "death"})
    with pytest.raises(ProtocolError, match="event"):
        study(competing={"competing": "death"})
    assert study(competing={"event": "death"}).analysis.competing.competing == "progression"


def test_report_plans_and_draws_the_cif_figure_with_numbers_at_risk(tmp_path) -> None:
    from sarcohort.report._figures import plan
    from sarcohort.report._sections import outline
    from sarcohort.report.plots._cif import plot_cif

    r = _results()
    specs = {s.key: s for s in plan(r, tmp_path, formats=("png",))}
    assert specs["cif_pfs"].kind == "cif" and "Gray's P" in specs["cif_pfs"].caption
    items = [i for s in outline(r, list(specs.values())) for i in s.items]
    keys = [getattr(i.figure, "key", None) or getattr(i.table, "key", None) for i in items]
    assert keys.index("cif_pfs") < keys.index("cif_pfs", keys.index("cif_pfs") + 1)  # figure, table
    assert keys.index("finegray_pfs") == keys.index("cox_pfs") + 1  # beside the Cox table
    ax = plot_cif(r.competing, time_unit="months")
    assert len(ax.get_lines()) == 4  # 2 causes x 2 groups
    # the numbers at risk: the same for both causes of a group (at risk of either), by hand:
    # synchronous PFS 1, 1.5, 2.5, 3.5 months (P0002 death at 3) -> 2 at risk at 3 months
    texts = [t.get_text() for t in ax.risk_table.texts]
    assert texts[:2] == ["4", "2"]


def test_cif_figure_draws_the_bands_of_the_event_of_interest() -> None:
    """The band polygons are the table's pointwise CI: each vertex of the filled region lies on
    the lower or upper limit of the event of interest's curve (both from ``sc.cuminc``)."""
    from sarcohort.report.plots._cif import plot_cif

    r = _results()
    comp = r.competing
    ax = plot_cif(comp, time_unit="months")
    bands = [c for c in ax.collections if c.get_paths() and c.get_facecolor().size
             and c.get_facecolor()[0][3] > 0]
    interest = [c for c in comp.by_group if c.cause == comp.event]
    assert len(bands) == len(interest)  # one filled band per group, none for the competing cause
    for band, curve in zip(bands, interest, strict=True):
        verts = band.get_paths()[0].vertices
        limits = {0.0} | {v for v in curve.lower + curve.upper if v is not None}
        assert all(min(abs(y - v) for v in limits) < 1e-12 for y in verts[:, 1])
        assert verts[:, 1].max() == max(v for v in curve.upper if v is not None)
    assert not any(c.get_facecolor().size and c.get_facecolor()[0][3] > 0
                   for c in plot_cif(comp, time_unit="months", ci=False).collections)


def test_a_competing_factor_the_cohort_lacks_is_a_protocol_error() -> None:
    # checked whatever the other options (it once sat under [analysis] centre_effect's check)
    with pytest.raises(ProtocolError, match="does not have"):
        _results(factors=["no_such_column"])
