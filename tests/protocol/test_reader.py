"""The one reader: bytes, byte-order mark, TOML, the same answer for `analyze` and `validate`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarcohort.exceptions import ProtocolError
from sarcohort.protocol import read_cohort_config, read_protocol
from sarcohort.study import Study

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reference-study" / "study.toml"


def test_a_byte_order_mark_reads_like_none(tmp_path):
    raw = EXAMPLE.read_bytes()
    bom = tmp_path / "study.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + raw)
    plain = read_protocol(EXAMPLE)
    with_bom = Study.from_toml(bom)  # what `sarcohort analyze` reads
    assert with_bom.analysis == plain.analysis and with_bom.report == plain.report
    assert with_bom.cohort_config.inclusion == plain.cohort_config.inclusion
    # what `sarcohort validate --protocol` reads: the same reader
    assert read_cohort_config(bom).derived == plain.cohort_config.derived


def test_validate_and_analyze_agree_on_a_bom_protocol(tmp_path):
    from sarcohort.cli import app

    bom = tmp_path / "study.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + b'[data]\ndate_format = "iso"\n[analysis]\nfactors = ["sex"]\n')
    Study.from_toml(bom)
    data = tmp_path / "patients.csv"
    data.write_text("patient_id\nA\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(data), "--protocol", str(bom)])
    assert "protocol:" not in res.output, res.output


def test_not_utf8_and_bad_toml_name_the_file(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[study]\ntitle = "Étude"\n'.encode("latin-1"))
    for reader in (read_protocol, read_cohort_config):
        with pytest.raises(ProtocolError, match="not UTF-8") as info:
            reader(latin)
        assert str(info.value).startswith(str(latin))


def test_nan_and_infinite_numbers_are_refused():
    from sarcohort.protocol import parse_protocol

    for v in (float("nan"), float("inf")):
        with pytest.raises(ProtocolError, match="^analysis.conf_level"):
            parse_protocol({"analysis": {"conf_level": v, "factors": ["x"]}})
        with pytest.raises(ProtocolError, match="^analysis.landmarks"):
            parse_protocol({"analysis": {"landmarks": [v], "factors": ["x"]}})
