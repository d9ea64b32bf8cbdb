"""Firth's penalised Cox partial likelihood: value, score and information on dense risk sets.

Plain numpy, for the small series Firth's correction is meant for. Every (event time, k) term
of the Breslow or Efron partial likelihood is a weighted sum over rows, held as one row of a
dense matrix ``R`` (risk-set indicator minus ``k/d`` times the indicator of the time's deaths;
``k = 0`` only for Breslow). With ``w = cw exp(x'b)`` and per term ``A0 = R w``,
``A1 = R (w x)``, ``M = R (w x x') / A0``, ``xbar = A1 / A0``::

    log L  = sum_deaths cw (x'b + offset) - sum_k mult_k log A0_k
    U      = sum_deaths cw x - sum_k mult_k xbar_k
    I      = sum_k mult_k (M_k - xbar_k xbar_k')
    pl     = log L + 1/2 log det I                        (Firth 1993; Heinze & Schemper 2001)
    U*_r   = U_r + 1/2 trace(I^-1 dI/db_r)

and ``trace(V dI/db_r) = sum_k mult_k (T3_kr - T2_k xbar_kr - 2 (xbar_k' V M_k)_r
+ 2 (xbar_k' V xbar_k) xbar_kr)`` with ``z_i = x_i' V x_i``, ``T2 = R (w z) / A0`` and
``T3 = R (w z x) / A0``: no p x p x p array is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DENSE_LIMIT = 20_000_000  # (event time, k) terms x rows above which the dense form is refused


@dataclass(frozen=True)
class FirthData:
    """Centered covariates and the dense (event time, k) x rows weights of one fit."""

    X: np.ndarray  # (n, p) centered
    XX: np.ndarray  # (n, p * p) row outer products
    cw: np.ndarray  # (n,) case weights
    offset: np.ndarray  # (n,)
    dead: np.ndarray  # (n,) bool
    R: np.ndarray  # (P, n)
    mult: np.ndarray  # (P,)
    xd: np.ndarray  # (p,) sum over deaths of cw x
    offd: float  # sum over deaths of cw offset
    wd: float  # sum over deaths of cw (= mult.sum())

    @property
    def p(self) -> int:
        return int(self.X.shape[1])


@dataclass(frozen=True)
class Penalized:
    """The penalised likelihood and its pieces at one ``beta``."""

    beta: np.ndarray
    pl: float  # penalised log likelihood (-inf where I is not positive definite)
    loglik: float
    imat: np.ndarray
    u: np.ndarray  # ordinary score
    ustar: np.ndarray | None  # penalised score (None unless asked)


def build(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    *,
    entry: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    ties: str = "efron",
) -> FirthData:
    """The dense term structure of a validated data set (input order, no sorting needed)."""
    n, p = X.shape
    ev = np.asarray(event, dtype=bool)
    sk = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    cw = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    key = np.unique(np.column_stack((sk[ev].astype(float), time[ev])), axis=0)
    rows: list[np.ndarray] = []
    mult: list[float] = []
    for s, t in key:
        risk = (sk == s) & (time >= t)
        if entry is not None:
            risk &= entry < t
        death = (sk == s) & (time == t) & ev
        d = int(death.sum())
        wd = float(cw[death].sum())
        if ties == "efron":
            for k in range(d):
                rows.append(risk - (k / d) * death)
                mult.append(wd / d)
        else:
            rows.append(risk.astype(float))
            mult.append(wd)
    R = np.array(rows, dtype=float).reshape(len(rows), n)
    means = X.mean(axis=0) if n else np.zeros(p)
    Xc = X - means
    return FirthData(X=Xc, XX=(Xc[:, :, None] * Xc[:, None, :]).reshape(n, p * p), cw=cw, offset=off,
                     dead=ev, R=R, mult=np.asarray(mult), xd=(cw[ev, None] * Xc[ev]).sum(axis=0),
                     offd=float(cw[ev] @ off[ev]), wd=float(cw[ev].sum()))


def penalized(fd: FirthData, beta: np.ndarray, *, score: bool = True) -> Penalized:
    """Penalised log likelihood, information and (with ``score``) the penalised score."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        return _penalized(fd, np.asarray(beta, dtype=float), score)


def _penalized(fd: FirthData, beta: np.ndarray, score: bool) -> Penalized:
    X, R, mult = fd.X, fd.R, fd.mult
    P, p = R.shape[0], fd.p
    eta = X @ beta + fd.offset
    shift = float(eta.max()) if eta.size else 0.0  # cancels: sum(mult) = weighted deaths
    w = fd.cw * np.exp(eta - shift)
    A0 = R @ w
    xbar = (R @ (w[:, None] * X)) / A0[:, None]
    M = ((R @ (w[:, None] * fd.XX)) / A0[:, None]).reshape(P, p, p)
    loglik = float(fd.xd @ beta + fd.offd - mult @ (np.log(A0) + shift))
    imat = np.einsum("k,kij->ij", mult, M) - (xbar * mult[:, None]).T @ xbar
    imat = (imat + imat.T) / 2
    u = fd.xd - mult @ xbar
    try:
        L = np.linalg.cholesky(imat)
        logdet = 2.0 * float(np.log(L.diagonal()).sum())
    except np.linalg.LinAlgError:
        L = None
        logdet = -np.inf
    pl = loglik + 0.5 * logdet if np.isfinite(loglik) else -np.inf
    ustar = None
    if score and L is not None and np.isfinite(pl):
        V = np.linalg.inv(imat)
        V = (V + V.T) / 2
        z = np.einsum("ni,ij,nj->n", X, V, X)
        wz = w * z
        T2 = (R @ wz) / A0
        T3 = (R @ (wz[:, None] * X)) / A0[:, None]
        xv = xbar @ V
        T21 = np.einsum("kj,kjr->kr", xv, M)
        q = np.einsum("ki,ki->k", xv, xbar)
        trace = mult @ (T3 - T2[:, None] * xbar - 2 * T21 + 2 * q[:, None] * xbar)
        ustar = u + 0.5 * trace
    return Penalized(beta=beta, pl=float(pl), loglik=loglik, imat=imat, u=u, ustar=ustar)
