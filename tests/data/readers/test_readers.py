"""Readers on real files: CSV dialects and encodings, workbooks with several sheets, Parquet."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import CohortConfig, cohort_from_tables
from sarcohort.data.readers import read_sources, read_table
from sarcohort.data.readers._csv import read_csv
from sarcohort.exceptions import InputError
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"

FRENCH = (
    "N° patient;Centre;Sexe;Date de naissance;Date diagnostic;Date 1ère métastase;"
    "Nb métastases;Poumon;Os;Autre;Date progression;Date décès;Date dernières nouvelles;Poids\n"
    "A1;Lyon;Homme;17/05/1980;01/01/2010;01/04/2010;3;oui;non;non;01/10/2010;01/04/2011;"
    "01/04/2011;72,5\n"
    "A2;Lyon;Femme;31/01/1975;01/01/2010;02/04/2010;1;oui;non;non;;;02/04/2014;61,25\n"
    "B1;Hôpital Saint-Étienne;Homme;01/12/1990;15/06/2011;01/02/2013;8;oui;oui;non;01/08/2013;;"
    "01/02/2016;80\n"
)

FRENCH_PROTOCOL = {
    "data": {
        "mapping": {"N° patient": "patient_id", "Centre": "centre", "Sexe": "sex",
                    "Date de naissance": "birth_date", "date diagnostic": "primary_diagnosis_date",
                    "Date 1ère métastase": "first_metastasis_date",
                    "Nb métastases": "n_metastases", "Poumon": "met_lung", "Os": "met_bone",
                    "Autre": "met_other", "Date progression": "progression_date",
                    "Date décès": "death_date", "Date dernières nouvelles": "last_followup_date"},
        "codes": {"sex": {"Homme": "M", "Femme": "F"},
                  "met_lung": {"oui": "yes", "non": "no"}, "met_bone": {"oui": "yes", "non": "no"},
                  "met_other": {"oui": "yes", "non": "no"}},
        "date_format": "dayfirst",
    }
}


def _cohort(path, config, treatments=None):
    p, t = read_sources(config.data, path.parent, patients=path, treatments=treatments)
    return cohort_from_tables(p, t, config, today=TODAY)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16"])
def test_semicolon_csv_decimal_comma_and_encodings(tmp_path, encoding):
    path = tmp_path / "export.csv"
    path.write_bytes(FRENCH.encode(encoding))
    c = _cohort(path, parse_cohort(FRENCH_PROTOCOL))
    assert c.report.ok, c.report.to_frame()
    assert c.patients["sex"].tolist() == ["M", "F", "M"]
    assert c.patients["Poids"].tolist() == [72.5, 61.25, 80.0]  # decimal comma, extra column
    assert c.patients["centre"].tolist()[2] == "Hôpital Saint-Étienne"  # accents survive
    assert c.patients["first_metastasis_date"].iloc[0] == pd.Timestamp("2010-04-01")
    enc = [p for p in c.report.problems if p.rule == "encoding"]
    if encoding == "latin-1":
        assert len(enc) == 1 and enc[0].severity == "info"
    else:
        assert not enc


def test_csv_without_protocol_reports_codes_not_in_template(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(FRENCH, encoding="utf-8")
    c = _cohort(path, CohortConfig())
    assert not c.report.ok
    # no template column is found: the required ones are missing
    missing = {p.column for p in c.report.problems if p.rule == "required" and p.row is None}
    assert "patient_id" in missing and "birth_date" in missing


def test_codes_1_2_mapped_by_protocol(tmp_path):
    p, t = example_tables()
    p["sex"] = p["sex"].map({"M": 1, "F": 2})
    path = tmp_path / "p.csv"
    p.to_csv(path, index=False)
    cfg = parse_cohort({"data": {"codes": {"sex": {"1": "M", "2": "F"}}}})
    c = _cohort(path, cfg)
    assert c.report.ok and c.patients["sex"].tolist() == ["M", "F", "M", "F", "M", "F"]


def _workbook(path, with_dates=True):
    p, t = example_tables()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("Notes")
    ws.append(["this sheet is not data"])
    for name, frame in (("patients", p), ("treatments", t)):
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for rec in frame.itertuples(index=False):
            row = []
            for col, v in zip(frame.columns, rec, strict=True):
                if pd.isna(v):
                    v = None
                elif col.endswith("_date") and with_dates:
                    v = dt.date.fromisoformat(v)  # a real date cell
                elif isinstance(v, float) and v.is_integer():
                    v = int(v)
                row.append(v)
            ws.append(row)
    wb.save(path)
    return p, t


def test_xlsx_with_several_sheets(tmp_path):
    path = tmp_path / "cohort.xlsx"
    _workbook(path)
    c = _cohort(path, CohortConfig())
    assert c.report.ok, c.report.to_frame()
    assert len(c.patients) == 6 and len(c.treatments) == 7
    assert c.patients.loc["P0001", "os_days"] == 365
    sheets = {p.sheet for p in c.report.problems}
    assert sheets == {"patients"}  # only the info on the extra column 'grade'


def test_xlsx_problem_row_is_the_sheet_row(tmp_path):
    path = tmp_path / "cohort.xlsx"
    _workbook(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["patients"]
    ws.insert_rows(3)  # an empty row inside the data: the rows below move down
    ws["C6"] = "?"     # sex of the patient now in sheet row 6
    wb.save(path)
    c = _cohort(path, CohortConfig())
    prob = [p for p in c.report.problems if p.rule == "code"][0]
    assert (prob.sheet, prob.row, prob.column, prob.value) == ("patients", 6, "sex", "?")
    assert any(p.rule == "file.empty_rows" for p in c.report.problems)


def test_xlsx_excel_serials_and_text_dates(tmp_path):
    path = tmp_path / "cohort.xlsx"
    p, _ = _workbook(path, with_dates=False)
    wb = openpyxl.load_workbook(path)
    ws = wb["patients"]
    ws["F2"] = 40269  # first_metastasis_date of A1 as an Excel serial: 2010-04-01
    wb.save(path)
    c = _cohort(path, CohortConfig())
    assert c.report.ok
    assert c.patients.loc["P0001", "first_metastasis_date"] == pd.Timestamp("2010-04-01")


def test_parquet(tmp_path):
    p, t = example_tables()
    for col in [c for c in p.columns if c.endswith("_date")]:
        p[col] = pd.to_datetime(p[col])
    p.to_parquet(tmp_path / "p.parquet")
    t.to_parquet(tmp_path / "t.parquet")
    c = _cohort(tmp_path / "p.parquet", CohortConfig(), tmp_path / "t.parquet")
    assert c.report.ok and len(c.patients) == 6
    assert c.patients["n_metastases"].tolist() == [3, 1, 8, 2, 1, 6]


def test_parquet_dates_beyond_2262_or_before_1677_are_invalid_not_wrapped(tmp_path):
    """A Parquet DATE of 9999-12-31 ("unknown" in some exports) or 1500-01-01 lies outside
    what ``datetime64[ns]`` holds: it is an invalid date, as the same text in a CSV file,
    never another date (9999-12-31 used to wrap round to 1816-03-29)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sarcohort.data.validation._validate import validate_tables

    p, t = example_tables()
    p["last_followup_date"] = p["last_followup_date"].astype(object)
    p.loc[0, "last_followup_date"] = "9999-12-31"
    p.loc[1, "last_followup_date"] = "1500-01-01"
    table = pa.Table.from_pandas(p.astype(object), preserve_index=False)
    days = [None if not isinstance(v, str) else dt.date.fromisoformat(v)
            for v in p["last_followup_date"]]
    table = table.set_column(table.schema.get_field_index("last_followup_date"),
                             "last_followup_date", pa.array(days, pa.date32()))
    pq.write_table(table, tmp_path / "patients.parquet")
    p.to_csv(tmp_path / "patients.csv", index=False)
    got, ref = (validate_tables(read_table(tmp_path / name), today=TODAY).report.problems
                for name in ("patients.parquet", "patients.csv"))
    invalid = [(q.row, q.value) for q in got if q.rule == "date.invalid"]
    assert invalid == [(2, "9999-12-31"), (3, "1500-01-01")]
    assert [(q.row, q.column, q.rule, q.value) for q in got] == [
        (q.row, q.column, q.rule, q.value) for q in ref]


def test_one_megabyte_cell_and_ragged_rows(tmp_path):
    p, _ = example_tables()
    p["comment"] = ""
    p.loc[2, "comment"] = "x" * 1_000_000
    path = tmp_path / "p.csv"
    p.to_csv(path, index=False)
    with path.open("a") as fh:
        fh.write("Z9,Lyon,M,1980-01-01,2010-01-01,2010-02-01,1,yes,no,no,,,2012-01-01,,,extra\n")
    c = _cohort(path, CohortConfig())
    assert all(len(x.value) <= 60 for x in c.report.problems)
    rag = [x for x in c.report.problems if x.rule == "row.ragged"]
    assert len(rag) == 1 and rag[0].row == 8


@pytest.mark.parametrize("content,match", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00" * 100, "binary"),
    (b"   \n\n", "empty"),
])
def test_unreadable_csv_raises_input_error(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_csv(path)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="Excel"):
        read_table(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"whatever")
    with pytest.raises(InputError, match="xlsx"):
        read_table(path)


def test_header_only_file_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(",".join(example_tables()[0].columns) + "\n")
    c = _cohort(path, CohortConfig())
    assert not c.report.ok and c.flow.n_read == 0 and c.flow.n_analysed == 0


def _sheets(path, **frames):
    with pd.ExcelWriter(path) as xw:
        for name, frame in frames.items():
            frame.to_excel(xw, sheet_name=name, index=False)
    return path


def test_workbook_without_treatments_sheet_is_not_read_as_treatments(tmp_path):
    """The protocol names the workbook for treatments: its patients sheet is never used
    as the treatments table; the error names the file and its sheets."""
    p, _ = example_tables()
    _sheets(tmp_path / "same.xlsx", patients=p)
    config = parse_cohort({"data": {"patients": "same.xlsx", "treatments": "same.xlsx"}})
    with pytest.raises(InputError, match=r"no sheet 'treatments'.*its sheets: 'patients'") as exc:
        read_sources(config.data, tmp_path)
    assert exc.value.argument == "same.xlsx"
    config = parse_cohort({"data": {"patients": "same.xlsx", "treatments": "same.xlsx",
                                              "treatments_sheet": "Tx"}})
    with pytest.raises(InputError, match="no sheet 'Tx'"):
        read_sources(config.data, tmp_path)
    # the protocol points the treatments at the patients sheet itself
    config = parse_cohort({"data": {"patients": "same.xlsx", "treatments": "same.xlsx",
                                              "treatments_sheet": "patients"}})
    with pytest.raises(InputError, match="both be the sheet 'patients'"):
        read_sources(config.data, tmp_path)


def test_workbook_without_treatments_sheet_means_no_treatments(tmp_path):
    p, _ = example_tables()
    path = _sheets(tmp_path / "book.xlsx", patients=p)
    pt, tt = read_sources(CohortConfig().data, tmp_path, patients=path)
    assert tt is None and pt.sheet == "patients"
    info = [q for q in pt.problems if q.rule == "sheet.missing"]
    assert len(info) == 1 and info[0].severity == "info"
    assert "no sheet named 'treatments'" in info[0].message and "'patients'" in info[0].message
    c = cohort_from_tables(pt, tt, CohortConfig(), today=TODAY)
    assert c.report.ok and len(c.patients) == 6 and len(c.treatments) == 0


def test_patients_sheet_is_never_the_treatments_sheet(tmp_path):
    p, t = example_tables()
    # no 'patients' sheet: the first sheet that is not the treatments sheet is read, with a note
    path = _sheets(tmp_path / "a.xlsx", treatments=t, Cohort=p)
    pt, tt = read_sources(CohortConfig().data, tmp_path, patients=path)
    assert (pt.sheet, tt.sheet, pt.n, tt.n) == ("Cohort", "treatments", 6, 7)
    assert [q.rule for q in pt.problems] == ["sheet.missing"]
    # a workbook with only a treatments sheet has no patients table
    path = _sheets(tmp_path / "b.xlsx", treatments=t)
    with pytest.raises(InputError, match=r"no patients sheet \(its sheets: 'treatments'\)"):
        read_sources(CohortConfig().data, tmp_path, patients=path)
    # a patients sheet named in the protocol must exist
    config = parse_cohort({"data": {"patients_sheet": "Patients 2019"}})
    with pytest.raises(InputError, match=r"no sheet 'Patients 2019'.*'Cohort'"):
        read_sources(config.data, tmp_path, patients=tmp_path / "a.xlsx")


def test_separate_treatments_workbook(tmp_path):
    p, t = example_tables()
    p_path = _sheets(tmp_path / "p.xlsx", patients=p)
    one = _sheets(tmp_path / "one.xlsx", Sheet1=t)  # a workbook of its own, one sheet: that table
    pt, tt = read_sources(CohortConfig().data, tmp_path, patients=p_path, treatments=one)
    assert tt.sheet == "Sheet1" and tt.n == 7
    two = _sheets(tmp_path / "two.xlsx", Sheet1=t, Sheet2=p)  # several sheets: never guessed
    with pytest.raises(InputError, match=r"no sheet 'treatments'.*'Sheet1', 'Sheet2'"):
        read_sources(CohortConfig().data, tmp_path, patients=p_path, treatments=two)
