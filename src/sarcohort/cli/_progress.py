"""Progress for long commands: a rich spinner or bar on a terminal, silence elsewhere (CI, pipes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress(first: str = "working") -> Iterator[Callable[[str], None]]:
    """Yield a function that shows its message as the current step.

    On a terminal the step shows beside a spinner on standard error (the results on
    standard output stay clean); when standard error is not a terminal nothing is shown.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _message: None
        return
    with console.status(first) as status:
        yield lambda message: status.update(message)


@contextmanager
def progress_bar(total: int, description: str, unit: str = "") -> Iterator[Callable[[int], None]]:
    """Yield a function that advances a bar towards ``total`` by its argument.

    On a terminal a rich progress bar (done / total, elapsed and remaining time) shows on
    standard error; when standard error is not a terminal nothing is shown.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _amount: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda amount: bar.advance(task, amount)
