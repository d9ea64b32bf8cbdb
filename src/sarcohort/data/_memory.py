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
