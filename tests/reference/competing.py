"""The competing-risks, RMST and frailty reference cases (``values/competing/*.json``).

Produced by ``R/competing_cases.R`` (R 4.2.2, survival 3.5-3, cmprsk 2.2-11) on the public
``pbc`` data (312 randomized patients; status 0 censored, 1 transplant, 2 dead), ``lung``,
the synthetic cohort ``data/synth_competing.csv`` (written by ``R/make_synth_competing.py``)
and the small hand-worked example. Each case holds the literal R calls that produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reference.oracle import DATA, load_case, load_dataset

FOLDER = Path(__file__).parent / "values" / "competing"


def names(kind: str) -> list[str]:
    """Case names of one kind (file-name prefix): ``cuminc``, ``msm``, ``crr``, ``rmst``, ``frailty``."""
    return sorted(p.stem for p in FOLDER.glob(f"{kind}_*.json"))


def case(name: str) -> dict[str, Any]:
    """One case, decoded as :func:`reference.oracle.load_case` does."""
    return load_case(f"competing/{name}")


def dataset(name: str) -> pd.DataFrame:
    """The data frame the R script analysed under that name (with its derived columns)."""
    if name == "pbc":
        df = load_dataset("pbc")
        df["time100"] = np.ceil(df["time"] / 100) * 100
        df["cause"] = pd.Categorical(np.array(["censored", "transplant", "death"])[df["status"]],
                                     categories=["censored", "transplant", "death"])
        return df
    if name == "synth_competing":
        return pd.read_csv(DATA / "synth_competing.csv")
    if name == "tiny":
        return pd.DataFrame({"time": [1, 3, 4, 2, 3, 5], "status": [1, 1, 0, 2, 0, 1],
                             "group": ["A", "A", "A", "B", "B", "B"]})
    return load_dataset(name)


def matrix(values: Any) -> np.ndarray:
    """An R matrix (row-major list of rows, or one row) as a 2-d float array, NA -> NaN."""
    arr = np.asarray([[np.nan if v is None else v for v in row] for row in values]
                     if values and isinstance(values[0], list) else
                     [[np.nan if v is None else v for v in values]], dtype=float)
    return arr
