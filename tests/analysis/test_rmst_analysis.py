"""``[analysis] rmst_tau``: the RMST comparison of each endpoint by the protocol's group.

The numbers are :func:`sarcohort.stats.rmst_test.rmst_test`'s (tested against R in
tests/stats/test_rmst_test.py); here: that the runner hands it the right data, that a
horizon beyond the data is a warning naming the largest usable one, and that the table
reaches the report and results.json.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fixtures.small_cohort import cohort, results
from sarcohort.analysis._results import Results
from sarcohort.report._narrative import methods
from sarcohort.report._tables import all_tables
from sarcohort.stats.rmst_test import rmst_test


def test_rmst_table_by_group() -> None:
    r = results(rmst_tau=6)
    assert [c.endpoint for c in r.rmst] == ["os", "pfs"]
    p = cohort().patients
    t = pd.to_numeric(p["os_days"]).to_numpy(float) / 30.4375
    g = pd.Categorical(p["timing"], categories=["synchronous", "metachronous"])
    direct = rmst_test(t, p["os_event"].astype(bool).to_numpy(), g, tau=6)
    os_ = r.rmst[0]
    assert [x.label for x in os_.groups] == ["Synchronous", "Metachronous"]
    np.testing.assert_allclose([x.rmst for x in os_.groups], direct.rmst, rtol=1e-12)
    np.testing.assert_allclose(os_.groups[1].diff, direct.diff[0], rtol=1e-12)
    np.testing.assert_allclose(os_.groups[1].ratio_p, direct.ratio_p[0], rtol=1e-12)
    assert os_.groups[0].diff is None
    tables = {t.key: t for t in all_tables(r)}
    table = tables["rmst_os"]
    assert "restricted mean survival time at 6 months" in table.title
    assert list(table.frame["Group"])[1:] == ["Synchronous", "Metachronous"]
    assert Results.from_json(r.to_json()).rmst == r.rmst


def test_tau_beyond_the_data_is_a_warning_with_the_largest_usable_tau() -> None:
    r = results(rmst_tau=10_000)
    assert r.rmst == ()
    assert any("largest usable tau is" in w for w in r.warnings)
    assert results().rmst == ()  # not asked for: nothing
    assert "restricted mean survival time" in methods(results(rmst_tau=6))
