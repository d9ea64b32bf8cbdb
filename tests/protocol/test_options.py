"""One option table: the reader, the spec dataclasses, `sarcohort init` and the methods text
all read it (no second definition of a default, an allowed value or a wording)."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from sarcohort.cli.init import run as init_run
from sarcohort.exceptions import ProtocolError
from sarcohort.protocol import parse_protocol
from sarcohort.protocol._options import (
    PROTOCOL,
    example_protocol,
    iter_options,
    iter_sections,
    option,
    toml_value,
    wording,
)
from sarcohort.protocol._spec import SPECS

# the smallest protocol the reader accepts (the multivariable models need factors)
MINIMAL = {"analysis": {"factors": ["sex"]}}


def _spec_default(cls: type, name: str) -> object:
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def test_every_option_has_a_spec_field_with_the_table_default():
    for path, s in iter_sections():
        cls = SPECS.get(path)
        if cls is None:
            continue
        names = {f.name for f in dataclasses.fields(cls)}
        for o in s.options:
            assert o.key in names, f"{path}.{o.key} has no field in {cls.__name__}"
            want = {} if o.kind == "table" and o.default is None else o.default
            assert _spec_default(cls, o.key) == want, f"{path}.{o.key}"
        for sub in s.sections:
            assert sub.name in names, f"[{path}.{sub.name}] has no field in {cls.__name__}"


def test_the_reader_takes_every_default_from_the_table():
    p = parse_protocol(MINIMAL)
    specs = {"analysis": p.analysis, "analysis.multivariable": p.analysis.multivariable,
             "analysis.treatments": p.analysis.treatments,
             "analysis.validation": p.analysis.validation, "analysis.missing": p.analysis.missing,
             "analysis.competing": p.analysis.competing,
             "report": p.report, "data": p.cohort_config.data,
             "inclusion": p.cohort_config.inclusion, "endpoints": p.cohort_config.endpoints}
    for path, o in iter_options():
        head, _, key = path.rpartition(".")
        if head == "study":
            continue
        if path == "analysis.factors":
            continue  # set by MINIMAL
        got = getattr(specs[head], key)
        want = {} if o.kind == "table" and o.default is None else o.default
        assert got == want, path
    assert p.title == option("study.title").default
    assert p.version == option("study.version").default


def test_init_writes_every_option_of_the_table(tmp_path):
    out = tmp_path / "study.toml"
    init_run(out, force=False)
    text = out.read_text(encoding="utf-8")
    assert text == example_protocol()
    doc = tomllib.loads(text)
    for path, o in iter_options():
        head, _, key = path.rpartition(".")
        assert f"[{head}]" in text, head
        section = doc
        for part in head.split("."):
            section = section.get(part, {})
        # the key is written with the value it would take, commented out when optional
        if key in section:
            assert not o.commented, path
            want = o.shown
            got = section[key]
            assert (list(want) if isinstance(want, tuple) else want) == got, path
        else:
            assert o.commented or o.shown is None, path
            line = f"# {key} = {toml_value(o.shown)}" if o.shown is not None else f"# {key} = ..."
            assert line in text, path
        assert o.doc.split()[0] in text, path
        for c in o.choices:
            assert f'"{c}"' in text, (path, c)
    # the written file is a protocol the reader accepts, and it says the default values
    p = parse_protocol(doc)
    for path in ("analysis.conf_type", "analysis.median_ci", "analysis.ties",
                 "analysis.conf_level", "analysis.time_unit", "report.dpi"):
        head, _, key = path.rpartition(".")
        assert getattr(p.analysis if head == "analysis" else p.report, key) == option(path).default


def test_every_choice_has_its_wording():
    for path, o in iter_options():
        if o.wording:
            assert set(o.wording) == set(o.choices), path


@pytest.mark.parametrize(("level", "z"), [(0.95, "1.96"), (0.9, "1.645"), (0.99, "2.576")])
def test_spss_wording_follows_conf_level(level, z):
    # z = qnorm(1 - (1 - level) / 2): 1.959964, 1.644854, 2.575829 (standard normal table)
    assert wording("analysis.median_ci", "spss", conf_level=level).startswith(f"median ± {z} SE")


@pytest.mark.parametrize("path", [p for p, o in iter_options() if o.choices])
def test_the_reader_refuses_a_value_outside_the_table(path):
    head, _, key = path.rpartition(".")
    doc = {"analysis": {"factors": ["sex"]}}
    section = doc
    for part in head.split("."):
        section = section.setdefault(part, {})
    o = option(path)
    section[key] = ["not-a-choice"] if o.kind == "names" else "not-a-choice"
    with pytest.raises(ProtocolError) as info:
        parse_protocol(doc)
    assert str(info.value).startswith(path)
    assert ", ".join(o.choices) in str(info.value)


def test_ties_exact_is_accepted():
    assert parse_protocol({"analysis": {"ties": "exact", "factors": ["x"]}}).analysis.ties == "exact"


def test_table_is_a_tree_of_unique_keys():
    for path, s in [("", PROTOCOL), *iter_sections()]:
        keys = s.keys()
        assert len(keys) == len(set(keys)), path
