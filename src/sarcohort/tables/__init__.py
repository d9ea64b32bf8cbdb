"""Tables and the one formatting policy (:mod:`.format`) shared by tables, figures and text."""

from sarcohort.tables.build import ReportTable, all_tables
from sarcohort.tables.format import fmt_hr, fmt_p, fmt_time, fmt_time_ci

__all__ = ["ReportTable", "all_tables", "fmt_hr", "fmt_p", "fmt_time", "fmt_time_ci"]
