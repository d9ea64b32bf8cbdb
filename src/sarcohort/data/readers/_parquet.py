"""Reading Parquet files with pyarrow."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sarcohort.data.readers._table import RawTable
from sarcohort.exceptions import InputError


def _is_text(dtype) -> bool:
    import pyarrow as pa

    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _strings(dtype):
    """Arrow text stays Arrow text in pandas, dictionary-encoded text too (other types as
    pyarrow converts them)."""
    import pandas as pd
    import pyarrow as pa

    if _is_text(dtype) or (pa.types.is_dictionary(dtype) and _is_text(dtype.value_type)):
        return pd.ArrowDtype(dtype)
    return None


#: A text column whose dictionary page is at most this size (bytes, in every row group)
#: holds codes: read dictionary-encoded (identifiers, free text: as plain text).
_CODES_DICTIONARY_BYTES = 64 * 1024


def _coded_text(path: Path) -> list[str]:
    """The text columns of a Parquet file stored as a small dictionary in every row group
    (codes): read so, they cost an index per row and their values are read once each."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    out = []
    for i, name in enumerate(names):
        if meta.schema.column(i).physical_type != "BYTE_ARRAY" or names.count(name) != 1 or (
                "." in name):
            continue
        chunks = [meta.row_group(g).column(i) for g in range(meta.num_row_groups)]
        if chunks and all(c.has_dictionary_page and 0 <= c.data_page_offset
                          - c.dictionary_page_offset <= _CODES_DICTIONARY_BYTES
                          for c in chunks):
            out.append(name)
    return out


def to_frame(table):
    """An Arrow table as the reader gives it to pandas: dates as ``datetime64``, text as
    Arrow strings (see :func:`read_parquet`)."""
    return table.to_pandas(date_as_object=False, types_mapper=_strings)


def parquet_frame(path: Path, columns: list[str] | None = None):
    """The cells of a Parquet file as :func:`read_parquet` reads them (``columns``: these
    only), code columns dictionary-encoded."""
    import pyarrow.parquet as pq

    return to_frame(pq.read_table(path, columns=columns, read_dictionary=_coded_text(path)))


def read_parquet(path: str | Path, display_name: str | None = None) -> RawTable:
    """Read a Parquet file; row numbers count a header as row 1 (first record is row 2).

    ``DATE`` columns arrive as ``datetime64`` (not one Python date object per cell), text
    columns as Arrow strings (``pd.ArrowDtype``: no Python object per cell; validation reads
    them in Arrow's kernels), dictionary-encoded as Parquet stores them (each distinct value
    once, an index per row: validation reads a code column once per distinct value).
    """
    path = Path(path)
    name = display_name or path.name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        frame = parquet_frame(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and others on corrupt files
        raise unreadable(name, exc) from None
    return RawTable.from_frame(frame, name, None, sha256=digest)


def unreadable(name: str, exc: Exception) -> InputError:
    """The error for a file that cannot be read as Parquet (an OS error says why; Arrow's
    errors are named only)."""
    why = exc if isinstance(exc, OSError) else type(exc).__name__
    return InputError(f"cannot be read as Parquet ({why})", argument=name, fix="check the file")
