"""Memory and DuckDB engines give the same numbers (1e-10 relative).

The memory engine is the row-wise numerical core (tested against R's survival elsewhere);
the DuckDB engine computes per-(stratum, group, time) aggregates in SQL and hands them to the
same core. Oracle: the memory engine, on randomised data with strata, ties, near-ties,
delayed entry and missing values, and on a synthetic copy of the reference study.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixtures.survival_frames import close, random_frame, same_cox, same_km
from sarcohort import engines as E
from sarcohort.engines._duckdb_engine import DuckDBEngine


@pytest.fixture(scope="module")
def duck():
    eng = DuckDBEngine(threads=2)
    yield eng
    eng.close()


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("fractional", [False, True])
def test_kaplan_meier_and_logrank(duck, seed, fractional):
    df = random_frame(seed, fractional=fractional)
    for entry in (None, "start") if fractional else (None,):
        data = random_frame(seed, fractional=True, entry=True) if entry else df
        same_km(E.kaplan_meier(data, time="time", event="status", group="group", entry=entry),
                E.kaplan_meier(data, time="time", event="status", group="group", entry=entry, engine=duck))
    same_km(E.kaplan_meier(df, time="time", event="status"),
            E.kaplan_meier(df, time="time", event="status", engine=duck))
    for strata, rho in (((), 0.0), (("centre",), 0.0), (("centre",), 1.0)):
        a = E.logrank(df, time="time", event="status", group="group", strata=strata, rho=rho)
        b = E.logrank(df, time="time", event="status", group="group", strata=strata, rho=rho, engine=duck)
        assert a.groups == b.groups and a.strata == b.strata and a.n_missing == b.n_missing
        close(a.chisq, b.chisq)
        close(a.p, b.p)
        close(a.observed, b.observed)
        close(a.expected, b.expected)
        close(a.var, b.var)
        assert (a.n == b.n).all()


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("seed", [3, 4])
def test_cox(duck, ties, seed):
    df = random_frame(seed, fractional=seed == 4, entry=True)
    kw = dict(time="time", event="status", covariates=["x1", "x2", "x3"], ties=ties)
    same_cox(E.cox(df, **kw), E.cox(df, **kw, engine=duck))
    same_cox(E.cox(df, **kw, strata=["centre"]), E.cox(df, **kw, strata=["centre"], engine=duck))
    same_cox(E.cox(df, **kw, entry="start"), E.cox(df, **kw, entry="start", engine=duck))
    same_cox(E.cox(df, **kw, entry="start", strata=["centre"]),
             E.cox(df, **kw, entry="start", strata=["centre"], engine=duck))


def test_parquet_dataset_folder(tmp_path: Path, duck):
    """A partitioned Parquet folder gives the numbers of the same rows in memory."""
    df = random_frame(5, n=400)
    df["centre"] = df["centre"].astype(str)
    folder = tmp_path / "cohort"
    df.to_parquet(folder, partition_cols=["centre"])
    got = E.cox(folder, time="time", event="status", covariates=["x1", "x2"], strata=["centre"], engine=duck)
    want = E.cox(df, time="time", event="status", covariates=["x1", "x2"], strata=["centre"])
    same_cox(want, got)
    same_km(E.kaplan_meier(df, time="time", event="status", group="centre"),
            E.kaplan_meier(folder, time="time", event="status", group="centre", engine="duckdb"))


def test_reference_study(tmp_path: Path, duck):
    """The synthetic copy of the reference study: OS by timing, Cox of OS on three factors."""
    from sarcohort import synth
    from sarcohort.cohort import cohort_from_tables
    from sarcohort.data.readers import read_sources
    from sarcohort.protocol import CohortConfig

    paths = synth.generate(seed=3).write(tmp_path / "c")
    p, t = read_sources(CohortConfig().data, tmp_path, patients=paths[0], treatments=paths[1])
    data = cohort_from_tables(p, t, CohortConfig()).patients.reset_index(drop=True)
    data = data[["os_months", "os_event", "pfs_months", "pfs_event", "timing", "n_metastases",
                 "metastasis_surgery", "age_at_metastasis", "sex"]].copy()
    data["surgery"] = data.pop("metastasis_surgery").astype(float)
    for e in ("os", "pfs"):
        kw = dict(time=f"{e}_months", event=f"{e}_event")
        same_km(E.kaplan_meier(data, **kw, group="timing"),
                E.kaplan_meier(data, **kw, group="timing", engine=duck))
        a = E.logrank(data, **kw, group="timing", strata=["sex"])
        b = E.logrank(data, **kw, group="timing", strata=["sex"], engine=duck)
        close(a.chisq, b.chisq)
        covs = ["n_metastases", "surgery", "age_at_metastasis"]
        same_cox(E.cox(data, **kw, covariates=covs), E.cox(data, **kw, covariates=covs, engine=duck))


def test_bad_input_is_reported(duck):
    from sarcohort.exceptions import InputError

    df = random_frame(6, missing=False)
    df.loc[3, "status"] = 5
    with pytest.raises(InputError, match="event codes"):
        E.kaplan_meier(df, time="time", event="status", engine=duck)
    df = random_frame(6, missing=False, entry=True)
    df.loc[2, "start"] = df.loc[2, "time"]
    with pytest.raises(InputError, match="entry must be before"):
        E.cox(df, time="time", event="status", covariates=["x1"], entry="start", engine=duck)
    with pytest.raises(InputError, match="no such column"):
        E.cox(df, time="time", event="status", covariates=["nope"], engine=duck)
    with pytest.raises(InputError, match="constant"):
        E.cox(df.assign(k=1.0), time="time", event="status", covariates=["k"], engine=duck)


def test_sources_are_not_held_once_aggregated(tmp_path):
    """Each data frame or file the engine is given is forgotten once its aggregates are
    fetched, and after an error in the columns (a registry's frames of 10^7 rows, one per
    curve, were all held until the engine closed: GBs); what else the engine holds stays."""
    from sarcohort.exceptions import InputError

    df = random_frame(5, entry=True)
    path = tmp_path / "rows.parquet"
    df.to_parquet(path)
    with DuckDBEngine(threads=1) as eng:
        eng.con.register("mine", df)
        E.kaplan_meier(df, time="time", event="status", group="group", engine=eng)
        E.logrank(path, time="time", event="status", group="group", engine=eng)
        E.cox(df, time="time", event="status", covariates=["x1"], entry="start", engine=eng)
        with pytest.raises(InputError, match="no such column"):
            E.kaplan_meier(df, time="nope", event="status", engine=eng)
        names = {r[0] for r in eng.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        names |= {r[0] for r in eng.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not eng._frames and names == {"mine"}, names


def test_duckdb_allocator_returns_freed_memory_unless_the_user_chose(monkeypatch) -> None:
    """DuckDB's jemalloc keeps freed memory for reuse by default (after a registry's
    aggregates, 0.3-0.4 GB held beside the Cox models): the engine asks for it to be
    returned at once, through the environment jemalloc reads when DuckDB first allocates,
    and leaves a value the user set alone."""
    from sarcohort.engines._duckdb_engine import ALLOCATOR_CONF

    key, value = ALLOCATOR_CONF
    monkeypatch.delenv(key, raising=False)
    DuckDBEngine().close()
    assert os.environ[key] == value == "dirty_decay_ms:0,muzzy_decay_ms:0"
    monkeypatch.setenv(key, "dirty_decay_ms:5000")
    DuckDBEngine().close()
    assert os.environ[key] == "dirty_decay_ms:5000"
