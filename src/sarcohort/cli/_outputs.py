"""The command line's rule for output files: never over an input, never over a file
without ``--force``.

Each command checks its output paths with :func:`check_output` before doing any work
(so a refused run costs nothing), then writes through
:func:`sarcohort.data._files.atomic_path` (whole or not at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sarcohort.data._files import same_file
from sarcohort.exceptions import OutputError


def check_output(path: Path, *, option: str, force: bool = False,
                 inputs: Iterable[Path | None] = ()) -> None:
    """Refuse an output path that is one of ``inputs`` (always), a folder, or an existing
    file (unless ``force``).

    Raises
    ------
    OutputError
        Naming the option, the path and what to do.
    """
    for source in inputs:
        if source is not None and same_file(path, source):
            raise OutputError(f"is also an input of this command ({source}); it would be "
                              "overwritten", argument=f"{option} {path}",
                              fix="write to another file")
    if path.is_dir():
        raise OutputError("is a folder", argument=f"{option} {path}", fix="give a file name")
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputError("exists", argument=f"{option} {path}",
                          fix="use --force to replace it, or choose another name")
