"""Bad input files, one case per fault a real hospital export holds -> the rule that names it.

Every case writes its own files (CSV, a real XLSX written with openpyxl, Parquet) from the
six hand-made patients of :func:`fixtures.example_cohort.example_tables`, reads them as
``validate`` and ``analyze`` do, and asserts the problem: rule, severity, column, and
words of the message. The table grows with every fault found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import cohort_from_tables
from sarcohort.data.readers import read_sources
from sarcohort.protocol import CohortConfig, parse_cohort

TODAY = "2024-01-01"


def csv_files(patients: pd.DataFrame, treatments: pd.DataFrame | None = None):
    def write(tmp: Path) -> tuple[Path, Path | None]:
        patients.to_csv(tmp / "patients.csv", index=False)
        if treatments is None:
            return tmp / "patients.csv", None
        treatments.to_csv(tmp / "treatments.csv", index=False)
        return tmp / "patients.csv", tmp / "treatments.csv"
    return write


def parquet_files(patients: pd.DataFrame, treatments: pd.DataFrame | None = None):
    def write(tmp: Path) -> tuple[Path, Path | None]:
        patients.to_parquet(tmp / "patients.parquet", index=False)
        if treatments is None:
            return tmp / "patients.parquet", None
        treatments.to_parquet(tmp / "treatments.parquet", index=False)
        return tmp / "patients.parquet", tmp / "treatments.parquet"
    return write


def xlsx_file(patients: pd.DataFrame, treatments: pd.DataFrame | None = None,
              edit: Callable | None = None):
    """A real workbook written with openpyxl; ``edit(ws)`` changes the patients sheet."""
    import openpyxl

    def write(tmp: Path) -> tuple[Path, Path | None]:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "patients"
        for name, frame in (("patients", patients), ("treatments", treatments)):
            if frame is None:
                continue
            sheet = ws if name == "patients" else wb.create_sheet(name)
            sheet.append(list(frame.columns))
            for rec in frame.itertuples(index=False):
                sheet.append([None if pd.isna(v) else _cell(v) for v in rec])
        if edit is not None:
            edit(ws)
        wb.save(tmp / "cohort.xlsx")
        return tmp / "cohort.xlsx", None
    return write


def _cell(v: object) -> object:
    """ISO dates as date cells, as Excel stores them."""
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        import datetime

        return datetime.date.fromisoformat(v)
    return v


def _title_row(ws) -> None:
    ws.insert_rows(1, 2)
    ws["A1"] = "Osteosarcoma cohort, export of 2023-05-01"


def _group_row(ws) -> None:
    ws.insert_rows(1)
    ws["A1"], ws["D1"] = "Identity", "Dates"
    ws.merge_cells("A1:C1")
    ws.merge_cells("D1:F1")


def _units_row(ws) -> None:
    ws.insert_rows(2)
    for k, text in enumerate(["id", "name", "M/F", "YYYY-MM-DD", "YYYY-MM-DD", "YYYY-MM-DD",
                              "count", "yes/no"], start=1):
        ws.cell(2, k, text)


def _merged_header(ws) -> None:
    ws["J1"] = "dates of events"   # progression_date and death_date under one merged name
    ws.merge_cells("J1:K1")


def _merged_data(ws) -> None:
    ws["B3"] = ws["B2"].value        # Lyon, Lyon: typed once over two rows
    ws.merge_cells("B2:B3")


def _formula(ws) -> None:
    ws["M3"] = "=F3+1461"            # last follow-up of A2 computed, never saved


def _hidden(ws) -> None:
    ws.row_dimensions[4].hidden = True
    ws.column_dimensions["N"].hidden = True


def _csv_title(tmp: Path) -> tuple[Path, Path | None]:
    path = tmp / "patients.csv"
    path.write_text("Export of the sarcoma database\n" + P.to_csv(index=False), encoding="utf-8")
    return path, None


def _drop(col: str) -> pd.DataFrame:
    p, _ = example_tables()
    return p.drop(columns=[col])


def _rename(old: str, new: str) -> pd.DataFrame:
    p, _ = example_tables()
    return p.rename(columns={old: new})


def _set(col: str, values: object) -> pd.DataFrame:
    p, _ = example_tables()
    p[col] = values
    return p


@dataclass
class Case:
    """A bad file and the problem it must give."""

    id: str
    write: Callable[[Path], tuple[Path, Path | None]]
    rule: str
    severity: str
    column: str | None
    words: tuple[str, ...]
    config: dict = field(default_factory=dict)
    row: int | None = None
    file: str | None = None


P, T = example_tables()

CASES = [
    # a column the analysis needs is never silently empty
    Case("misspelt progression_date", csv_files(_rename("progression_date", "progession_date"), T),
         "column.missing", "error", "progression_date",
         ("progession_date", "progression-free survival")),
    Case("did you mean", csv_files(_rename("progression_date", "progession_date"), T),
         "column.unknown", "warning", "progession_date", ("did you mean 'progression_date'",)),
    Case("renamed death_date", csv_files(_rename("death_date", "deces"), T),
         "column.missing", "error", "death_date", ("overall survival",)),
    Case("dropped last_followup_date", csv_files(_drop("last_followup_date"), T),
         "column.missing", "error", "last_followup_date", ("overall survival",)),
    Case("column used by [derived]", csv_files(_drop("n_metastases"), T),
         "column.missing", "error", "n_metastases", ("[derived] many",),
         config={"derived": {"many": "n_metastases > 5"}}),
    Case("coded column empty in every row", csv_files(_set("met_bone", None), T),
         "column.empty", "warning", "met_bone", ("empty in every row",)),
    Case("yes/no column with other words", csv_files(_set("met_lung", "maybe"), T),
         "code", "error", "met_lung", ("yes, no", "1/0"), row=2),
    Case("CSV with a title line", lambda tmp: _csv_title(tmp), "sheet.header", "warning", None,
         ("hold a title", "read from row 2")),
    # workbooks: header problems are named as such, never as CSV advice
    Case("title rows above the header", xlsx_file(P, T, _title_row), "sheet.header", "warning",
         None, ("hold a title", "read from row 3")),
    Case("two header rows (groups)", xlsx_file(P, T, _group_row), "sheet.header", "error",
         None, ("two header rows", "A1:C1")),
    Case("a row of units under the names", xlsx_file(P, T, _units_row), "sheet.header", "error",
         None, ("second header row",), row=2),
    Case("merged header cells", xlsx_file(P, T, _merged_header), "sheet.header", "error",
         None, ("merged cells J1:K1 in the header row",)),
    Case("merged data cells", xlsx_file(P, T, _merged_data), "cell.merged", "error",
         "centre", ("B3 is part of the merged cells B2:B3",), row=3),
    Case("formula without a saved value", xlsx_file(P, T, _formula), "cell.formula", "error",
         "last_followup_date", ("cell M3 holds a formula with no saved value",), row=3),
    Case("hidden row", xlsx_file(P, T, _hidden), "sheet.hidden", "warning", None,
         ("hidden in Excel",), row=4),
    Case("hidden column", xlsx_file(P, T, _hidden), "sheet.hidden", "warning", "grade",
         ("column N is hidden",)),
]


def _problems(tmp_path: Path, case: Case):
    p_path, t_path = case.write(tmp_path)
    config = parse_cohort(case.config)
    p, t = read_sources(config.data, tmp_path, patients=p_path, treatments=t_path)
    return cohort_from_tables(p, t, config, today=TODAY)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_file_gives_its_rule(tmp_path, case):
    cohort = _problems(tmp_path, case)
    hits = [p for p in cohort.report.problems
            if p.rule == case.rule and p.column == case.column
            and (case.row is None or p.row == case.row)
            and (case.file is None or p.file == case.file)]
    assert hits, f"no {case.rule} on {case.column}:\n{cohort.report.to_frame().to_string()}"
    prob = hits[0]
    assert prob.severity == case.severity, prob
    for w in case.words:
        assert w in prob.message, prob.message
    if case.severity == "error":
        assert not cohort.report.ok


def test_missing_needed_column_excludes_everyone_and_names_the_column(tmp_path):
    """PFS would silently have become OS: now nobody is analysed and the flow says why."""
    case = CASES[0]
    cohort = _problems(tmp_path, case)
    assert cohort.flow.n_analysed == 0
    assert cohort.flow.excluded["data error (rule column.missing)"] == 6


def test_column_not_used_is_only_a_warning(tmp_path):
    cohort = _problems(tmp_path, Case("x", csv_files(_drop("met_other"), T), "", "", None, ()))
    prob = [p for p in cohort.report.problems if p.rule == "column.missing"]
    assert [p.severity for p in prob] == ["warning"] and cohort.report.ok
    assert "nothing in the analysis uses it" in prob[0].message


def test_yes_no_accept_booleans_and_0_1(tmp_path):
    """Parquet booleans (with a missing value) and 0/1 numbers are yes/no."""
    p, t = example_tables()
    p["met_lung"] = pd.array([True, False, True, None, True, False], dtype="boolean")
    p["met_bone"] = [0, 0, 1, 1, 0, 0]
    t["in_trial"] = [False, False, False, True, False, False, False]
    cohort = _problems(tmp_path, Case("x", parquet_files(p, t), "", "", None, ()))
    assert cohort.report.ok, cohort.report.to_frame().to_string()
    assert cohort.patients["met_lung"].tolist() == ["yes", "no", "yes", None, "yes", "no"]
    assert cohort.patients["met_bone"].tolist() == ["no", "no", "yes", "yes", "no", "no"]
    assert cohort.patients["in_trial"].tolist() == [False, False, True, False, False, False]


def test_protocol_factor_makes_its_column_needed(tmp_path):
    """A column named by [analysis] is needed as soon as the study is loaded."""
    from sarcohort.study import Study

    p, t = example_tables()
    csv_files(p.drop(columns=["met_bone"]), t)(tmp_path)
    doc = {"data": {"patients": "patients.csv", "treatments": "treatments.csv"},
           "analysis": {"endpoints": ["os"], "factors": ["met_bone"]}}
    study = Study.from_dict(doc, tmp_path / "study.toml")
    needed = study.needed_columns()
    assert needed["patients"]["met_bone"] == "analysis.factors"
    assert "progression_date" not in needed["patients"]  # OS only
    cohort = study.load()
    prob = [q for q in cohort.report.problems if q.column == "met_bone"]
    assert [(q.rule, q.severity) for q in prob] == [("column.missing", "error")]
    assert "analysis.factors needs it" in prob[0].message


def test_analysis_survives_an_empty_coded_column(tmp_path):
    """met_bone empty in every row: validate warns; Table 1, KM and Cox do not crash."""
    from sarcohort.study import Study

    p, t = example_tables()
    p["met_bone"] = None
    csv_files(p, t)(tmp_path)
    doc = {"data": {"patients": "patients.csv", "treatments": "treatments.csv"},
           "analysis": {"endpoints": ["os"], "group": "timing", "descriptive": ["met_bone"],
                        "factors": ["met_bone"]},
           "report": {"factor_figures": False}}
    study = Study.from_dict(doc, tmp_path / "study.toml")
    cohort = study.load()
    assert [q.rule for q in cohort.report.problems if q.column == "met_bone"] == ["column.empty"]
    results = study.analyze(cohort)
    row = results.table1.variables[0]
    assert row.name == "met_bone" and row.levels == () and row.missing[0] == 6
    assert any("could not be fitted" in w for w in results.warnings)


# ------------------------------------------------------------------ every row is linked
def _ids_case(tmp_path, patient_ids, treatment_ids, **kw):
    p, t = example_tables()
    p["patient_id"] = patient_ids
    t["patient_id"] = treatment_ids
    p_path, t_path = csv_files(p, t)(tmp_path)
    config = CohortConfig()
    raw_p, raw_t = read_sources(config.data, tmp_path, patients=p_path, treatments=t_path)
    return cohort_from_tables(raw_p, raw_t, config, today=TODAY, **kw)


def test_ids_link_ignoring_case_spaces_and_leading_zeros(tmp_path):
    # A1 -> 00001 / 1, A2 -> abc, B1 -> ' B1 ' (CSV keeps the spaces), B2 -> 7, B3 -> x9
    cohort = _ids_case(tmp_path, ["00001", "abc", "B1", "7", "x9", "C1"],
                       ["1", "1.0", "00001", " b1 ", "B1", "007", "X9"])
    assert cohort.report.ok, cohort.report.to_frame().to_string()
    info = [p for p in cohort.report.problems if p.rule == "treatment.id_normalised"]
    assert len(info) == 1 and info[0].severity == "info" and info[0].value == "5"
    # A1's surgery and two lines are found (they would have been lost as untreated)
    a1 = cohort.patients.iloc[0]
    assert bool(a1["metastasis_surgery"]) and a1["n_systemic_lines"] == 2
    assert len(cohort.treatments) == 7


def test_ids_equal_after_normalising_are_a_duplicate_warning(tmp_path):
    cohort = _ids_case(tmp_path, ["001", "1", "B1", "B2", "B3", "C1"],
                       ["A1x", "A1x", "A1x", "B1", "B1", "B2", "B3"])
    dup = [p for p in cohort.report.problems if p.rule == "duplicate_id.case"]
    assert [p.row for p in dup] == [2, 3] and "leading zeros" in dup[0].message


def test_unlinked_treatment_is_an_error_with_its_row(tmp_path):
    cohort = _ids_case(tmp_path, ["A1", "A2", "B1", "B2", "B3", "C1"],
                       ["A1", "A1", "A1", "B1", "B1", "B2", "NOBODY"])
    prob = [p for p in cohort.report.problems if p.rule == "treatment.unknown_patient"]
    assert [(p.file, p.row, p.severity) for p in prob] == [("treatments.csv", 8, "error")]


def test_unlinked_treatment_stops_the_analysis(tmp_path):
    from sarcohort.analysis._data_problems import check_unlinked_treatments
    from sarcohort.exceptions import InputError

    cohort = _ids_case(tmp_path, ["A1", "A2", "B1", "B2", "B3", "C1"],
                       ["A1", "NOBODY", "A1", "B1", "B1", "B2", "GHOST"])
    with pytest.raises(InputError, match=r"2 treatment row\(s\) match no patient.*"
                                         r"treatments.csv rows 3, 8.*on_unlinked_treatments"):
        check_unlinked_treatments(cohort)


def test_unlinked_treatment_ignored_when_the_protocol_says_so(tmp_path):
    from sarcohort.analysis._data_problems import check_unlinked_treatments, data_warnings

    cohort = _ids_case(tmp_path, ["A1", "A2", "B1", "B2", "B3", "C1"],
                       ["A1", "NOBODY", "A1", "B1", "B1", "B2", "GHOST"],
                       on_unlinked_treatments="ignore")
    prob = [p for p in cohort.report.problems if p.rule == "treatment.unknown_patient"]
    assert [p.severity for p in prob] == ["warning", "warning"]
    assert cohort.report.ok
    check_unlinked_treatments(cohort)  # no stop
    assert data_warnings(cohort) == [
        "2 treatment row(s) match no patient (treatments.csv rows 3, 8) and were left out, "
        'as [data] on_unlinked_treatments = "ignore" says.']


# ------------------------------------------------------- expressions mean what they look like
def _derived(tmp_path, derived: dict, patients: pd.DataFrame | None = None):
    p, t = example_tables()
    p = p if patients is None else patients
    p_path, t_path = csv_files(p, t)(tmp_path)
    config = parse_cohort({"derived": derived})
    raw_p, raw_t = read_sources(config.data, tmp_path, patients=p_path, treatments=t_path)
    return cohort_from_tables(raw_p, raw_t, config, today=TODAY)


def test_derived_expressions_read_labels_and_r_operators(tmp_path):
    cohort = _derived(tmp_path, {
        "bone": "met_bone == 'Yes'", "male": "sex == 'Male'",
        "no_bone": "~ met_bone == 'yes'", "r_and": "n_metastases > 5 & met_bone == 'yes'",
        "r_not": "!met_lung == 'yes' | sex == 'F'",
        "operated": "metastasis_surgery == 'yes'"})
    p = cohort.patients  # met_bone no no yes yes no no; n 3 1 8 2 1 6; sex M F M F M F
    assert p["bone"].tolist() == [False, False, True, True, False, False]
    assert p["male"].tolist() == [True, False, True, False, True, False]
    assert p["no_bone"].tolist() == [True, True, False, False, True, True]
    assert p["r_and"].tolist() == [False, False, True, False, False, False]
    assert p["r_not"].tolist() == [False, True, False, True, False, True]
    assert p["operated"].tolist() == p["metastasis_surgery"].tolist()


@pytest.mark.parametrize(("expr", "words"), [
    ("met_bone == 'oui'", "'oui' is not a value of met_bone.*'yes', 'no'"),
    ("sex == 'Homme'", "'Homme' is not a value of sex.*'M', 'F'.*'male', 'female'"),
    ("timing == 'synchrone'", "'synchrone' is not a value of timing"),
    ("n_metastases > 'five'", "with the text 'five'"),
    ("birth_date / 86400000000000", "'birth_date', an identifier of the patient"),
    ("commentaire == 'x'", "'commentaire', an identifier of the patient"),
    ("`Nom` == 'x'", "'Nom', an identifier of the patient"),
])
def test_derived_expression_faults_name_the_key(tmp_path, expr, words):
    from sarcohort.exceptions import ProtocolError

    p, _ = example_tables()
    p["commentaire"] = "seen by Dr X"
    p["Nom"] = "DUPONT"
    with pytest.raises(ProtocolError, match="derived.bad") as exc:
        _derived(tmp_path, {"bad": expr}, p)
    assert re.search(words, str(exc.value)), str(exc.value)


# ------------------------------------------------------ no identifier reaches a report
def _study(tmp_path, patients, analysis: dict, data: dict | None = None):
    from sarcohort.study import Study

    _, t = example_tables()
    csv_files(patients, t)(tmp_path)
    doc = {"data": {"patients": "patients.csv", "treatments": "treatments.csv", **(data or {})},
           "analysis": {"endpoints": ["os"], **analysis}, "report": {"factor_figures": False}}
    study = Study.from_dict(doc, tmp_path / "study.toml")
    return study, study.load()


@pytest.mark.parametrize(("column", "key", "words"), [
    ("commentaire", "descriptive", "an identifier or a date"),   # 3 values among 6 patients
    ("Nom", "descriptive", "an identifier or a date"),
    ("IPP", "factors", "an identifier or a date"),
    ("date_naissance", "group", "an identifier or a date"),
    ("histology", "descriptive", "not in the template: free text"),  # 2 values, still free text
    ("grade", "factors", "not in the template: free text"),          # numbers, still undeclared
])
def test_free_text_and_identifiers_are_refused_whatever_their_count(tmp_path, column, key,
                                                                    words):
    from sarcohort.exceptions import ProtocolError

    p, _ = example_tables()
    p["commentaire"] = ["vu par Dr X", "RAS", "RAS", "vu par Dr X", "perdu de vue", "RAS"]
    p["Nom"] = ["DUPONT", "MARTIN", "DURAND", "PETIT", "LEROY", "MOREAU"]
    p["IPP"] = [101, 102, 103, 104, 105, 106]
    p["date_naissance"] = ["1980-05-17"] * 6
    p["histology"] = ["osteoblastic", "chondroblastic"] * 3
    value = column if key == "group" else [column]
    analysis = {key: value, "factors": ["sex"]} if key != "factors" else {key: value}
    study, cohort = _study(tmp_path, p, analysis)
    with pytest.raises(ProtocolError, match=f"analysis.{key}: .*{words}.*{column}"):
        study.analyze(cohort)


def test_a_column_declared_coded_may_be_described(tmp_path):
    p, _ = example_tables()
    p["histology"] = ["osteoblastic", "chondroblastic", "ob", "ob", "cb", "osteoblastic"]
    codes = {"histology": {"ob": "osteoblastic", "cb": "chondroblastic"}}
    study, cohort = _study(tmp_path, p, {"descriptive": ["histology"], "factors": ["sex"]},
                           {"codes": codes})
    assert cohort.report.ok, cohort.report.to_frame().to_string()
    assert sorted(cohort.patients["histology"].value_counts().items()) == [
        ("chondroblastic", 2), ("osteoblastic", 4)]
    row = study.analyze(cohort).table1.variables[0]
    assert [lv.level.lower() for lv in row.levels] == ["chondroblastic", "osteoblastic"]


def test_a_value_outside_the_declared_codes_is_an_error(tmp_path):
    p, _ = example_tables()
    p["histology"] = ["ob", "ob", "telangiectatic", "ob", "ob", "ob"]
    _, cohort = _study(tmp_path, p, {"factors": ["sex"]},
                       {"codes": {"histology": {"ob": "osteoblastic"}}})
    prob = [q for q in cohort.report.problems if q.column == "histology"]
    assert [(q.rule, q.row, q.severity) for q in prob] == [("code", 4, "error")]
    assert "declared in [data.codes.histology]" in prob[0].message


@pytest.mark.parametrize(("toml", "key", "words"), [
    ('[data.codes.nom]\nx = "y"', "data.codes.nom", "identifies a patient"),
    ('[data.codes.sexe]\nH = "M"', "data.codes.sexe", "did you mean 'sex'"),
    ('[data]\non_unlinked_treatments = "skip"', "data.on_unlinked_treatments", "skip"),
    ("[inclusion]\nage_min = nan", "inclusion.age_min", "nan"),
    ("[inclusion]\nage_max = inf", "inclusion.age_max", "inf"),
    ("[analysis]\nconf_level = nan", "analysis.conf_level", "nan"),
    ("[analysis]\nlandmarks = [12, inf]", "analysis.landmarks", "inf"),
    ("[report]\nmax_time = inf", "report.max_time", "inf"),
    ('[derived]\ndeep = "' + "+".join(["n_metastases"] * 120) + '"', "derived.deep",
     "nested deeper than 100"),
    ('[derived]\nlisted = "n_metastases + [1, 2]"', "derived.listed", "may only follow 'in'"),
])
def test_protocol_faults_name_the_key(tmp_path, toml, key, words):
    from sarcohort.exceptions import ProtocolError
    from sarcohort.study import Study

    path = tmp_path / "study.toml"
    if "[analysis]" not in toml:
        toml += '\n[analysis]\nfactors = ["sex"]'
    else:
        toml = toml.replace("[analysis]", '[analysis]\nfactors = ["sex"]')
    path.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=re.escape(key)) as exc:
        Study.from_toml(path)
    assert words in str(exc.value), str(exc.value)
    assert "Traceback" not in str(exc.value)


# ------------------------------------------------------------------------- workbooks
def test_clean_workbook_has_no_layout_problem(tmp_path):
    cohort = _problems(tmp_path, Case("x", xlsx_file(P, T), "", "", None, ()))
    assert [p.rule for p in cohort.report.problems] == ["column.unknown"]
    assert cohort.flow.n_analysed == 6


def test_title_rows_are_skipped_and_rows_keep_their_sheet_numbers(tmp_path):
    p = P.copy()
    p.loc[1, "sex"] = "X"
    cohort = _problems(tmp_path, Case("x", xlsx_file(p, T, _title_row), "", "", None, ()))
    assert cohort.flow.n_read == 6
    bad = [q for q in cohort.report.problems if q.rule == "code"]
    assert [(q.row, q.column) for q in bad] == [(5, "sex")]  # title 1, empty 2, header 3
    assert not [q for q in cohort.report.problems if q.rule == "row.ragged"]


def test_formula_cell_is_never_read_as_empty(tmp_path):
    """The formula's row is excluded with its reason; before, A2 lost its follow-up."""
    cohort = _problems(tmp_path, Case("x", xlsx_file(P, T, _formula), "", "", None, ()))
    assert cohort.flow.excluded["data error (rule cell.formula)"] == 1
    assert "P0002" not in cohort.patients.index


def test_every_treatment_row_is_accounted_for(tmp_path):
    p, t = example_tables()
    p.loc[3, "death_date"] = "2012-02-30"  # B2 excluded: its systemic line too
    t.loc[6, "patient_id"] = "GHOST"        # B3's ablation links to nobody
    p_path, t_path = csv_files(p, t)(tmp_path)
    config = CohortConfig()
    raw_p, raw_t = read_sources(config.data, tmp_path, patients=p_path, treatments=t_path)
    cohort = cohort_from_tables(raw_p, raw_t, config, today=TODAY,
                                on_unlinked_treatments="ignore")
    assert cohort.manifest["treatment_rows"] == {"read": 7, "analysed": 5,
                                                 "of_excluded_patients": 1, "unlinked": 1}
    assert cohort.flow.n_read == cohort.flow.n_analysed + cohort.flow.n_excluded == 6


def test_csv_title_line_is_not_reported_as_ragged_rows(tmp_path):
    cohort = _problems(tmp_path, Case("x", _csv_title, "", "", None, ()))
    assert not [q for q in cohort.report.problems if q.rule == "row.ragged"]
    assert cohort.flow.n_read == 6 and cohort.patients["source_row"].tolist()[:2] == [3, 4]


def test_declared_codes_check_derived_comparisons_too(tmp_path):
    from sarcohort.exceptions import ProtocolError

    p, t = example_tables()
    p["histology"] = ["ob", "cb", "ob", "ob", "cb", "ob"]
    csv_files(p, t)(tmp_path)
    codes = {"histology": {"ob": "osteoblastic", "cb": "chondroblastic"}}
    config = parse_cohort({"data": {"codes": codes},
                           "derived": {"ob": "histology == 'Osteoblastic'"}})
    raw_p, raw_t = read_sources(config.data, tmp_path, patients=tmp_path / "patients.csv",
                                treatments=tmp_path / "treatments.csv")
    cohort = cohort_from_tables(raw_p, raw_t, config, today=TODAY)
    assert cohort.patients["ob"].tolist() == [True, False, True, True, False, True]
    config = parse_cohort({"data": {"codes": codes},
                           "derived": {"ob": "histology == 'osteoblastc'"}})
    with pytest.raises(ProtocolError, match="derived.ob.*'osteoblastc' is not a value of "
                                            "histology"):
        cohort_from_tables(raw_p, raw_t, config, today=TODAY)
