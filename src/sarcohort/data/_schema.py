"""The canonical cohort schema: the single source of truth for the data.

Two tables, as a centre fills them: ``patients`` (one row per patient) and
``treatments`` (one row per treatment of the metastatic disease). Every
column has a type, a unit, its allowed codes and its meaning. The Excel
template, the REDCap data dictionary, the validator and the documentation
are all generated from :data:`PATIENTS` and :data:`TREATMENTS`.

Types
-----
``id``
    free text identifier (never written to any output).
``text``
    free text.
``code``
    one of :attr:`Column.codes` (matched ignoring case and surrounding spaces).
``date``
    a calendar date: ISO ``2015-03-14``, day-first ``14/03/2015`` (or with a
    protocol ``date_format``) or an Excel serial number.
``int``
    a whole number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["id", "text", "code", "date", "int"]

YES_NO: tuple[str, ...] = ("yes", "no")
LOCAL_KINDS: tuple[str, ...] = ("surgery", "radiotherapy", "ablation")
END_REASONS: tuple[str, ...] = ("progression", "toxicity", "completed", "death", "ongoing", "other")
#: Best responses counted as objective (ORR) and as disease control (DCR).
OBJECTIVE_RESPONSES: tuple[str, ...] = ("CR", "PR")
DISEASE_CONTROL: tuple[str, ...] = ("CR", "PR", "SD")

#: Cell contents read as an empty (missing) value, compared after stripping
#: spaces and ignoring case.
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "nan", "nat", "null", "none", "."})


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes
    ----------
    name
        Canonical name (also the template header and REDCap field name).
    type
        One of ``id``, ``text``, ``code``, ``date``, ``int``.
    required
        A value must be present in every row (rule ``required``).
    meaning
        What the column holds, in a data manager's words.
    unit
        Unit or format shown in the dictionary.
    codes
        Allowed codes for ``code`` columns, canonical spelling.
    labels
        Human labels of the codes (same order), for the template and REDCap.
    minimum
        Smallest allowed value of an ``int`` column (rule ``n_metastases.min``
        for ``n_metastases``).
    """

    name: str
    type: ColumnType
    required: bool
    meaning: str
    unit: str = ""
    codes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    minimum: int | None = None

    @property
    def allowed(self) -> str:
        """Allowed values in words (for the dictionary sheet and messages)."""
        if self.type == "code":
            return ", ".join(self.codes)
        if self.type == "date":
            return "date (YYYY-MM-DD, DD/MM/YYYY or Excel date)"
        if self.type == "int":
            return f"whole number >= {self.minimum}" if self.minimum is not None else "whole number"
        return "free text"


@dataclass(frozen=True)
class Table:
    """A canonical table: its name and ordered columns."""

    name: str
    meaning: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names, in template order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if unknown)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self.names


_YN_LABELS = ("Yes", "No")

PATIENTS = Table(
    "patients",
    "one row per patient",
    (
        Column("patient_id", "id", True,
               "patient identifier used in the centre (never written to any output)"),
        Column("centre", "text", True, "treating centre (name or code)"),
        Column("sex", "code", True, "sex", codes=("M", "F"), labels=("Male", "Female")),
        Column("birth_date", "date", True, "date of birth (used for age only)", "date"),
        Column("primary_diagnosis_date", "date", True,
               "date of histological diagnosis of the primary tumour", "date"),
        Column("first_metastasis_date", "date", True,
               "date of diagnosis of the first distant metastasis (time origin of PFS and OS)",
               "date"),
        Column("n_metastases", "int", False,
               "number of distant metastases at first metastatic diagnosis", "count", minimum=1),
        Column("met_lung", "code", False, "lung metastases at first metastatic diagnosis",
               codes=YES_NO, labels=_YN_LABELS),
        Column("met_bone", "code", False, "bone metastases at first metastatic diagnosis",
               codes=YES_NO, labels=_YN_LABELS),
        Column("met_other", "code", False, "metastases at other sites at first metastatic diagnosis",
               codes=YES_NO, labels=_YN_LABELS),
        Column("progression_date", "date", False,
               "date of first progression after first metastasis (empty if none)", "date"),
        Column("death_date", "date", False, "date of death (empty if alive)", "date"),
        Column("last_followup_date", "date", True,
               "date of last news (may be left empty when a death date is given)", "date"),
    ),
)

TREATMENTS = Table(
    "treatments",
    "one row per treatment of the metastatic disease",
    (
        Column("patient_id", "id", True, "patient identifier, as in the patients table"),
        Column("kind", "code", True, "kind of treatment",
               codes=("surgery", "radiotherapy", "ablation", "systemic"),
               labels=("Surgery of metastases", "Radiotherapy", "Ablation (radiofrequency, cryo...)",
                       "Systemic treatment")),
        Column("start_date", "date", True, "date the treatment started", "date"),
        Column("line", "int", False, "line number of a systemic treatment (1, 2, ...)",
               "line", minimum=1),
        Column("regimen", "text", False, "drugs or procedure, free text"),
        Column("in_trial", "code", False, "given within a clinical trial",
               codes=YES_NO, labels=_YN_LABELS),
        Column("best_response", "code", False, "best RECIST response",
               codes=("CR", "PR", "SD", "PD", "NE"),
               labels=("Complete response", "Partial response", "Stable disease",
                       "Progressive disease", "Not evaluable")),
        Column("response_date", "date", False,
               "date the objective response (CR or PR) was first documented", "date"),
        Column("end_date", "date", False,
               "date the treatment ended (empty while it is ongoing)", "date"),
        Column("end_reason", "code", False, "why the treatment ended",
               codes=END_REASONS,
               labels=("Progression", "Toxicity", "Completed as planned", "Death", "Ongoing",
                       "Other")),
        Column("line_progression_date", "date", False,
               "date of progression on this systemic line (empty if none)", "date"),
    ),
)

TABLES: dict[str, Table] = {"patients": PATIENTS, "treatments": TREATMENTS}


def table(name: str) -> Table:
    """Return the canonical table ``"patients"`` or ``"treatments"``."""
    return TABLES[name]


#: Words that make a column name an identifier (or a field that may hold one), French
#: and English, compared ignoring case, accents and punctuation: a column named
#: ``Nom``, ``prénom``, ``IPP``, ``date_naissance`` or ``Commentaires`` is never described,
#: modelled or used by a ``[derived]`` expression.
IDENTIFIER_TOKENS: frozenset[str] = frozenset({
    # names and initials
    "nom", "noms", "prenom", "prenoms", "name", "names", "surname", "firstname", "lastname",
    "givenname", "forename", "initials", "initiales", "initiale", "nomjeunefille",
    "nomdenaissance", "nomusuel", "fullname",
    # hospital and national numbers
    "ipp", "nip", "mrn", "nir", "nss", "ssn", "nda", "insee", "secu", "numsecu",
    "numerosecu", "dossier", "numdossier", "numerodossier", "patientid", "idpatient",
    "hospitalnumber", "nhsnumber", "chartnumber",
    # birth
    "dob", "ddn", "birthdate", "dateofbirth", "datenaissance", "datedenaissance",
    "naissance", "birth", "birthday",
    # contact
    "adresse", "address", "telephone", "tel", "phone", "mobile", "email", "mail",
    "courriel", "codepostal", "zipcode", "zip", "postcode",
    # free comments (names and dates end up there)
    "commentaire", "commentaires", "comment", "comments", "remarque", "remarques",
    "observation", "observations", "note", "notes", "texte", "freetext",
})


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def is_identifier_name(name: str) -> bool:
    """Whether a column name says it holds an identifier, a name, a birth date, contact
    details or free comments (:data:`IDENTIFIER_TOKENS`, in any case, with or without
    accents, separators or a prefix such as ``patient_``).

    >>> [is_identifier_name(n) for n in ("Nom", "prénom", "IPP", "date_naissance",
    ...                                  "Date de naissance", "patient_id", "birth_date",
    ...                                  "Commentaire", "MRN", "n_metastases", "grade")]
    [True, True, True, True, True, True, True, True, True, False, False]
    """
    folded = _fold(name)
    words = [w for w in re.split(r"[^0-9a-z]+", folded) if w]
    if not words:
        return False
    if "".join(words) in IDENTIFIER_TOKENS or any(w in IDENTIFIER_TOKENS for w in words):
        return True
    # two-word forms: date_de_naissance, first_name, patient_id, numero_dossier...
    pairs = {a + b for a, b in zip(words, words[1:], strict=False)}
    triples = {a + b + c for a, b, c in zip(words, words[1:], words[2:], strict=False)}
    return bool((pairs | triples) & IDENTIFIER_TOKENS)
