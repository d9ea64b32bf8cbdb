"""The swimmer plot: one lane per patient, one bar per line, one marker per event.

Oracle: the counts in the TreatmentCourse it draws (themselves checked by hand and
against the published counts in tests/analysis/test_treatment_course.py).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import Rectangle

from fixtures.example_cohort import example_tables
from sarcohort.analysis._treatments import treatment_course
from sarcohort.cohort import cohort_from_frames
from sarcohort.report.plots._swimmer import MARKERS, plot_swimmer
from sarcohort.study import Study
from sarcohort.synth import generate

KM = dict(unit_days=30.4375, conf_type="log-log", conf_level=0.95,
          median_ci="brookmeyer-crowley")


@pytest.fixture(scope="module")
def course():
    study = Study.from_toml("examples/reference-study/study.toml")
    s = generate()
    cohort = cohort_from_frames(s.patients, s.treatments, config=study.cohort_config,
                                today="2024-01-01")
    return treatment_course(cohort.patients, cohort.treatments, **KM)


def test_one_bar_per_line_and_one_marker_per_event(course):
    import matplotlib.pyplot as plt

    ax = plot_swimmer(course)
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() == pytest.approx(0.62)]
    assert len(bars) == sum(len(lane.lines) for lane in course.lanes)
    points = {}
    for coll in ax.collections:
        if isinstance(coll, PathCollection):
            colour = tuple(np.round(coll.get_facecolor()[0], 3)) if len(coll.get_facecolor()) else "none"
            points.setdefault(colour, 0)
            points[colour] += len(coll.get_offsets())
    n_events = {field: sum(len(getattr(lane, field)) for lane in course.lanes) for field in MARKERS}
    n_deaths = sum(lane.death for lane in course.lanes)
    assert sum(points.values()) == sum(n_events.values()) + n_deaths
    arrows = [a for a in ax.texts if a.arrow_patch is not None] if hasattr(ax, "texts") else []
    assert len(arrows) == sum(lane.alive for lane in course.lanes)
    # lanes: one y position each, longest follow-up on top
    assert ax.get_ylim()[1] == pytest.approx(len(course.lanes) - 0.2)
    plt.close(ax.figure)


def test_large_cohort_draws_the_line_occupancy():
    import matplotlib.pyplot as plt

    p, t = example_tables()
    cohort = cohort_from_frames(p, t, today="2024-01-01")
    tc = treatment_course(cohort.patients, cohort.treatments, swimmer_max=2, **KM)
    ax = plot_swimmer(tc)
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert labels == ["On line 1", "On line 2", "Alive and followed"]
    assert ax.get_ylim() == (0, 100)
    plt.close(ax.figure)
