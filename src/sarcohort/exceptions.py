"""Exceptions and warnings raised by sarcohort.

Every error caused by the caller's input is an :class:`InputError`, a
``ValueError`` subclass whose message names the argument (or file, row and
column), the offending value and what to do about it.

:class:`SarcohortError` is the base of every error raised on purpose; :class:`InputError` has
two kinds, :class:`FormulaError` (a model formula) and :class:`ProtocolError` (``study.toml``);
:class:`OutputError` refuses a write that would lose a file; :class:`WorkerError` says a worker
process was killed before its answer; :class:`ConvergenceWarning` says an iterative fit stopped
before converging.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SarcohortError",
    "InputError",
    "FormulaError",
    "ProtocolError",
    "OutputError",
    "WorkerError",
    "ConvergenceWarning",
]


class SarcohortError(Exception):
    """Base class of every error raised on purpose by sarcohort."""


class InputError(SarcohortError, ValueError):
    """Bad input from the caller: names the argument, the value and a fix.

    Parameters
    ----------
    message
        What is wrong, in words a user understands.
    argument
        Name of the argument (or column) as the caller wrote it.
    value
        The offending value (shortened in the message if long).
    fix
        What to do about it.

    Examples
    --------
    >>> err = InputError("times must be non-negative", argument="time", value=-1.0,
    ...                  fix="check the follow-up dates")
    >>> str(err)
    'time: times must be non-negative (got -1.0); check the follow-up dates'
    """

    def __init__(
        self,
        message: str,
        *,
        argument: str | None = None,
        value: Any = None,
        fix: str | None = None,
    ) -> None:
        self.argument = argument
        self.value = value
        self.fix = fix
        self.reason = message
        text = message
        if argument is not None:
            text = f"{argument}: {text}"
        if value is not None:
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text = f"{text} (got {shown})"
        if fix:
            text = f"{text}; {fix}"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (an error raised in a worker process reaches the caller as raised:
        its message, argument, value and fix)."""
        return (_rebuilt, (type(self), self.reason),
                {"argument": self.argument, "value": self.value, "fix": self.fix})

    def __setstate__(self, state: dict[str, Any] | None) -> None:
        InputError.__init__(self, self.reason, **(state or {}))


def _rebuilt(cls: type[InputError], message: str) -> InputError:
    """An error of class ``cls`` before its state is set (:meth:`InputError.__setstate__`)."""
    err = cls.__new__(cls)
    err.reason = message
    return err


class FormulaError(InputError):
    """A model formula that cannot be parsed or refers to unknown columns."""


class ProtocolError(InputError):
    """A study protocol (study.toml) with unknown keys, wrong types or bad values."""


class OutputError(InputError):
    """An output path that cannot be used: it exists (no ``--force``), it is one of the
    command's inputs, or it is a folder of files sarcohort did not write."""


class WorkerError(InputError):
    """A worker process ended before its answer (killed, e.g. by the system when memory ran
    out): the work it had is not done, and nothing is written."""


class ConvergenceWarning(UserWarning):
    """A model fit did not converge, or a coefficient diverges (monotone likelihood)."""

