"""Kaplan-Meier by group from labels coded once (a pd.Categorical): the same analysis as
from the labels themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sarcohort.analysis._survival import KMOptions, km_analysis


def test_categorical_groups_give_the_same_analysis() -> None:
    rng = np.random.default_rng(3)
    n = 400
    time = rng.exponential(10, n).round(1)
    event = rng.random(n) < 0.7
    labels = rng.choice(np.array(["Yes", "No", None], dtype=object), n, p=[0.5, 0.4, 0.1])
    # "Maybe": a level nobody holds; categories in another order than the curves
    coded = pd.Categorical(labels, categories=["No", "Maybe", "Yes"])
    options = KMOptions(conf_type="log-log", conf_level=0.95, median_ci="brookmeyer-crowley",
                        landmarks=(5.0,), times_at_risk=(0.0, 10.0, 20.0))
    for order in (["Yes", "No", "Maybe"], None):
        a = km_analysis("os", "OS", time, event, labels, order, options=options, factor="f")
        b = km_analysis("os", "OS", time, event, coded, order, options=options, factor="f")
        assert a == b


def test_curves_from_rows_duckdb_holds_are_the_memory_ones() -> None:
    """Oracle: the memory path (R's survival through its own tests)."""
    from fixtures.held_curves import check_held_curves
    from sarcohort.engines import DuckDBEngine

    with DuckDBEngine() as engine:
        check_held_curves(engine)
        assert not engine.con.execute("SHOW TABLES").fetchall()  # the held table dropped


def test_many_curves_held_by_duckdb_are_the_memory_ones() -> None:
    """200 curves (codes past one byte: an int32 column) from rows DuckDB holds: the
    memory path's analysis (oracle: R's survival through its own tests)."""
    from sarcohort.analysis._survival import held_endpoint
    from sarcohort.engines import DuckDBEngine

    rng = np.random.default_rng(8)
    n = 3000
    time = rng.exponential(10, n).round(1)
    event = rng.random(n) < 0.7
    labels = np.array([f"c{i:03d}" for i in rng.integers(0, 200, n)], dtype=object)
    options = KMOptions(conf_type="log", conf_level=0.95, median_ci="brookmeyer-crowley")
    with DuckDBEngine() as engine, held_endpoint(engine, time, event, {"c": (labels, None)}) as held:
        on_engine = km_analysis("os", "OS", time, event, labels, None, options=options,
                                factor="c", on_engine=held.rows("c"))
    memory = km_analysis("os", "OS", time, event, labels, None, options=options, factor="c")
    assert len(memory.groups) == 200 and memory.logrank_chisq is not None
    assert on_engine == memory
