"""Registry-sized cohorts: drawn in blocks, streamed to CSV or Parquet.

Oracles: :func:`sarcohort.synth.generate` (the in-memory cohort, itself tested against the
published figures) for the content of every written file; the published counts scaled by
hand (``parameters``) for the exact counts of a cohort of several blocks; the CSV reader for
the Parquet reader (the same cohort read from both gives the same validated cohort).
Blocks are made small (a monkeypatched block size) so that a few thousand patients span
several blocks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import sarcohort.synth as synth
from sarcohort.data._days import DAYS_PER_MONTH, DAYS_PER_YEAR
from sarcohort.exceptions import InputError, OutputError
from sarcohort.synth import _arrow, _blocks, derive, generate, write
from sarcohort.synth._params import parameters

N = 2000
SMALL_BLOCK = 512  # 2000 patients -> 4 blocks of 500


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blocks, "BLOCK_SIZE", SMALL_BLOCK)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal cell by cell, dates compared as dates and integers as integers."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if col.endswith("_date"):
            x, y = pd.to_datetime(x).astype("datetime64[ns]"), pd.to_datetime(y).astype("datetime64[ns]")
        elif col in ("n_metastases", "line"):
            x, y = pd.to_numeric(x).astype("Int64"), pd.to_numeric(y).astype("Int64")
        else:
            x = x.astype(object).where(x.notna(), None)
            y = y.astype(object).where(y.notna(), None)
        pd.testing.assert_series_equal(x.reset_index(drop=True), y.reset_index(drop=True),
                                       check_names=False, obj=col)


def test_block_plan() -> None:
    assert _blocks.block_sizes(120) == [120]
    assert _blocks.block_sizes(2**17) == [2**17]
    assert _blocks.block_sizes(2**17 + 1) == [65537, 65536]
    assert _blocks.block_sizes(1_000_000) == [125_000] * 8
    assert sum(_blocks.block_sizes(10_000_000)) == 10_000_000
    p = parameters(120, 15)
    assert _blocks.block_parameters(p, [120]) == [p]  # one block: the published cohort as is


def test_one_block_is_the_in_memory_cohort(tmp_path: Path) -> None:
    c = generate(n=N, seed=5)
    paths, n_p, n_t = write(tmp_path / "pq", n=N, seed=5, format="parquet")
    assert [p.name for p in paths] == ["patients.parquet", "treatments.parquet"]
    assert (n_p, n_t) == (len(c.patients), len(c.treatments))
    _same(pd.read_parquet(paths[0]), c.patients)
    _same(pd.read_parquet(paths[1]), c.treatments)
    schema = pq.read_schema(paths[0])
    assert str(schema.field("birth_date").type) == "date32[day]"  # Parquet DATE
    # CSV streamed block by block: the bytes SyntheticCohort.write has always written
    write(tmp_path / "csv", n=N, seed=5, format="csv")
    c.write(tmp_path / "whole")
    for name in ("patients.csv", "treatments.csv"):
        assert (tmp_path / "csv" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_several_blocks_keep_every_count_exact(small_blocks: None) -> None:
    c = generate(n=N, seed=3)
    p = parameters(N, 15)
    d = derive(c.patients, c.treatments)
    assert len(d) == N and c.patients["patient_id"].is_unique
    assert d["synchronous"].sum() == p.n_synchronous
    assert d["male"].sum() == p.n_male
    assert d["more_than_5"].sum() == p.n_more_than_5
    assert d["no_systemic"].sum() == p.n_no_systemic
    assert not (d["no_systemic"] & d["synchronous"]).any()
    assert d["in_trial"].sum() == p.n_trial
    assert d["local"].sum() == p.n_local
    sites = c.patients[["met_lung", "met_bone", "met_other"]].eq("yes")
    pattern = sites.apply(lambda r: tuple(r), axis=1).value_counts()
    assert pattern[(True, True, False)] == p.site_patterns["lung_bone"]
    assert pattern[(True, False, False)] == p.site_patterns["lung_only"]
    centre_sizes = c.patients["centre"].value_counts().sort_index().to_numpy()
    np.testing.assert_array_equal(centre_sizes, p.sizes_of_centres())
    kinds = c.treatments["kind"].value_counts()
    for kind, count in p.local_kinds.items():
        assert kinds.get(kind, 0) == count
    # the published means: the sums of days are exactly the whole cohort's targets
    pats = c.patients
    age_days = (pats["first_metastasis_date"] - pats["birth_date"]).dt.days
    assert age_days.sum() == round(30.0 * DAYS_PER_YEAR * N)
    meta = ~d["synchronous"].to_numpy()
    ttm = (pats["first_metastasis_date"] - pats["primary_diagnosis_date"]).dt.days[meta]
    assert ttm.sum() == round(22.0 * DAYS_PER_MONTH * int(meta.sum()))


def test_blocks_reproducible_whatever_the_path(small_blocks: None, tmp_path: Path) -> None:
    """Same seed, same cohort: in memory, streamed as Parquet or CSV, by 1 or 4 threads."""
    c = generate(n=N, seed=9)
    assert len(_blocks.block_sizes(N)) == 4
    write(tmp_path / "a", n=N, seed=9, format="parquet")
    write(tmp_path / "c", n=N, seed=9, format="csv")
    for threads in (1, 4):
        parts = list(_blocks.map_blocks(parameters(N, 15), 9, True, _arrow.to_arrow,
                                        threads=threads))
        assert len(parts) == 4
        _same(pd.concat([p.to_pandas() for p, _ in parts], ignore_index=True), c.patients)
    _same(pd.read_parquet(tmp_path / "a" / "patients.parquet"), c.patients)
    _same(pd.read_parquet(tmp_path / "a" / "treatments.parquet"), c.treatments)
    _same(pd.read_csv(tmp_path / "c" / "patients.csv"), c.patients)
    _same(pd.read_csv(tmp_path / "c" / "treatments.csv"), c.treatments)
    assert pq.ParquetFile(tmp_path / "a" / "patients.parquet").num_row_groups == 4  # a block each
    # the blocks are different draws: block 1 is not block 0 again
    first = c.patients["birth_date"].iloc[:500].to_numpy()
    assert not np.array_equal(np.sort(first), np.sort(c.patients["birth_date"].iloc[500:1000]))


def test_parquet_reads_as_the_csv_cohort(tmp_path: Path) -> None:
    """The validated cohort from the Parquet files is the one from the CSV files."""
    from sarcohort.cohort import cohort_from_tables
    from sarcohort.data.readers import read_sources
    from sarcohort.protocol import CohortConfig

    config = CohortConfig()
    cohorts = {}
    for fmt in ("csv", "parquet"):
        paths, _, _ = write(tmp_path / fmt, n=600, seed=2, format=fmt)
        raw_p, raw_t = read_sources(config.data, tmp_path, patients=paths[0], treatments=paths[1])
        cohorts[fmt] = cohort_from_tables(raw_p, raw_t, config)
    a, b = cohorts["csv"], cohorts["parquet"]
    assert b.report.ok and len(b.report.problems) == len(a.report.problems)
    pd.testing.assert_frame_equal(b.patients, a.patients)


def test_refuses_to_overwrite_and_keeps_one_cohort(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    write(out, n=50, format="csv")
    before = (out / "patients.csv").read_bytes()
    with pytest.raises(OutputError, match="exists"):
        write(out, n=50, seed=1, format="csv")
    with pytest.raises(OutputError, match="patients.csv"):  # the other format is the cohort too
        write(out, n=50, format="parquet")
    assert (out / "patients.csv").read_bytes() == before
    write(out, n=50, format="parquet", force=True)
    assert sorted(p.name for p in out.iterdir()) == ["patients.parquet", "treatments.parquet"]


def test_output_appears_whole_or_not_at_all(small_blocks: None, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cohort"
    write(out, n=N, format="parquet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []
    convert = _arrow.to_arrow

    def failing(block):  # the third block of every run fails
        calls.append(1)
        if len(calls) % 4 == 3:
            raise OSError(28, "No space left on device")
        return convert(block)

    monkeypatch.setattr(_arrow, "to_arrow", failing)
    with pytest.raises(OSError, match="No space"):
        write(out, n=N, seed=4, format="parquet", force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # untouched, no temp file
    with pytest.raises(OSError):
        write(tmp_path / "new", n=N, format="parquet")
    assert list((tmp_path / "new").iterdir()) == []


def test_bad_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="messy"):
        write(tmp_path / "m", n=100, messy=True, format="parquet")
    with pytest.raises(InputError, match="does not fit"):
        write(tmp_path / "c.xlsx", n=100, format="csv")
    with pytest.raises(InputError, match="unknown format"):
        write(tmp_path / "c", n=100, format="json")
    monkeypatch.setattr(synth, "XLSX_MAX_ROWS", 200)
    with pytest.raises(InputError, match="Excel"):
        write(tmp_path / "c.xlsx", n=100)
    assert not (tmp_path / "c.xlsx").exists()


def test_auto_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sarcohort.cli import synth as cmd
    from sarcohort.synth import _stream

    assert cmd.AUTO_PARQUET_ABOVE == synth.AUTO_PARQUET_ABOVE
    assert write(tmp_path / "a", n=30)[0][0].name == "patients.csv"
    monkeypatch.setattr(_stream, "AUTO_PARQUET_ABOVE", 20)
    assert write(tmp_path / "b", n=30)[0][0].name == "patients.parquet"


def _app():
    import typer

    from sarcohort.cli.synth import run

    app = typer.Typer()
    app.command()(run)
    return app


def test_command_parquet(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(_app(), ["--out", str(tmp_path / "c"), "--n", "300", "--format", "parquet"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("wrote 300 patients") and "\r" not in res.output  # no bar in a pipe
    assert len(pd.read_parquet(tmp_path / "c" / "patients.parquet")) == 300
    res = runner.invoke(_app(), ["--out", str(tmp_path / "c"), "--n", "300", "--format", "csv"])
    assert res.exit_code == 2 and "--out" in res.output and "--force" in res.output
    res = runner.invoke(_app(), ["--out", str(tmp_path / "m"), "--messy", "--format", "parquet"])
    assert res.exit_code == 2 and "--format" in res.output
