"""published.toml: the published figures (oracle: the abstract, reference-study.md)."""

from __future__ import annotations

import tomllib

import sarcohort.synth as synth
from sarcohort.synth import PUBLISHED_PATH, load_published


def test_loadable_with_tomllib_and_sourced() -> None:
    with PUBLISHED_PATH.open("rb") as fh:
        raw = tomllib.load(fh)
    assert raw == load_published()
    assert raw["source"]["doi"] == "10.1002/ijc.33823"
    assert "Int J Cancer 2022;150(4):645-653" in raw["source"]["citation"]


def test_published_figures_as_in_the_abstract() -> None:
    p = load_published()["published"]
    assert (p["median_pfs"]["value"], p["median_pfs"]["ci_lower"], p["median_pfs"]["ci_upper"]) == (5.5, 4.6, 6.4)
    assert (p["median_os"]["value"], p["median_os"]["ci_lower"], p["median_os"]["ci_upper"]) == (20.5, 13.2, 27.7)
    assert p["median_os"]["unit"] == p["median_pfs"]["unit"] == "months"
    assert (p["age"]["mean"], p["age"]["min"], p["age"]["max"]) == (30, 18, 53)
    ttm = p["time_to_metachronous_metastasis"]
    assert (ttm["mean"], ttm["min"], ttm["max"]) == (22, 4, 97)
    f = p["factors"]
    assert {k: (v.get("direction"), v.get("p")) for k, v in f.items()} == {
        "os_more_than_5": ("worse", 0.002), "os_early": ("worse", 0.001),
        "os_surgery": ("better", 0.001), "os_bone": ("worse", 0.021),
        "pfs_more_than_5": ("worse", 0.006), "pfs_early": ("worse", 0.001),
        "pfs_surgery": ("better", 0.037), "pfs_bone": (None, None)}
    assert f["pfs_bone"]["significant"] is False
    # no hazard ratio is published: none may appear among the published figures
    for entry in f.values():
        assert not {"hr", "hazard_ratio", "ci_lower", "coef"} & set(entry)
    for entry in p.values():
        if isinstance(entry, dict) and "value" in entry and not isinstance(entry["value"], str):
            assert "unit" in entry


def test_every_assumption_is_documented_and_apart() -> None:
    raw = load_published()
    asm = raw["assumptions"]
    assert not set(asm) & set(raw["published"])
    doc = synth.__doc__ or ""
    for key, entry in asm.items():
        assert f"[{key}]" in doc, f"assumption {key} not listed in the sarcohort.synth docstring"
        assert entry.get("note"), f"assumption {key} has no note"
    c = synth.generate(seed=1)
    assert c.assumptions == asm
