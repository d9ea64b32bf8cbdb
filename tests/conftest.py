"""Suite-wide pytest settings."""

from __future__ import annotations

import os

#: Most test workers ``-n auto`` starts: each holds the numerical core, matplotlib and, for
#: its files, a Spark session or a figure pool, so more than this costs memory, not time.
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker per core, at most :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
