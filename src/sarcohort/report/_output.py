"""The report folder is replaced whole: built beside the target, then swapped in.

:func:`staged` yields an empty temporary folder next to the target; the report is
written there, its manifest (``sarcohort-manifest.json``, every file with its SHA-256)
last, everything is flushed to disk, and only then does the new folder take the
target's place:

* no target yet (or an empty folder): one ``rename``;
* a previous sarcohort report: on Linux the two folders are exchanged in one atomic
  step (``renameat2(RENAME_EXCHANGE)``); elsewhere the old folder is renamed aside,
  the new one renamed in, and the next run puts the old one back if a kill fell
  between the two renames (:func:`recover`).

Then the old report's files are deleted, and only those its manifest lists. A run
killed at any instant (SIGKILL) or failing (disk full, no permission, Ctrl-C) leaves
the previous complete report, or the new complete one, never a mix; what a killed run
left beside the target is cleaned up by the next one.

A target that is a file, or a folder holding anything a sarcohort report did not
list, is refused (:class:`~sarcohort.exceptions.OutputError`): nothing of the user's
is ever deleted or mixed into a report.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sarcohort.data._files import TMP_MARK, fsync_dir, fsync_tree, write_text_atomic
from sarcohort.exceptions import OutputError

#: the file that makes a folder a sarcohort report: the list of files sarcohort wrote there
MANIFEST = "sarcohort-manifest.json"
_FORMAT = "sarcohort-report"
_NEW, _OLD = "new", "old"


def _sibling(out: Path, kind: str, pid: int | None = None) -> Path:
    token = f"{os.getpid() if pid is None else pid}-{secrets.token_hex(4)}"
    return out.parent / f".{out.name}{TMP_MARK}-{kind}-{token}"


def _siblings(out: Path, kind: str) -> list[tuple[Path, int]]:
    """Temporary folders of ``kind`` left beside ``out``, with the process that made each."""
    prefix = f".{out.name}{TMP_MARK}-{kind}-"
    found = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return []
    for p in entries:
        if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink():
            pid = p.name[len(prefix):].split("-", 1)[0]
            found.append((p, int(pid) if pid.isdigit() else -1))
    return sorted(found)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours to signal
        return True
    return True


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a sarcohort report in ``folder``, or None if it is not one."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(doc, dict) or doc.get("format") != _FORMAT
            or not isinstance(doc.get("files"), dict)):
        return None
    return doc


def _listed(doc: dict[str, Any]) -> set[str]:
    """The manifest's files as relative POSIX paths, keeping only safe ones (no ``..``)."""
    out = set()
    for name in doc["files"]:
        parts = Path(name).parts
        if isinstance(name, str) and parts and ".." not in parts and not Path(name).is_absolute():
            out.add(Path(name).as_posix())
    return out


def _contents(folder: Path) -> tuple[set[str], set[str], set[str]]:
    """Files, folders and other entries (links, devices) under ``folder``, relative."""
    files: set[str] = set()
    dirs: set[str] = set()
    other: set[str] = set()
    for root, dnames, fnames in os.walk(folder):
        for d in list(dnames):
            p = Path(root, d)
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                other.add(rel)
                dnames.remove(d)
            else:
                dirs.add(rel)
        for f in fnames:
            p = Path(root, f)
            rel = p.relative_to(folder).as_posix()
            (files if p.is_file() and not p.is_symlink() else other).add(rel)
    return files, dirs, other


def _foreign(folder: Path, doc: dict[str, Any]) -> list[str]:
    """Entries of ``folder`` that its manifest does not account for."""
    files, dirs, other = _contents(folder)
    listed = _listed(doc) | {MANIFEST}
    parents = {p.as_posix() for name in listed for p in Path(name).parents if p != Path(".")}
    return sorted((files - listed) | (dirs - parents) | other)


def _shown(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_target(out: Path) -> dict[str, Any] | None:
    """Check that a report may be written to ``out``; return the previous report's manifest.

    Raises
    ------
    OutputError
        ``out`` is a file; or a non-empty folder that is not a sarcohort report; or a
        report holding files its manifest does not list (someone else's).
    """
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError("exists and is not a folder", argument=str(out),
                          fix="choose a folder name for the report")
    if not out.exists():
        return None
    try:
        empty = not any(out.iterdir())
    except OSError as exc:
        raise OutputError(f"cannot read the folder ({exc.strerror})", argument=str(out)) from None
    if empty:
        return None
    doc = read_manifest(out)
    if doc is None:
        raise OutputError(
            f"the folder is not empty and is not a sarcohort report (no {MANIFEST}); "
            "sarcohort never deletes or mixes with files it did not write",
            argument=str(out), fix="choose a new or empty folder for the report")
    foreign = _foreign(out, doc)
    if foreign:
        raise OutputError(
            f"this earlier report folder holds files sarcohort did not write ({_shown(foreign)}); "
            "replacing the report would lose them",
            argument=str(out), fix="move them out of the folder or choose another folder")
    return doc


def _delete_report(folder: Path) -> None:
    """Delete a report folder: only the files its manifest lists, then the emptied folders.

    Anything else found there (written after the check) is left in place.
    """
    doc = read_manifest(folder)
    if doc is not None:
        for name in sorted(_listed(doc)):
            p = folder / name
            if p.is_file() and not p.is_symlink():
                p.unlink()
        (folder / MANIFEST).unlink(missing_ok=True)
    for root, _, _ in os.walk(folder, topdown=False):  # deepest first; non-empty ones stay
        try:
            Path(root).rmdir()
        except OSError:
            pass


def _remove_stage(stage: Path) -> None:
    """Remove a temporary folder beside the target.

    With a manifest it is a complete report (the previous one, swapped out): only its
    listed files go. Without, it is a report being written by sarcohort, whose files
    are all sarcohort's: it goes whole.
    """
    if read_manifest(stage) is not None:
        _delete_report(stage)
    else:
        shutil.rmtree(stage, ignore_errors=True)


def recover(out: Path) -> None:
    """Finish or undo what a killed run left beside ``out``.

    * an old report renamed aside while ``out`` is missing: put back in place;
    * temporary folders of dead runs (new reports half written, or old reports not yet
      deleted): removed.

    Folders of a run still in progress (its process is alive) are left alone.
    """
    out = Path(os.path.abspath(out))
    for old, pid in _siblings(out, _OLD):
        if _alive(pid) and pid != os.getpid():
            continue
        if not out.exists() and read_manifest(old) is not None:
            os.rename(old, out)
            fsync_dir(out.parent)
        else:
            _remove_stage(old)
    for new, pid in _siblings(out, _NEW):
        if not _alive(pid) or pid == os.getpid():
            _remove_stage(new)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(stage: Path, out: Path, previous: bool) -> None:
    """Put the complete report ``stage`` at ``out``; delete the previous report's files."""
    if not previous:
        if out.is_dir():  # an empty folder (checked): rename replaces it on POSIX
            try:
                os.rename(stage, out)
            except OSError:
                out.rmdir()
                os.rename(stage, out)
        else:
            os.rename(stage, out)
        fsync_dir(out.parent)
        return
    if _exchange(stage, out):
        old = stage  # now holds the previous report
    else:
        old = _sibling(out, _OLD)
        os.rename(out, old)
        try:
            os.rename(stage, out)  # killed before this line: recover() puts `old` back
        except BaseException:
            os.rename(old, out)
            raise
    fsync_dir(out.parent)
    _delete_report(old)


def write_manifest(folder: Path, **extra: Any) -> Path:
    """List every file under ``folder`` with its SHA-256 in ``folder/MANIFEST``."""
    files, _, other = _contents(folder)
    if other:
        raise OSError(f"unexpected entries in the report folder: {_shown(sorted(other))}")
    listing = {}
    for name in sorted(files - {MANIFEST}):
        listing[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    doc = {"format": _FORMAT, "format_version": 1, **extra, "files": listing}
    return write_text_atomic(folder / MANIFEST, json.dumps(doc, indent=1, sort_keys=False) + "\n")


@contextmanager
def staged(out: str | Path, **manifest: Any) -> Iterator[Path]:
    """Yield an empty folder beside ``out`` to write a report into; swap it in at the end.

    Parameters
    ----------
    out
        The report folder: absent, empty, or a previous sarcohort report.
    **manifest
        Extra keys for the manifest (e.g. ``sarcohort_version``).

    Raises
    ------
    OutputError
        ``out`` cannot hold a report (see :func:`check_target`); nothing was written.
    """
    out = Path(os.path.abspath(out))
    recover(out)
    previous = check_target(out) is not None
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = _sibling(out, _NEW)
    try:
        stage.mkdir()  # inside the try: a Ctrl-C right after it still removes the folder
        yield stage
        write_manifest(stage, **manifest)
        fsync_tree(stage)
        _swap_in(stage, out, previous)
    except BaseException:
        if stage.exists():
            _remove_stage(stage)
        raise
