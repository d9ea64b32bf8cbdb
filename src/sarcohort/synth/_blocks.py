"""A cohort in blocks of patients: what makes registry-sized cohorts stream.

A cohort of ``n`` patients is drawn as ``ceil(n / BLOCK_SIZE)`` blocks of (nearly) equal
size, each a cohort of the same model (:func:`~._generator.simulate`) with its share of
every count, so only one block is in memory at a time. The blocking is part of the
definition of the data: :data:`BLOCK_SIZE` is fixed, not an option, so a seed gives the
same cohort whatever is done with it (written as CSV, Parquet or XLSX, or kept in memory).

- Block ``b`` draws from its own stream: ``default_rng(seed)`` for block 0 (so a cohort of
  one block, the published ``n = 120`` included, is exactly today's), and
  ``default_rng(SeedSequence(seed, spawn_key=(b,)))`` for the others (independent streams).
- Every count of the whole cohort stays exact: block after block, each partition (timing,
  sex, site patterns, centres, local treatment kinds, ...) gets its share of what the
  earlier blocks left, by largest remainder, and the last block gets the rest. Sub-counts
  are shared within their parent (no systemic treatment among the metachronous, trial
  among the systemically treated, treatment kinds among the locally treated), so every
  block is a valid cohort of its own.
- The sums that fix the published means (age, time to metachronous metastasis) are shared
  the same way, so the means of the whole cohort stay exact. The range ends are hit in
  every block (each block has a patient aged exactly 18.25 and one of 53.25 years).
- Patient numbers of block ``b`` are ``b`` modulo the number of blocks: unique across blocks.
- Stratified sampling (Latin hypercube) is stratified within each block.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from sarcohort.data._days import DAYS_PER_MONTH, DAYS_PER_YEAR

from ._generator import SimulatedArrays, simulate
from ._params import SynthParameters, largest_remainder

T = TypeVar("T")


#: Patients per block (at most). Part of the definition of the data: do not change.
BLOCK_SIZE = 2**17


def block_sizes(n: int, block: int | None = None) -> list[int]:
    """Sizes of the blocks of a cohort of ``n``: ``ceil(n / block)`` nearly equal blocks."""
    block = BLOCK_SIZE if block is None else block
    k = max(1, -(-n // block))
    return [int(x) for x in largest_remainder(np.ones(k), n)]


def block_rng(seed: int, b: int) -> np.random.Generator:
    """The random stream of block ``b`` (block 0: ``default_rng(seed)`` itself)."""
    if b == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,)))


def _share(remaining: np.ndarray, of: int, remaining_of: int) -> np.ndarray:
    """Share of the partition ``remaining`` (summing to ``remaining_of``) for ``of`` members:
    all of it when ``of`` is all that remains, else by largest remainder."""
    if of >= remaining_of:
        return remaining.copy()
    return largest_remainder(remaining, of)


def block_parameters(p: SynthParameters, sizes: list[int]) -> list[SynthParameters]:
    """The parameters of each block: shares of every count of ``p`` (see module docstring).

    One block returns ``[p]`` unchanged.
    """
    if len(sizes) == 1:
        return [p]
    n = p.n
    pub = p.p
    remaining = {
        "timing": np.array([p.n_synchronous, n - p.n_synchronous], dtype=np.int64),
        "sex": np.array([p.n_male, n - p.n_male], dtype=np.int64),
        "sites": np.array(list(p.site_patterns.values()), dtype=np.int64),
        "centres": p.sizes_of_centres().astype(np.int64),
        "m5": np.array([p.n_more_than_5, n - p.n_more_than_5], dtype=np.int64),
        "local": np.array([p.n_local, n - p.n_local], dtype=np.int64),
        "kinds": np.array(list(p.local_kinds.values()), dtype=np.int64),
        # no systemic treatment among the metachronous; trial among the others
        "no_sys": np.array([p.n_no_systemic, n - p.n_synchronous - p.n_no_systemic], dtype=np.int64),
        "trial": np.array([p.n_trial, n - p.n_no_systemic - p.n_trial], dtype=np.int64),
    }
    age_left = round(float(pub["age"]["mean"]) * DAYS_PER_YEAR * n)
    ttm_left = round(float(pub["time_to_metachronous_metastasis"]["mean"]) * DAYS_PER_MONTH
                     * (n - p.n_synchronous))
    left = n
    width = p.width_of_ids()
    out: list[SynthParameters] = []
    for b, m in enumerate(sizes):
        r = remaining
        share = {k: _share(r[k], m, left) for k in ("timing", "sex", "sites", "centres",
                                                          "m5", "local")}
        n_meta, meta_left = int(share["timing"][1]), int(r["timing"][1])
        share["no_sys"] = _share(r["no_sys"], n_meta, meta_left)
        n_no_sys = int(share["no_sys"][0])
        share["trial"] = _share(r["trial"], m - n_no_sys, left - int(r["no_sys"][0]))
        n_local = int(share["local"][0])
        share["kinds"] = _share(r["kinds"], n_local, int(r["local"][0]))
        age_b = age_left if m >= left else round(age_left * m / left)
        ttm_b = ttm_left if n_meta >= meta_left else round(ttm_left * n_meta / max(meta_left, 1))
        out.append(dataclasses.replace(
            p, n=m, n_synchronous=int(share["timing"][0]), n_male=int(share["sex"][0]),
            site_patterns=dict(zip(p.site_patterns, (int(x) for x in share["sites"]), strict=True)),
            n_more_than_5=int(share["m5"][0]), n_no_systemic=n_no_sys,
            n_trial=int(share["trial"][0]), n_local=n_local,
            local_kinds=dict(zip(p.local_kinds, (int(x) for x in share["kinds"]), strict=True)),
            centre_sizes=tuple(int(x) for x in share["centres"]), id_width=width,
            id_stride=len(sizes), id_offset=b, age_total_days=int(age_b), ttm_total_days=int(ttm_b),
        ))
        remaining = {k: r[k] - share[k] for k in r}
        age_left -= age_b
        ttm_left -= ttm_b
        left -= m
    return out


def simulate_blocks(p: SynthParameters, seed: int, stratified: bool = True,
                    block: int | None = None) -> Iterator[tuple[SimulatedArrays, np.random.Generator]]:
    """Draw the cohort of ``p`` block by block; yields each block and its (used) stream.

    ``block`` overrides :data:`BLOCK_SIZE` (tests only: it changes the data).
    """
    for b, pb in enumerate(block_parameters(p, block_sizes(p.n, block))):
        rng = block_rng(seed, b)
        yield simulate(pb, rng, stratified=stratified), rng


def map_blocks(p: SynthParameters, seed: int, stratified: bool, convert: Callable[[SimulatedArrays], T],
               block: int | None = None, threads: int | None = None) -> Iterator[T]:
    """``convert`` of each block of the cohort, in block order, drawn by worker threads.

    The blocks are independent (each has its own stream), so drawing them in parallel
    changes nothing in the data; numpy and Arrow release the interpreter lock in their
    heavy loops. At most ``threads + 1`` blocks are in memory at a time.
    """
    params = block_parameters(p, block_sizes(p.n, block))
    workers = threads or min(4, os.cpu_count() or 1)

    def job(b: int) -> T:
        return convert(simulate(params[b], block_rng(seed, b), stratified=stratified))

    if workers <= 1 or len(params) == 1:
        yield from (job(b) for b in range(len(params)))
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sarcohort-synth") as pool:
        pending: deque = deque()
        try:
            for b in range(len(params)):
                pending.append(pool.submit(job, b))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
