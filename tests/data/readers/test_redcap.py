"""REDCap: an export pair (records + data dictionary) built from the template's dictionary."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from fixtures.example_cohort import example_tables
from sarcohort.cohort import build_cohort, cohort_from_frames
from sarcohort.data._template import redcap_rows, write_redcap_dictionary
from sarcohort.data.readers._redcap import DICTIONARY_COLUMNS, parse_choices, read_dictionary
from sarcohort.protocol import parse_cohort

TODAY = "2024-01-01"
YN = {"yes": "1", "no": "0"}


def _records(labels: bool = False) -> list[dict[str, str]]:
    """The example cohort as REDCap exports it: one row per patient, one per treatment."""
    p, t = example_tables()
    rows = []
    kind_label = {"surgery": "Surgery of metastases", "radiotherapy": "Radiotherapy",
                  "ablation": "Ablation (radiofrequency, cryo...)", "systemic": "Systemic treatment"}
    for rec in p.to_dict("records"):
        row = {"patient_id": rec["patient_id"], "redcap_repeat_instrument": "",
               "redcap_repeat_instance": "", "redcap_data_access_group": rec["centre"].lower(),
               "centre": "", "sex": {"M": "Male", "F": "Female"}[rec["sex"]] if labels else rec["sex"]}
        for c in ("birth_date", "primary_diagnosis_date", "first_metastasis_date", "n_metastases",
                  "progression_date", "death_date", "last_followup_date"):
            v = rec[c]
            row[c] = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        for site in ("lung", "bone", "other"):
            on = rec[f"met_{site}"] == "yes"
            row[f"met_sites___{site}"] = ("Checked" if on else "Unchecked") if labels else (
                "1" if on else "0")
        row["patients_complete"] = "2"
        rows.append(row)
    instance: dict[str, int] = {}
    for rec in t.to_dict("records"):
        instance[rec["patient_id"]] = instance.get(rec["patient_id"], 0) + 1
        row = {"patient_id": rec["patient_id"], "redcap_repeat_instrument": "treatments",
               "redcap_repeat_instance": str(instance[rec["patient_id"]]),
               "redcap_data_access_group": "",
               "kind": kind_label[rec["kind"]] if labels else rec["kind"],
               "start_date": rec["start_date"],
               "line": "" if pd.isna(rec["line"]) else str(int(rec["line"])),
               "regimen": rec["regimen"],
               "in_trial": rec["in_trial"].capitalize() if labels else YN[rec["in_trial"]],
               "best_response": rec["best_response"] or "", "treatments_complete": "2"}
        rows.append(row)
    return rows


def _write_pair(tmp_path, labels=False):
    dict_path = write_redcap_dictionary(tmp_path / "dictionary.csv")
    rows = _records(labels)
    header = ["patient_id", "redcap_repeat_instrument", "redcap_repeat_instance",
              "redcap_data_access_group", "centre", "sex", "birth_date", "primary_diagnosis_date",
              "first_metastasis_date", "n_metastases", "met_sites___lung", "met_sites___bone",
              "met_sites___other", "progression_date", "death_date", "last_followup_date",
              "patients_complete", "kind", "start_date", "line", "regimen", "in_trial",
              "best_response", "treatments_complete"]
    rec_path = tmp_path / "records.csv"
    with rec_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, restval="")
        w.writeheader()
        w.writerows(rows)
    return rec_path, dict_path


def test_dictionary_has_redcap_headers_and_every_field(tmp_path):
    path = write_redcap_dictionary(tmp_path / "d.csv")
    with path.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == DICTIONARY_COLUMNS
    fields = {f.name: f for f in read_dictionary(path)}
    assert fields["patient_id"] == read_dictionary(path)[0]  # the record id comes first
    assert fields["met_sites"].type == "checkbox"
    assert fields["kind"].form == "treatments"
    assert fields["in_trial"].type == "yesno"
    assert fields["sex"].choices == (("M", "Male"), ("F", "Female"))
    assert "patient_id" not in [r["Variable / Field Name"] for r in redcap_rows()
                                if r["Form Name"] == "treatments"]


def test_parse_choices():
    assert parse_choices("1, Homme | 2, Femme, autre", "radio") == (("1", "Homme"),
                                                                    ("2", "Femme, autre"))
    assert parse_choices("", "yesno") == (("1", "Yes"), ("0", "No"))


@pytest.mark.parametrize("labels", [False, True], ids=["raw", "labels"])
def test_redcap_export_pair_gives_the_same_cohort(tmp_path, labels):
    rec_path, dict_path = _write_pair(tmp_path, labels)
    cfg = parse_cohort({"data": {"patients": rec_path.name,
                                           "redcap_dictionary": dict_path.name}},
                                 str(tmp_path / "study.toml"))
    c = build_cohort(cfg, today=TODAY)
    assert c.report.ok, c.report.to_frame()
    ref = cohort_from_frames(*example_tables(), today=TODAY)
    cols = ["sex", "met_lung", "met_bone", "met_other", "os_days", "pfs_days", "timing",
            "n_systemic_lines", "in_trial", "metastasis_surgery", "local_treatment"]
    pd.testing.assert_frame_equal(c.patients[cols], ref.patients[cols])
    # the data access group gives the centre
    assert c.patients["centre"].tolist() == ["lyon", "lyon", "paris", "paris", "paris", "nice"]
    assert len(c.treatments) == 7


def test_redcap_rows_point_into_the_records_file(tmp_path):
    rec_path, dict_path = _write_pair(tmp_path)
    text = rec_path.read_text(encoding="utf-8").splitlines()
    # the treatment of B1 on file row 11 (header row 1, six patients, then treatments)
    assert text[10].startswith("B1,treatments,1")
    text[10] = text[10].replace("2013-02-10", "2013-01-10")
    rec_path.write_text("\n".join(text) + "\n", encoding="utf-8")
    cfg = parse_cohort({"data": {"patients": rec_path.name,
                                           "redcap_dictionary": dict_path.name}},
                                 str(tmp_path / "study.toml"))
    c = build_cohort(cfg, today=TODAY)
    prob = [p for p in c.report.problems if p.rule == "date.order.treatment"][0]
    assert (prob.file, prob.row, prob.column) == ("records.csv", 11, "start_date")


def _longitudinal(tmp_path, followup_death: bool):
    """A longitudinal export: a baseline event, then an empty follow-up event per patient
    (or one holding a death date)."""
    dict_path = write_redcap_dictionary(tmp_path / "dictionary.csv")
    rows = _records()
    for r in rows:
        r["redcap_event_name"] = "baseline_arm_1"
    for pid in ["A1", "A2", "B1"]:
        rows.append({"patient_id": pid, "redcap_event_name": "followup_arm_1",
                     "death_date": "2015-01-01" if followup_death and pid == "A2" else ""})
    header = ["patient_id", "redcap_event_name", *[k for k in rows[0] if k not in (
        "patient_id", "redcap_event_name")], "kind", "start_date", "line", "regimen",
        "in_trial", "best_response", "treatments_complete"]
    rec_path = tmp_path / "records.csv"
    with rec_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, restval="")
        w.writeheader()
        w.writerows(rows)
    return parse_cohort({"data": {"patients": rec_path.name, "redcap_dictionary": dict_path.name}},
                        str(tmp_path / "study.toml"))


def test_longitudinal_export_is_read_from_its_first_event(tmp_path):
    c = build_cohort(_longitudinal(tmp_path, followup_death=False), today=TODAY)
    assert c.report.ok, c.report.to_frame()
    assert c.flow.n_read == 6 and len(c.treatments) == 7
    note = [p for p in c.report.problems if p.column == "redcap_event_name"]
    assert note and "3 row(s) of the other events" in note[0].message


def test_longitudinal_export_with_patient_data_at_a_later_event_is_refused(tmp_path):
    from sarcohort.exceptions import InputError

    with pytest.raises(InputError, match=r"longitudinal .*'followup_arm_1'.*row 16: death_date"):
        build_cohort(_longitudinal(tmp_path, followup_death=True), today=TODAY)
