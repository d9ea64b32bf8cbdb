"""Shared gamma frailty Cox model: the numerical kernel of ``cox("... + frailty(centre)")``.

Plain numpy, no pandas. R's ``coxph(... + frailty(g))`` (survival 3.5-3, gamma distribution,
method ``"em"``) fits, for a fixed frailty variance ``theta`` (``nu = 1 / theta``), the
penalised partial likelihood of the coefficients ``beta`` and the log-frailties ``omega_g``
of the ``G`` groups::

    PPL(beta, omega) = PL(beta, omega) + nu * sum_g (omega_g - exp(omega_g))

(``PL`` is the Cox partial likelihood with ``omega_g`` added to the linear predictor of the
rows of group ``g``). Its maximiser has ``mean(exp(omega)) = 1`` (``PL`` does not change when
every ``omega_g`` moves by one constant), which is R's recentred solution. R then chooses
``theta`` by maximising the integrated ("I-") log-likelihood of ``frailty.controlgam``::

    c.loglik(theta) = PL + nu * sum(omega) + frailty.gammacon(d, nu)

(``d`` the events per group; :func:`gammacon` keeps R's expression exact where R switches to
an approximation for theta below ``1e-7 / max(d)``). Here:

* :func:`fit_fixed` maximises ``PPL`` at one ``theta`` by Newton-Raphson on the exact
  information of ``(beta, omega)`` (the group indicators are columns of the design, so the
  Cox kernel :mod:`sarcohort.stats._cox_kernel` gives every sum), converged to rounding;
* :func:`profile` maximises ``c.loglik`` over ``theta >= 0`` (bounded Brent on
  ``sqrt(theta)``, warm starts), i.e. the exact maximiser, not R's loosely stopped search;
* :func:`summarise` computes what R reports at the solution from R's information matrix. R's
  ``coxfit5`` with a *sparse* frailty term (more than 5 groups, R's default) keeps only the
  diagonal of the frailty block of the information (plus the penalty's ``nu exp(omega)``):
  ``var = H^-1`` (coefficient block), ``var2 = H^-1 (H - P) H^-1``, the frailty variances
  ``fvar = diag(H^-1)`` over the groups, the frailty degrees of freedom ``G - sum(fvar * nu
  exp(omega))`` and the frailty test ``sum(omega^2 / fvar)`` on that ``df`` (``coxpenal.df``
  and ``frailty.gamma``'s ``printfun``). A non-sparse term (5 groups or fewer) uses the full
  information, as R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special as _sp

from sarcohort.stats import _cox_kernel as K


def gammacon(d: np.ndarray, nu: float) -> float:
    """The integrated-likelihood correction of the gamma frailty, R's ``frailty.gammacon(d, nu)``:
    ``sum_g d + nu log(nu / (nu + d)) + log Gamma(nu + d) - log Gamma(nu) - d log(nu + d)``.

    One deliberate difference: R replaces the first part by ``sum(d^2) / nu`` once
    ``nu > 1e7 max(d)`` (theta below ``1e-7 / max(d)``), twice its limit ``sum(d^2) / (2 nu)``.
    That jump gives R's integrated likelihood a spurious maximum just below that theta when the
    groups do not differ (R's own search then reports theta ~ 5e-7 where the maximum is at 0);
    we keep the exact expression (``d - nu log1p(d / nu)``, accurate for any ``nu``). Elsewhere
    the two agree to rounding.
    """
    d = np.asarray(d, dtype=float)
    if not d.size or float(d.max()) == 0:
        return 0.0
    term1 = float((d - nu * np.log1p(d / nu)).sum())
    # sum over groups of log Gamma(nu + d) - log Gamma(nu) - d log(nu + d), as R's table walk
    term2 = 0.0
    for dg in d[d > 0]:
        k = np.arange(int(dg), dtype=float)
        term2 += float(np.log((nu + k) / (nu + dg)).sum())
    return term1 + term2


@dataclass(frozen=True)
class FixedFit:
    """The penalised fit at one ``theta``."""

    theta: float
    beta: np.ndarray  # (p,)
    omega: np.ndarray  # (G,) log-frailties, mean(exp(omega)) = 1 (zeros at theta = 0)
    loglik: float  # partial likelihood PL at (beta, omega): R's fit$loglik[2]
    penalty: float  # R's fit$penalty[2]: -nu * sum(omega)
    loglik_integrated: float  # R's history$c.loglik
    imat: np.ndarray  # exact (p + G) information of PL at the solution (no penalty)
    iterations: int
    converged: bool


class FrailtyProblem:
    """Sorted data of one frailty model: the Cox kernel's setup on ``[X, Z]`` (``Z`` the
    group indicators) and the events per group."""

    def __init__(self, time: np.ndarray, event: np.ndarray, X: np.ndarray, group: np.ndarray, n_groups: int,
                 *, strata: np.ndarray | None, ties: str, offset: np.ndarray | None = None) -> None:
        n, p = X.shape
        Z = np.zeros((n, n_groups))
        Z[np.arange(n), group] = 1.0
        self.p, self.G = p, n_groups
        self.cs = K.setup(time, event, np.hstack((X, Z)), strata=strata, offset=offset, ties=ties)
        self.deaths = np.bincount(group, weights=np.asarray(event, dtype=float), minlength=n_groups)
        from sarcohort.stats._cox_newton import compiled_evaluator

        # the compiled one-pass kernel of the Cox fit (numba) when it imports: loglik, score, information
        self._eval = compiled_evaluator(self.cs) or K.evaluate

    def _at(self, b: np.ndarray, info: bool = True) -> Any:
        return self._eval(self.cs, b, info=info)

    def evaluate(self, beta: np.ndarray, omega: np.ndarray, info: bool = True) -> Any:
        return self._at(np.concatenate((beta, omega)), info=info)

    def loglik_null(self) -> float:
        """R's ``fit$loglik[1]``: the partial likelihood at beta = 0 and no frailty."""
        return float(self._at(np.zeros(self.p + self.G), info=False).loglik)

    def penalised(self, ev: Any, omega: np.ndarray, nu: float) -> float:
        """``PL + nu sum(omega - exp(omega))`` less its constant ``-nu G`` (``expm1``: no
        cancellation when nu is large and the frailties tiny)."""
        return ev.loglik + nu * float((omega - np.expm1(omega)).sum())

    def fit_fixed(self, theta: float, beta0: np.ndarray | None = None, omega0: np.ndarray | None = None,
                  max_iter: int = 200) -> FixedFit:
        """Maximise the penalised partial likelihood at ``theta`` (``theta = 0``: no frailty)."""
        p, G = self.p, self.G
        beta = np.zeros(p) if beta0 is None else np.array(beta0, dtype=float)
        if theta == 0:
            omega = np.zeros(G)
            it, conv = 0, True
            ev = self.evaluate(beta, omega)
            for _ in range(max_iter):  # plain Cox Newton on beta alone
                it += 1
                if p == 0:
                    break
                step = np.linalg.solve(ev.imat[:p, :p], ev.u[:p])
                new = self.evaluate(beta + step, omega)
                halv = 0
                while not new.loglik >= ev.loglik - 1e-12 * abs(ev.loglik) and halv < 30:
                    step /= 2
                    halv += 1
                    new = self.evaluate(beta + step, omega)
                beta, ev = beta + step, new
                if np.max(np.abs(step)) < 1e-12 * max(1.0, float(np.max(np.abs(beta)))):
                    break
            else:
                conv = False
            assert ev.imat is not None
            return FixedFit(theta=0.0, beta=beta, omega=omega, loglik=ev.loglik, penalty=0.0,
                            loglik_integrated=ev.loglik, imat=ev.imat, iterations=it, converged=conv)
        nu = 1.0 / theta
        omega = np.zeros(G) if omega0 is None else np.array(omega0, dtype=float)
        b = np.concatenate((beta, omega))
        ev = self._at(b)
        f = self.penalised(ev, b[p:], nu)
        conv = False
        it = 0
        for _ in range(max_iter):
            it += 1
            assert ev.imat is not None
            em1 = np.expm1(b[p:])
            grad = ev.u.copy()
            grad[p:] -= nu * em1
            H = ev.imat.copy()
            H[np.arange(p, p + G), np.arange(p, p + G)] += nu * (1.0 + em1)
            try:
                step = np.linalg.solve(H, grad)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(H, grad, rcond=None)[0]
            new_b = b + step
            new_ev = self._at(new_b)
            new_f = self.penalised(new_ev, new_b[p:], nu)
            halv = 0
            while not new_f >= f - 1e-12 * abs(f) and halv < 40:
                step = step / 2
                halv += 1
                new_b = b + step
                new_ev = self._at(new_b)
                new_f = self.penalised(new_ev, new_b[p:], nu)
            b, ev, f = new_b, new_ev, new_f
            if np.max(np.abs(step)) <= 1e-11 * max(1.0, float(np.max(np.abs(b)))):
                conv = True
                break
        beta, omega = b[:p], b[p:]
        assert ev.imat is not None
        # R's penalty -nu sum(omega) at its recentred solution, where sum(expm1(omega)) = 0 (the
        # frailty scores sum to 0): written as -nu sum(omega - expm1(omega)), which stays exact
        # when nu is large (the direct sum multiplies the rounding of omega by nu)
        pen = -nu * math.fsum(omega - np.expm1(omega))
        cl = ev.loglik - pen + gammacon(self.deaths, nu)
        return FixedFit(theta=float(theta), beta=beta, omega=omega, loglik=ev.loglik, penalty=pen,
                        loglik_integrated=cl, imat=ev.imat, iterations=it, converged=conv)


@dataclass(frozen=True)
class Profile:
    """The search over ``theta``: the best fit and every (theta, c.loglik) evaluated."""

    best: FixedFit
    history: tuple[tuple[float, float], ...]
    converged: bool
    message: str


def profile(prob: FrailtyProblem, *, theta_max: float = 1e3, xtol: float = 1e-9) -> Profile:
    """The exact maximiser of the integrated log-likelihood over ``theta >= 0``.

    Bracket: ``c.loglik`` at 0 and 1, then at 2, 4, ... until it falls, or, when it falls from
    0 to 1, at 0.1, 0.01, ... down to the first value above ``c.loglik(0)``; then a bounded
    Brent search on ``s = sqrt(theta)`` inside the bracket, each fit warm-started from the
    nearest one. When ``c.loglik`` stays below its value at 0 down to ``theta = 1e-6``, the
    maximum is reported at ``theta = 0`` (no heterogeneity: the plain Cox fit); a maximiser
    below 1e-6 is not resolved. One that still rises at ``theta_max`` is reported as not
    converged.
    """
    from scipy.optimize import minimize_scalar

    fits: dict[float, FixedFit] = {}

    def at(theta: float) -> FixedFit:
        if theta in fits:
            return fits[theta]
        if fits:
            near = min(fits.values(), key=lambda f: abs(math.sqrt(f.theta) - math.sqrt(theta)))
            fit = prob.fit_fixed(theta, near.beta, near.omega)
        else:
            fit = prob.fit_fixed(theta)
        fits[theta] = fit
        return fit

    f0 = at(0.0)
    grid = [1.0]
    c = at(1.0).loglik_integrated
    if c > f0.loglik_integrated:  # rising from 0: double until it falls
        while True:
            t = grid[-1] * 2
            if t > theta_max:
                best = max(fits.values(), key=lambda f: f.loglik_integrated)
                return Profile(best, _hist(fits), False,
                               f"the integrated likelihood still increases at theta = {grid[-1]:g}: "
                               "the frailty variance diverges")
            grid.append(t)
            if at(t).loglik_integrated < at(grid[-2]).loglik_integrated:
                break
        lo = grid[-3] if len(grid) >= 3 else 0.0
        hi = grid[-1]
    else:  # falls from 0 to 1: look at 0.1, 0.01, ..., 1e-6 for a value above theta = 0
        hi = 1.0
        for k in range(1, 7):
            t = 10.0 ** -k
            if at(t).loglik_integrated > f0.loglik_integrated:
                break
            hi = t
        else:  # below theta = 0 down to 1e-6: the maximum is 0 (or a gain below 1e-6 * c'(0))
            return Profile(f0, _hist(fits), True, "")
        lo = 0.0
    res = minimize_scalar(lambda s: -at(s * s).loglik_integrated, bounds=(math.sqrt(lo), math.sqrt(hi)),
                          method="bounded", options={"xatol": xtol, "maxiter": 500})
    best = max(fits.values(), key=lambda f: f.loglik_integrated)
    if best.loglik_integrated - f0.loglik_integrated <= 1e-12 * max(1.0, abs(f0.loglik_integrated)):
        best = f0  # no gain over theta = 0 beyond rounding: the maximum is at the boundary
    ok = bool(res.success) and all(f.converged for f in fits.values())
    msg = "" if ok else ("the search over theta did not converge" if not res.success
                         else "a penalised fit did not converge")
    return Profile(best, _hist(fits), ok, msg)


def _hist(fits: dict[float, FixedFit]) -> tuple[tuple[float, float], ...]:
    return tuple(sorted((t, f.loglik_integrated) for t, f in fits.items()))


@dataclass(frozen=True)
class FrailtySummary:
    """What R reports at the solution (``coxpenal.df`` and ``frailty.gamma``'s ``printfun``)."""

    var: np.ndarray  # (p, p) R's fit$var
    var2: np.ndarray  # (p, p) R's fit$var2
    fvar: np.ndarray  # (G,) variances of the frailties (diag of H^-1 over the groups)
    frailty_df: float  # R's fit$df of the frailty term
    frailty_chisq: float
    frailty_p: float


def summarise(fit: FixedFit, *, sparse: bool) -> FrailtySummary:
    """R's variances, degrees of freedom and frailty test at ``fit`` (see the module notes)."""
    G = fit.omega.size
    p = fit.beta.size
    imat = fit.imat.copy()
    q = p + G
    if fit.theta == 0:  # R forces the frailties to zero: unit diagonal, no cross terms
        pen = np.zeros(G)
        imat[p:, :] = 0.0
        imat[:, p:] = 0.0
        imat[np.arange(p, q), np.arange(p, q)] = 1.0
    else:
        pen = np.exp(fit.omega) / fit.theta
        if sparse:
            blk = imat[p:, p:]
            d = np.diag(blk).copy()
            imat[p:, p:] = np.diag(d)
    H = imat.copy()
    H[np.arange(p, q), np.arange(p, q)] += pen
    Hinv = np.linalg.inv(H)
    Hinv = (Hinv + Hinv.T) / 2
    P = np.zeros(q)
    P[p:] = pen
    V2 = Hinv - (Hinv * P) @ Hinv
    var = Hinv[:p, :p]
    var2 = V2[:p, :p]
    fvar = np.diag(Hinv)[p:].copy()
    if sparse:
        df = float(G - (fvar * pen).sum())
        chisq = float((fit.omega ** 2 / fvar).sum())
    else:  # coxpenal.df / printfun for a non-sparse term: the whole frailty block
        A = Hinv[p:, p:]
        df = float(np.trace(np.linalg.solve(A, V2[p:, p:])))
        chisq = float(fit.omega @ np.linalg.solve(A, fit.omega))
    if fit.theta == 0:  # no frailty: nothing to test (R would print df = G here)
        df, chisq = 0.0, 0.0
    pv = float(_sp.chdtrc(max(df, 0.5), chisq)) if chisq > 0 else 1.0
    return FrailtySummary(var=var, var2=var2, fvar=fvar, frailty_df=df, frailty_chisq=chisq, frailty_p=pv)


def term_df(var: np.ndarray, var2: np.ndarray, assign: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """R's per-term degrees of freedom of the unpenalised terms: ``trace(var_jj^-1 var2_jj)``."""
    out = []
    for cols in assign:
        j = np.asarray(cols, dtype=int)
        out.append(float(np.trace(np.linalg.solve(var[np.ix_(j, j)], var2[np.ix_(j, j)]))))
    return np.asarray(out)
