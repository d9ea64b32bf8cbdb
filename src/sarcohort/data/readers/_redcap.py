"""REDCap exports: a records CSV plus the project's data dictionary.

* Coded choices (radio, dropdown, yesno, truefalse) are turned into their
  labels, except where the raw code is already an allowed canonical code of the
  column it maps to (the sarcohort template dictionary uses the canonical codes,
  so a raw export needs no code mapping).
* Checkbox fields come as one column per choice, ``field___code``, with
  ``1``/``0`` (raw export) or ``Checked``/``Unchecked`` (label export); each
  becomes a ``yes``/``no`` column of the same name.
* Rows of a repeating instrument (``redcap_repeat_instrument`` filled) form the
  treatments table; the other rows form the patients table. The record id (the
  dictionary's first field) links them.
* ``redcap_data_access_group`` gives the centre where no ``centre`` value is filled.
* Row numbers are those of the records file, so problems point into it.
* A longitudinal export (``redcap_event_name``) is read from its first event (repeating
  treatments from any event); patient fields filled at another event are refused with a
  message naming the layout, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sarcohort.data.readers._csv import read_csv
from sarcohort.data.readers._table import RawTable
from sarcohort.data.validation._coerce import to_text
from sarcohort.data.validation._problems import Problem
from sarcohort.exceptions import InputError

DICTIONARY_COLUMNS: tuple[str, ...] = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)

_SYSTEM = ("redcap_repeat_instrument", "redcap_repeat_instance", "redcap_event_name",
           "redcap_data_access_group", "redcap_survey_identifier")


@dataclass(frozen=True)
class RedcapField:
    """One field of a REDCap data dictionary."""

    name: str
    form: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()


def parse_choices(text: str, field_type: str) -> tuple[tuple[str, str], ...]:
    """Parse ``"1, Male | 2, Female"`` into ``(("1", "Male"), ("2", "Female"))``."""
    if field_type == "yesno":
        return (("1", "Yes"), ("0", "No"))
    if field_type == "truefalse":
        return (("1", "True"), ("0", "False"))
    out = []
    for part in (text or "").split("|"):
        if not part.strip():
            continue
        code, _, label = part.partition(",")
        out.append((code.strip(), label.strip() or code.strip()))
    return tuple(out)


def _norm(h: str) -> str:
    return "".join(ch for ch in h.lower() if ch.isalnum())


def read_dictionary(path: str | Path) -> list[RedcapField]:
    """Read a REDCap data dictionary CSV into its fields, in order."""
    raw = read_csv(path)
    cols = {_norm(c): c for c in raw.frame.columns}
    need = {"variablefieldname": "Variable / Field Name", "formname": "Form Name",
            "fieldtype": "Field Type"}
    for key, label in need.items():
        if key not in cols:
            raise InputError(f"not a REDCap data dictionary: no column {label!r}",
                             argument=raw.file, fix="export the data dictionary from REDCap")
    choices_col = cols.get("choicescalculationsorsliderlabels")
    fields = []
    for rec in raw.frame.to_dict("records"):
        name = str(rec[cols["variablefieldname"]] or "").strip()
        if not name:
            continue
        ftype = str(rec[cols["fieldtype"]] or "").strip().lower()
        ch = parse_choices(str(rec[choices_col] or "") if choices_col else "", ftype) \
            if ftype in ("radio", "dropdown", "checkbox", "yesno", "truefalse") else ()
        fields.append(RedcapField(name, str(rec[cols["formname"]] or "").strip(), ftype, ch))
    if not fields:
        raise InputError("the data dictionary lists no field", argument=raw.file,
                         fix="export the data dictionary from REDCap")
    return fields


def _decode(values: pd.Series, field: RedcapField, keep: set[str] | None) -> pd.Series:
    code_to_label = {c.lower(): lab for c, lab in field.choices}
    label_to_code = {lab.lower(): c for c, lab in field.choices}
    keep = keep or set()
    text = to_text(values)
    low = text.str.lower()
    out = text.copy()
    is_kept = low.isin(keep)
    as_code = low.isin(list(code_to_label)) & ~is_kept
    out[as_code] = low[as_code].map(code_to_label)
    as_label = low.isin(list(label_to_code)) & ~is_kept & ~as_code
    if keep:
        lab_code = low[as_label].map(label_to_code)
        ok = lab_code.str.lower().isin(keep)
        out[as_label & ok.reindex(out.index, fill_value=False)] = lab_code[ok]
    return out


def _events(frame: pd.DataFrame, out: pd.DataFrame, is_repeat: np.ndarray,
            patient_cols: list[str], raw: RawTable,
            ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """A longitudinal export (``redcap_event_name``): the patients are the rows of the first
    event; rows of later events that hold no patient field are skipped (an ``info`` says
    how many); a later event holding patient fields is refused, naming the layout.

    Returns the repeating-instrument mask, the skipped rows and the problems.
    """
    skipped = np.zeros(len(frame), dtype=bool)
    if "redcap_event_name" not in frame.columns:
        return is_repeat, skipped, []
    events = to_text(frame["redcap_event_name"])
    names = list(dict.fromkeys(events.dropna()))
    if len(names) <= 1:
        return is_repeat, skipped, []
    other = (~is_repeat) & (events != names[0]).to_numpy()
    fields = [c for c in patient_cols[1:] if c in out.columns]
    filled = np.zeros(len(frame), dtype=bool)
    for c in fields:
        filled |= to_text(out[c]).notna().to_numpy()
    spoilt = np.flatnonzero(other & filled)
    if spoilt.size:
        i = int(spoilt[0])
        used = [c for c in fields if to_text(out[c]).notna().to_numpy()[i]]
        raise InputError(
            f"this REDCap export is longitudinal (column redcap_event_name; events "
            f"{', '.join(map(repr, names[:5]))}), and patient fields are filled at the event "
            f"{events.iloc[i]!r} too (row {int(raw.rows[i])}: {', '.join(used[:4])}): "
            "sarcohort reads one row per patient, from the first event, and the treatments "
            "from a repeating instrument", argument=raw.file,
            fix="record every patient field at the baseline event, or export that event "
                "(with the repeating treatments instrument) only")
    skipped = other
    note = Problem(raw.file, None, None, "redcap_event_name", str(int(skipped.sum())),
                   "file.empty_rows", "info",
                   f"longitudinal export: the patients are read from the event {names[0]!r}; "
                   f"{int(skipped.sum())} row(s) of the other events hold no patient field and "
                   "are skipped")
    return is_repeat, skipped, [note]


def read_redcap(records: str | Path, dictionary: str | Path,
                keep_codes: Callable[[str], set[str] | None] | None = None,
                ) -> tuple[RawTable, RawTable | None]:
    """Read a REDCap records export and its data dictionary.

    Parameters
    ----------
    records
        The records CSV (raw or label export).
    dictionary
        The project's data dictionary CSV.
    keep_codes
        For a column name, the lower-cased codes that are already canonical
        (kept as they are rather than turned into labels).

    Returns
    -------
    patients, treatments
        Two raw tables (treatments None when no repeating instrument rows exist).
    """
    fields = read_dictionary(dictionary)
    raw = read_csv(records)
    frame = raw.frame
    record_id = fields[0].name
    by_name = {f.name: f for f in fields}
    if record_id not in frame.columns:
        raise InputError(f"the records file has no column {record_id!r}, the dictionary's "
                         "record id", argument=raw.file,
                         fix="export the records of the project this dictionary describes")
    keep_codes = keep_codes or (lambda name: None)
    out = pd.DataFrame(index=frame.index)
    out[record_id] = frame[record_id]
    columns_of_form: dict[str, list[str]] = {}
    for col in frame.columns:
        if col == record_id or col in _SYSTEM or col.endswith("_complete"):
            continue
        base, sep, code = col.partition("___")
        f = by_name.get(base) if sep else by_name.get(col)
        if f is None:
            out[col] = frame[col]
            columns_of_form.setdefault("", []).append(col)
            continue
        if f.type == "checkbox" and sep:
            low = to_text(frame[col]).str.lower()
            out[col] = low.map({"1": "yes", "0": "no", "checked": "yes", "unchecked": "no",
                                "yes": "yes", "no": "no"}).where(low.notna(), None)
        elif f.choices:
            out[col] = _decode(frame[col], f, keep_codes(col))
        else:
            out[col] = frame[col]
        columns_of_form.setdefault(f.form, []).append(col)
    repeat = (to_text(frame["redcap_repeat_instrument"])
              if "redcap_repeat_instrument" in frame else None)
    is_repeat = (repeat.notna().to_numpy() if repeat is not None
                 else np.zeros(len(frame), dtype=bool))
    repeat_forms = set(repeat[is_repeat].astype(str).str.strip()) if repeat is not None else set()
    patient_cols = [record_id] + [c for form, cols in columns_of_form.items()
                                  if form not in repeat_forms for c in cols]
    is_repeat, skipped, problems = _events(frame, out, is_repeat, patient_cols, raw)
    patients = out.loc[~is_repeat & ~skipped, patient_cols].reset_index(drop=True)
    if "redcap_data_access_group" in frame.columns:
        dag = to_text(frame.loc[~is_repeat & ~skipped, "redcap_data_access_group"]
                      ).reset_index(drop=True)
        if "centre" in patients.columns:
            own = to_text(patients["centre"])
            patients["centre"] = own.where(own.notna(), dag)
        else:
            patients["centre"] = dag
    bad_p = {}
    pos_p = np.cumsum(~is_repeat & ~skipped) - 1
    pos_t = np.cumsum(is_repeat) - 1
    bad_t = {}
    for pos, rule in raw.bad_rows.items():
        if skipped[pos]:
            continue
        if is_repeat[pos]:
            bad_t[int(pos_t[pos])] = rule
        else:
            bad_p[int(pos_p[pos])] = rule
    p_table = RawTable(patients, raw.file, None, raw.rows[~is_repeat & ~skipped],
                       (*raw.problems, *problems), bad_p,
                       raw.decimal_comma, raw.sha256)
    if not is_repeat.any():
        return p_table, None
    treat_cols = [record_id] + [c for form in repeat_forms for c in columns_of_form.get(form, [])]
    treatments = out.loc[is_repeat, treat_cols].reset_index(drop=True)
    t_table = RawTable(treatments, raw.file, None, raw.rows[is_repeat], (), bad_t,
                       raw.decimal_comma, raw.sha256)
    return p_table, t_table
