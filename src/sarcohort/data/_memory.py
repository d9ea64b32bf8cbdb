"""Freed memory handed back to the system between the stages of a big table."""

from __future__ import annotations

import ctypes
import sys


def release_memory(*, heap: bool = False) -> None:
    """Return the memory the allocators hold but nothing uses to the system.

    Arrow's default pool (mimalloc) keeps freed memory for a while to reuse it, and the C
    library's heap keeps freed arrays below its mmap threshold (up to 32 MB, as a
    registry's columns are); when a registry's columns are freed one by one (validation
    drops each column as read once it is typed), that memory would otherwise stay in the
    peak while the next stage allocates beside it. ``heap``: the C heap too (glibc's
    ``malloc_trim``, Linux only; a few milliseconds: between stages, not per column).
    """
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:  # nothing to give back when no Arrow table was ever built
        pyarrow.default_memory_pool().release_unused()
    if heap and _TRIM is not None:
        _TRIM(0)


#: glibc's ``mallopt`` parameter of the size from which an allocation is its own mapping.
M_MMAP_THRESHOLD = -3


def map_big_allocations(threshold: int = 1 << 19) -> None:
    """Give each allocation of ``threshold`` bytes or more its own memory mapping, returned to
    the system as soon as it is freed (glibc; elsewhere nothing).

    glibc's default threshold grows with the arrays freed, up to 32 MB, and arrays below it
    are carved from the heap: a table built a part at a time (10^7 patients: 40 parts of
    columns of a few MB each, freed in turn) leaves the heap too fragmented to shrink, about
    0.7 GB held but unused after the parts are joined (2.5 -> 1.8 GB). For the rest of the
    process.
    """
    if _LIBC is not None:
        _LIBC.mallopt(M_MMAP_THRESHOLD, int(threshold))


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc's, not musl's
    except (OSError, AttributeError):  # musl and others: nothing to trim
        return None
    return libc


_LIBC = _libc()
_TRIM = _LIBC.malloc_trim if _LIBC is not None else None
