"""results.json layout: the same JSON as ``json.dumps(indent=1)`` (parsed back equal), with
each list of scalars on one line, written fast; non-finite numbers are null; a results.json
written before ZphCurve.points_shown/points_total existed still reads."""

from __future__ import annotations

import json
import math

import pytest

from sarcohort.analysis._results import ZphCurve, _decode, _encode, dumps


def test_dumps_is_json_with_scalar_lists_on_one_line():
    doc = {"a": {"b": [1.5, None, 2, "x\u00e9"], "c": []}, "d": [{"e": 1}, {"f": [True]}],
           "g": {}, "h": "text"}
    text = dumps(doc)
    assert json.loads(text) == doc
    assert '  "b": [1.5, null, 2, "x\u00e9"],' in text.splitlines()
    assert text.splitlines()[0] == "{" and text.splitlines()[-1] == "}"
    assert ' "d": [\n  {\n   "e": 1\n  },' in text
    with pytest.raises(ValueError):
        dumps({"x": [math.nan]})


def test_encode_curves_fast_path():
    assert _encode((1.0, math.nan, None, math.inf, -2.5)) == [1.0, None, None, None, -2.5]
    assert _encode((1, 2.0)) == [1, 2.0]  # mixed: the general path


def test_zph_curve_of_an_earlier_results_json():
    old = {"term": "age", "label": "Age", "coef": 0.1, "x": [0.1, 0.2], "y": [0.3, 0.4],
           "smooth_x": [0.1], "smooth": [0.2], "lower": [0.1], "upper": [0.3], "axis_at": [0.1],
           "axis_labels": [12.0]}
    z = _decode(ZphCurve, old)
    assert z.x == (0.1, 0.2) and z.points_shown is None and z.points_total is None


def test_km_by_group_labels_missing_and_order():
    """Group labels by one hash pass: None and NaN are missing (counted in n_missing), a level
    named in ``order`` but absent gets no curve, the curves follow ``order``; each group's
    n and events are counted by hand."""
    import numpy as np

    from sarcohort.analysis._survival import KMOptions, km_analysis

    t = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    e = np.array([1, 0, 1, 1, 0, 1, 1, 0], bool)
    g = np.array(["b", "a", None, "b", np.nan, "a", "b", "a"], dtype=object)
    res = km_analysis("os", "OS", t, e, g, ["b", "zz", "a"], factor="f",
                      options=KMOptions("log-log", 0.95, "brookmeyer-crowley"))
    assert [x.label for x in res.groups] == ["b", "a"]
    assert [(x.n, x.events) for x in res.groups] == [(3, 3), (3, 1)]
    assert res.n_missing == 2 and res.logrank_df == 1
    default = km_analysis("os", "OS", t, e, g, None, factor="f",
                          options=KMOptions("log-log", 0.95, "brookmeyer-crowley"))
    assert [x.label for x in default.groups] == ["a", "b"]  # sorted when no order is given
