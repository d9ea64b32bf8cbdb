"""The empty data template (XLSX) and its REDCap data dictionary, generated from the schema."""

from __future__ import annotations

import csv
from pathlib import Path

from sarcohort.data._schema import PATIENTS, TREATMENTS, Column
from sarcohort.data.readers._redcap import DICTIONARY_COLUMNS

_DICT_HEADER = ("table", "column", "required", "type", "unit", "allowed values", "code labels",
                "meaning")


def dictionary_rows() -> list[tuple[str, ...]]:
    """One row per template column: table, column, required, type, unit, allowed, labels, meaning."""
    rows: list[tuple[str, ...]] = []
    for table in (PATIENTS, TREATMENTS):
        for c in table.columns:
            labels = "; ".join(f"{k} = {lab}" for k, lab in zip(c.codes, c.labels, strict=False))
            rows.append((table.name, c.name, "yes" if c.required else "no", c.type, c.unit,
                         c.allowed, labels, c.meaning))
    return rows


def write_template(path: str | Path) -> Path:
    """Write the empty workbook: ``patients``, ``treatments`` and ``dictionary`` sheets.

    Header cells carry the meaning as a comment, coded columns get a drop-down
    list of their codes, date columns are formatted as dates.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for table in (PATIENTS, TREATMENTS):
        ws = wb.create_sheet(table.name)
        ws.append(list(table.names))
        for j, c in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = bold
            cell.fill = fill
            cell.comment = Comment(f"{c.meaning}. Allowed: {c.allowed}."
                                   + (" Required." if c.required else ""), "sarcohort")
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(12, len(c.name) + 2)
            rng = f"{letter}2:{letter}5000"
            if c.type == "code":
                dv = DataValidation(type="list", formula1='"' + ",".join(c.codes) + '"',
                                    allow_blank=True, showErrorMessage=True,
                                    errorTitle=c.name, error=f"Use one of {', '.join(c.codes)}")
                ws.add_data_validation(dv)
                dv.add(rng)
            elif c.type == "date":
                for r in range(2, 502):
                    ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
            elif c.type == "int":
                dv = DataValidation(type="whole", operator="greaterThanOrEqual",
                                    formula1=str(c.minimum or 0), allow_blank=True)
                ws.add_data_validation(dv)
                dv.add(rng)
        ws.freeze_panes = "A2"
    ws = wb.create_sheet("dictionary")
    ws.append(list(_DICT_HEADER))
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    for row in dictionary_rows():
        ws.append(list(row))
    for j, w in enumerate((12, 24, 9, 7, 7, 40, 60, 70), start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _choices(c: Column) -> str:
    return " | ".join(f"{k}, {lab}" for k, lab in zip(c.codes, c.labels, strict=True))


def _field(c: Column, form: str, identifier: bool = False) -> dict[str, str]:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row["Variable / Field Name"] = c.name
    row["Form Name"] = form
    row["Field Label"] = c.meaning[:1].upper() + c.meaning[1:]
    row["Required Field?"] = "y" if c.required else ""
    row["Identifier?"] = "y" if identifier else ""
    if c.type == "code":
        if c.codes == ("yes", "no"):
            row["Field Type"] = "yesno"  # REDCap's own 1 = Yes, 0 = No
        else:
            row["Field Type"] = "radio"
            row["Choices, Calculations, OR Slider Labels"] = _choices(c)
    elif c.type == "date":
        row["Field Type"] = "text"
        row["Text Validation Type OR Show Slider Number"] = "date_ymd"
        row["Text Validation Min"] = "1900-01-01"
    elif c.type == "int":
        row["Field Type"] = "text"
        row["Text Validation Type OR Show Slider Number"] = "integer"
        if c.minimum is not None:
            row["Text Validation Min"] = str(c.minimum)
    else:
        row["Field Type"] = "text"
    return row


def redcap_rows() -> list[dict[str, str]]:
    """The REDCap data dictionary rows of the template.

    Form ``patients`` (record id ``patient_id``; the metastatic sites as one
    checkbox field ``met_sites``: ``met_sites___lung`` etc. in exports) and form
    ``treatments``, to be enabled as a repeating instrument in the project. The
    centre may be left empty when the project uses data access groups.
    """
    rows: list[dict[str, str]] = []
    sites_done = False
    for c in PATIENTS.columns:
        if c.name.startswith("met_") and c.name != "met_sites":
            if sites_done:
                continue
            sites_done = True
            row = dict.fromkeys(DICTIONARY_COLUMNS, "")
            row.update({"Variable / Field Name": "met_sites", "Form Name": "patients",
                        "Field Type": "checkbox",
                        "Field Label": "Sites of metastases at first metastatic diagnosis",
                        "Choices, Calculations, OR Slider Labels":
                            "lung, Lung | bone, Bone | other, Other site"})
            rows.append(row)
            continue
        row = _field(c, "patients", identifier=c.name in ("patient_id", "birth_date"))
        if c.name == "centre":
            row["Required Field?"] = ""
            row["Field Note"] = "leave empty when the project uses data access groups"
        rows.append(row)
    for c in TREATMENTS.columns:
        if c.name == "patient_id":
            continue  # the record id links a repeating instrument to its patient
        row = _field(c, "treatments")
        if c.name == "line":
            row["Branching Logic (Show field only if...)"] = "[kind] = 'systemic'"
        rows.append(row)
    return rows


def write_redcap_dictionary(path: str | Path) -> Path:
    """Write the template as a REDCap data dictionary CSV (REDCap's own column headers)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(DICTIONARY_COLUMNS))
        w.writeheader()
        w.writerows(redcap_rows())
    return path


