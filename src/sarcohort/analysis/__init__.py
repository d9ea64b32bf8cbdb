"""The runner of a study protocol: Table 1, Kaplan-Meier, Cox -> :class:`Results`.

:meth:`sarcohort.study.Study.analyze` is the entry point; the pieces are
:mod:`.table1`, :mod:`.survival`, :mod:`.regression` and :mod:`.timedep`, and
:mod:`.results` holds the plain-data ``Results`` written as ``results.json``.
"""

from sarcohort.analysis._results import Results

__all__ = ["Results"]
