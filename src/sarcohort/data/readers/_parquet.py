"""Reading Parquet files with pyarrow."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sarcohort.data.readers._table import RawTable
from sarcohort.exceptions import InputError


def _strings(dtype):
    """Arrow text stays Arrow text in pandas (other types as pyarrow converts them)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.ArrowDtype(dtype)
    return None


def read_parquet(path: str | Path, display_name: str | None = None) -> RawTable:
    """Read a Parquet file; row numbers count a header as row 1 (first record is row 2).

    ``DATE`` columns arrive as ``datetime64`` (not one Python date object per cell), text
    columns as Arrow strings (``pd.ArrowDtype``: no Python object per cell; validation reads
    them in Arrow's kernels).
    """
    import pyarrow.parquet as pq

    path = Path(path)
    name = display_name or path.name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        frame = pq.read_table(path).to_pandas(date_as_object=False, types_mapper=_strings)
    except OSError as exc:
        raise InputError(f"cannot be read as Parquet ({exc})", argument=name,
                         fix="check the file") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid and others on corrupt files
        raise InputError(f"cannot be read as Parquet ({type(exc).__name__})", argument=name,
                         fix="check the file") from None
    return RawTable.from_frame(frame, name, None, sha256=digest)
