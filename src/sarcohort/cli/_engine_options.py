"""Command-line options that ``analyze`` and ``validate`` share, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

#: ``--master``: where ``--engine spark`` runs.
MasterOption = Annotated[str | None, typer.Option(
    "--master", help="Spark master for --engine spark: local[4], spark://host:7077, yarn, or a "
    "Spark Connect URL sc://host:15002 (default: the active session, else local[2]); the "
    "executors need sarcohort installed.")]
