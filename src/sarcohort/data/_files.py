"""Files written whole or not at all: a temporary file beside the target, flushed to
disk, then renamed over it (a rename is atomic on one file system).

A run killed or failing midway (disk full, no permission) leaves the previous file
as it was, or no file, never a truncated one; a temporary file it leaves behind
(SIGKILL gives no chance to clean up) carries the ``.sarcohort-tmp`` mark.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: part of the name of every temporary file or folder sarcohort makes
TMP_MARK = ".sarcohort-tmp"


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames, new files) to disk; a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk (before it is renamed in place)."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            _fsync_file(Path(root) / name)
        for name in dirs:
            fsync_dir(Path(root) / name)
    fsync_dir(folder)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Whatever the body writes to the yielded path (by any library) becomes ``path`` only
    when the body finishes; on any exception (KeyboardInterrupt included) the temporary
    file is removed and ``path`` is untouched.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}{TMP_MARK}-{os.getpid()}-{secrets.token_hex(4)}"
                           f"{target.suffix}")
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    return write_bytes_atomic(path, text.encode(encoding))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (links and ``..`` resolved); False if either is absent."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)

