"""Cox proportional hazards regression, identical to R's ``coxph``.

Two ways in::

    sc.cox(time, event, X)                                    # arrays (fast path, no pandas)
    sc.cox("Surv(time, status) ~ age + factor(grade) + strata(centre)", data=df)

The front checks the input, drops rows with missing values (counted in ``n_missing``, as
R's ``na.omit``), builds the design matrix with R's coding and names
(:mod:`sarcohort.stats.design`), and hands plain arrays to the kernel
(:mod:`sarcohort.stats._cox_kernel`). Robust (sandwich) variances follow ``coxph``: the
dfbeta residuals, summed within clusters, give ``D'D``.

Deliberate differences from R (everything else agrees to rounding):

* a covariate that is constant or collinear with others raises :class:`InputError` naming it
  (R reports an ``NA`` coefficient); a factor level with no analysed rows is dropped;
* we converge tighter than R's default ``eps = 1e-9`` (coefficients equal R's
  ``coxph.control(eps = 1e-12)`` refit), so ``iterations`` can differ by one from ``fit$iter``.

As R: near-equal times are merged (``timefix``); non-integer case weights give a robust
variance by default; ``ties="exact"`` refuses case weights, robust variances and the score,
Schoenfeld and dfbeta residuals. The Newton steps run in a compiled one-pass kernel
(:mod:`sarcohort.stats._cox_jit`, numba, cached on disk) when numba imports.

Exports :func:`cox`, which returns a :class:`CoxResult`, and :func:`release_shared`, which
forgets what fits of big data remember for the next fit on the same times (the sorts and
time structures the models of one endpoint share).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, get_args

import numpy as np
from scipy import special as _sp

from sarcohort.exceptions import ConvergenceWarning, InputError
from sarcohort.stats import _cox_kernel as K
from sarcohort.stats import _cox_newton as N
from sarcohort.stats._cox_prepare import sorted_rows
from sarcohort.stats.cox_result import CoxResult, CoxState, TestResult
from sarcohort.stats.results import Ties
from sarcohort.stats.survdata import SurvivalData, numeric_array, refuse_missing

__all__ = ["cox", "CoxResult", "release_shared"]

_TIES: tuple[str, ...] = get_args(Ties)


def _chi2(stat: float, df: int) -> TestResult:
    return TestResult(float(stat), int(df), float(_sp.chdtrc(df, stat)) if df > 0 else float("nan"))


def _wald(var: np.ndarray, b: np.ndarray) -> float:
    if b.size == 0:
        return 0.0
    try:
        return float(b @ np.linalg.solve(var, b))
    except np.linalg.LinAlgError:
        return float(b @ np.linalg.lstsq(var, b, rcond=None)[0])


def _codes(values: Any, argument: str, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"shape {arr.shape} does not match the {n} times", argument=argument,
                         fix="pass one value per row")
    refuse_missing(arr, argument)
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() < 2 * n + 2:
        uniq, codes = np.unique(arr, return_inverse=True)
    else:
        uniq, codes = np.unique(arr.astype(str) if arr.dtype == object else arr, return_inverse=True)
    from sarcohort.stats.formula import format_level

    return codes.astype(np.int64), tuple(f"{argument}={format_level(u)}" for u in uniq)


def _float(values: Any, argument: str, n: int | None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError("must be numeric", argument=argument, fix="pass numbers") from exc
    if n is not None and arr.shape[0] != n:
        raise InputError(f"must have one value per row ({n} rows)", argument=argument, value=arr.shape[0])
    return arr


def cox(
    time_or_formula: Any,
    event: Any = None,
    X: Any = None,
    *,
    data: Any = None,
    ties: Ties = "efron",
    strata: Any = None,
    cluster: Any = None,
    entry: Any = None,
    offset: Any = None,
    robust: bool | None = None,
    weights: Any = None,
    names: Any = None,
    conf_level: float = 0.95,
    max_iter: int = 30,
    timefix: bool = True,
    firth: bool = False,
    copy_X: bool = True,
) -> CoxResult:
    """Fit a Cox proportional hazards model (R's ``coxph``).

    Parameters
    ----------
    time_or_formula
        Follow-up (stop) times, or an R formula such as
        ``"Surv(time, status) ~ age + factor(grade) + sex:age + strata(centre) + cluster(id)"``
        (``Surv(start, stop, event)`` for counting-process data; ``offset(expr)`` allowed).
    event
        Event indicator (bool, 0/1, or R's 1/2), with arrays.
    X
        Covariates (n x p array, or a DataFrame whose column names become the term names).
    data
        The DataFrame for a formula.
    ties
        ``"efron"`` (R's default), ``"breslow"`` or ``"exact"`` (exact partial likelihood).
    strata, cluster, entry, offset, weights
        Per-row stratum labels, cluster labels, entry (start) times, offsets and case weights
        (arrays; with a formula use ``strata()``, ``cluster()``, ``offset()`` in the formula).
    robust
        Sandwich variance. ``None`` (the default) follows R: robust when there is a
        ``cluster`` or when some case weight is not a whole number (sampling weights);
        ``False`` with a ``cluster`` ignores the cluster (with a warning, as R).
    names
        Coefficient names for an array ``X``.
    conf_level
        Level of the hazard-ratio confidence intervals.
    max_iter
        Maximum Newton-Raphson iterations.
    timefix
        Merge times that differ only by rounding error (within ``sqrt(eps)``, absolutely or
        relative to the mean absolute time), as R's ``coxph(timefix = TRUE)``/``aeqSurv``:
        ``0.1 + 0.2`` and ``0.3`` are one time. ``False`` keeps every distinct float.
    firth
        Firth-penalised estimates (R's ``coxphf``): finite under monotone likelihood, with
        profile penalised-likelihood CIs and penalised likelihood-ratio p-values; returns a
        :class:`~sarcohort.stats._cox_firth.FirthCoxResult` (see :mod:`sarcohort.stats._cox_firth`).
    copy_X
        ``False``: a Fortran-ordered ``X`` (as a DataFrame's one float block is) whose rows are
        already in the fit's order (:func:`cox_row_order`) and whose columns need no centering
        (values in {-1, 0, 1}) is held by the result instead of a sorted copy, and never
        written; it must not be changed afterwards. A registry's counting-process rows: one
        design in memory, not two. Otherwise (or ``True``) the fit works on its own copy.

    Returns
    -------
    CoxResult

    Raises
    ------
    InputError
        Bad input (lengths, negative times, unknown ``ties``, collinear covariates...).

    Warns
    -----
    ConvergenceWarning
        When a coefficient diverges (monotone likelihood, e.g. no events in one category),
        naming the covariate; or when the fit did not converge.
    """
    if ties not in _TIES:
        raise InputError("unknown ties method", argument="ties", value=ties, fix=f"use one of {_TIES}")
    if not 0 < conf_level < 1:
        raise InputError("must be between 0 and 1", argument="conf_level", value=conf_level)
    if isinstance(time_or_formula, str):
        return _cox_formula(time_or_formula, data, ties=ties, robust=robust, weights=weights,
                            conf_level=conf_level, max_iter=max_iter, timefix=timefix,
                            extra=(event, X, strata, cluster, entry, offset), firth=firth)
    return _cox_arrays(time_or_formula, event, X, ties=ties, strata=strata, cluster=cluster,
                       entry=entry, offset=offset, robust=robust, weights=weights, names=names,
                       conf_level=conf_level, max_iter=max_iter, timefix=timefix, firth=firth,
                       copy_X=copy_X)


def cox_row_order(stop: Any, event: Any, entry: Any = None, *, timefix: bool = True) -> np.ndarray:
    """The order the fit sorts its rows into: by stop time, deaths first at equal times,
    otherwise as given (times merged as :func:`cox`'s ``timefix`` merges them).

    Rows given in this order are sorted already, which lets :func:`cox` with
    ``copy_X=False`` hold the design instead of a sorted copy.

    Examples
    --------
    >>> cox_row_order([3.0, 1.0, 1.0, 2.0], [0, 0, 1, 1]).tolist()
    [2, 1, 3, 0]
    """
    surv = SurvivalData.from_arrays(stop, event, entry)
    t = _timefix(surv.time, surv.entry)[0] if timefix else surv.time
    return sorted_rows(t, surv.event, None, remember=False)[0]


def release_shared(*, sorts: bool = True, keep_rows: int | None = None) -> None:
    """Forget the time structures (and with ``sorts``, the sorts) that fits of big data
    remember for the next fit on the same times, events and strata (the models of one
    endpoint share them): about 100 MB for a million rows, held until the next such fit or
    this call. ``keep_rows``: the sorts of that many rows are kept (only they can serve the
    next fit, of that many rows)."""
    K._RECENT_TIMES.clear()
    if sorts:
        from sarcohort.stats._cox_prepare import _RECENT

        _RECENT[:] = [r for r in _RECENT if r[0].shape[0] == keep_rows]


def _cox_arrays(time, event, X, *, ties, strata, cluster, entry, offset, robust, weights, names,
                conf_level, max_iter, timefix, firth=False, copy_X=True) -> CoxResult:
    """The array form: every array checked by the one validator (:mod:`.survdata`), so that a
    missing or bad value gets the answer ``kaplan_meier`` and ``logrank`` give (no row is
    silently dropped; the formula form applies R's ``na.omit``)."""
    if event is None or X is None:
        raise InputError("arrays need time, event and X", argument="event" if event is None else "X",
                         fix="call cox(time, event, X) or cox('Surv(time, status) ~ ...', data=df)")
    surv = SurvivalData.from_arrays(time, event, entry)
    n = surv.n
    # read only (the fit's sorted copies are its own): a registry's rows are not copied again
    t, ev, en = surv.time, surv.event, surv.entry
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        if names is None:
            names = [str(c) for c in X.columns]
        if any(not (np.issubdtype(dt, np.number) or np.issubdtype(dt, np.bool_)) for dt in X.dtypes):
            from sarcohort.stats.design import build_design

            for c in X.columns:
                refuse_missing(X[c].to_numpy(), f"X[{c!r}]")
            design = build_design([(str(c),) for c in X.columns], X)
            Xa, names = design.X, list(design.columns)
        else:
            Xa = X.to_numpy(dtype=float)
    else:
        Xa = X
    p = np.shape(Xa)[1] if np.ndim(Xa) == 2 else 1
    if names is None:
        names = [f"x{j + 1}" for j in range(p)]
    names = tuple(str(s) for s in names)
    if len(names) != p:
        raise InputError(f"needs one name per column of X ({p})", argument="names", value=len(names))
    Xa = numeric_array(Xa, "X", n, columns=p, names=names)
    off = None if offset is None else numeric_array(offset, "offset", n)
    wt = None if weights is None else numeric_array(weights, "weights", n)
    strata_codes: np.ndarray | None = None
    strata_labels: tuple[str, ...] = ()
    if strata is not None:
        strata_codes, strata_labels = _codes(strata, "strata", n)
    cl = None
    if cluster is not None:
        cl = _codes(cluster, "cluster", n)[0]
    _check_times(t, en, wt)
    if timefix:
        t, en = _timefix(t, en)
    return _fit(t, ev, Xa, names=names, term_labels=names, assign=tuple((j,) for j in range(p)),
                ties=ties, strata=strata_codes, strata_labels=strata_labels, cluster=cl, entry=en,
                offset=off, weights=wt, robust=robust, n_missing=0, conf_level=conf_level,
                max_iter=max_iter, design=None, firth=firth, copy_X=copy_X)


def _timefix(t: np.ndarray, en: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """R's ``aeqSurv``: every time (entry times too) replaced by the first of its run of
    near-equal distinct times (see :func:`sarcohort.stats._aggregates.merge_near_ties`)."""
    from sarcohort.stats._aggregates import merge_near_ties, never_merged

    if never_merged(t) and (en is None or never_merged(en)):
        return t, en
    values = t if en is None else np.concatenate((t, en))
    distinct = np.unique(values)
    cuts = merge_near_ties(distinct, sorted_unique=True)
    if cuts.size == distinct.size and not np.signbit(values).any():
        # nothing merged: every time is its own cut, as the lookup below would return it (a
        # registry's fractional months: the lookup of a million times costs more than the fit's
        # setup); a negative time or a -0.0 takes the lookup
        return t, en
    t2 = cuts[np.searchsorted(cuts, t, side="right") - 1]
    if en is None:
        return t2, None
    en2 = cuts[np.searchsorted(cuts, en, side="right") - 1]
    if np.any(en2 >= t2):
        bad = int(np.flatnonzero(en2 >= t2)[0])
        raise InputError(f"the (start, stop] interval of row {bad} ({en[bad]!r}, {t[bad]!r}] has length 0 once "
                         "times equal up to rounding error are merged (R's aeqSurv exception)",
                         argument="entry", fix="check the interval, or pass timefix=False")
    return t2, en2


def _rows(keep: np.ndarray, *arrays: np.ndarray | None) -> tuple[Any, ...]:
    """Each array restricted to the ``keep`` rows (``None`` stays ``None``)."""
    return tuple(None if a is None else a[keep] for a in arrays)


def _check_times(t: np.ndarray, en: np.ndarray | None, wt: np.ndarray | None) -> None:
    if t.size == 0:
        raise InputError("no rows left after removing missing values", argument="time")
    if not np.isfinite(t).all():
        raise InputError("times must be finite", argument="time")
    if en is None and t.min() < 0:
        raise InputError("times must be non-negative", argument="time", value=float(t.min()))
    if en is not None and np.any(en >= t):
        bad = int(np.flatnonzero(en >= t)[0])
        raise InputError(f"entry must be before the stop time (row {bad}: {en[bad]} >= {t[bad]})",
                         argument="entry", fix="check the (start, stop] intervals")
    if wt is not None and np.any(wt <= 0):
        raise InputError("case weights must be positive", argument="weights", value=float(wt.min()))


def _cox_formula(formula: str, data: Any, *, ties, robust, weights, conf_level, max_iter, timefix,
                 extra, firth=False) -> CoxResult:
    from sarcohort.stats.design import build_design
    from sarcohort.stats.formula import model_frame

    if any(v is not None for v in extra):
        raise InputError("with a formula, give strata/cluster/entry/offset inside the formula",
                         argument="formula", value=formula,
                         fix="e.g. 'Surv(time, status) ~ age + strata(centre) + cluster(id)'")
    if data is None:
        raise InputError("a formula needs data", argument="data", fix="pass data=DataFrame")
    mf = model_frame(formula, data, allow_frailty=True)
    frailty = mf.formula.frailty
    if frailty is not None:
        _refuse_with_frailty(frailty.text, ties=ties, robust=robust, weights=weights, firth=firth,
                             cluster=mf.formula.cluster, offset=mf.formula.offset, counting=len(mf.formula.surv) == 3)
    design = build_design(mf.formula.rhs, mf.data) if mf.formula.rhs.strip() not in ("1", "") else None
    Xa = design.X if design is not None else np.zeros((mf.surv.n, 0))
    wt = None if weights is None else _float(weights, "weights", len(data))[mf.kept]
    names: tuple[str, ...] = design.columns if design is not None else ()
    levels: tuple[Any, ...] = ()
    if mf.strata is not None:
        levels = tuple(mf.strata_labels)
    time_, event, entry = mf.surv.time, mf.surv.event, mf.surv.entry
    strata, cluster, offset, n_missing = mf.strata, mf.cluster, mf.offset, mf.n_missing
    fgroup = mf.frailty
    nan_rows = np.asarray(np.isnan(Xa).any(axis=1) if Xa.size else np.zeros(Xa.shape[0], dtype=bool))
    if wt is not None:
        nan_rows |= np.isnan(wt)  # a missing weight drops the row, as in the array path and R
    if nan_rows.any():  # e.g. log() of a negative value: R's na.omit drops these rows too
        time_, event, Xa, entry, strata, cluster, offset, wt, fgroup = _rows(
            ~nan_rows, time_, event, Xa, entry, strata, cluster, offset, wt, fgroup)
        n_missing += int(nan_rows.sum())
    _check_times(time_, entry, wt)
    if timefix:
        time_, entry = _timefix(time_, entry)
    if frailty is not None:
        assert fgroup is not None
        return _fit_frailty(time_, event, Xa, fgroup, mf.frailty_levels, frailty, design=design, names=names,
                            ties=ties, strata=strata, strata_labels=mf.strata_labels, n_missing=n_missing,
                            conf_level=conf_level, strata_names=mf.formula.strata, strata_levels=levels)
    fit = _fit(time_, event, Xa, names=names,
               term_labels=design.terms if design is not None else (),
               assign=design.assign if design is not None else (), ties=ties, strata=strata,
               strata_labels=mf.strata_labels, cluster=cluster, entry=entry,
               offset=offset, weights=wt, robust=robust, n_missing=n_missing,
               conf_level=conf_level, max_iter=max_iter, design=design,
               strata_names=mf.formula.strata, strata_levels=levels, offset_expr=mf.formula.offset,
               firth=firth)
    return replace(fit, _state=replace(fit._state, surv_exprs=tuple(mf.formula.surv)))


def _refuse_with_frailty(term: str, *, ties: str, robust: bool | None, weights: Any, firth: bool,
                         cluster: str | None, offset: str | None, counting: bool) -> None:
    """What the shared frailty fit does not support, refused naming the term."""
    refused = [(ties == "exact", "ties='exact'", "use ties='efron' (R's default) or 'breslow'"),
               (cluster is not None, "cluster()", "a frailty term already models the groups; drop cluster()"),
               (bool(robust), "robust=True", "drop robust=True (R gives var and var2 instead)"),
               (weights is not None, "case weights", "drop weights="),
               (firth, "firth=True", "drop firth=True"),
               (offset is not None, "offset()", "drop offset()"),
               (counting, "counting-process data Surv(start, stop, event)", "use Surv(time, event)")]
    for bad, what, fix in refused:
        if bad:
            raise InputError(f"{term} is not supported with {what}", argument="formula", value=term, fix=fix)


def _fit_frailty(t, ev, Xa, group, levels, term, *, design, names, ties, strata, strata_labels, n_missing,
                 conf_level, strata_names, strata_levels) -> CoxResult:
    """Shared gamma frailty (:mod:`sarcohort.stats._cox_frailty_fit`) on the validated arrays."""
    from sarcohort.stats._cox_frailty_fit import fit_frailty

    if not ev.any():
        raise InputError("no events among the analysed rows: a Cox model needs at least one",
                         argument="event", fix="check the event coding (1/TRUE = event)")
    if Xa.size and not np.isfinite(Xa.sum()):
        col = int(np.flatnonzero(~np.isfinite(Xa).all(axis=0))[0])
        raise InputError("covariate has infinite values (e.g. log(0))", argument=names[col],
                         fix="remove or recode the infinite values")
    _check_rank(Xa - Xa.mean(axis=0) if Xa.size else Xa, tuple(names))
    used = np.unique(group)
    if used.size != len(levels):  # rows dropped by na.omit can leave a group empty
        remap = np.full(len(levels), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        group, levels = remap[group], tuple(levels[i] for i in used)
    return fit_frailty(t, ev.astype(bool), Xa, group, tuple(levels), term=term, names=tuple(names),
                       term_labels=design.terms if design is not None else (),
                       assign=design.assign if design is not None else (), ties=ties, strata=strata,
                       strata_labels=tuple(strata_labels), n_missing=n_missing, conf_level=conf_level,
                       design=design, strata_names=tuple(strata_names), strata_levels=tuple(strata_levels),
                       stacklevel=5)


def _check_rank(Xc: np.ndarray, names: tuple[str, ...]) -> None:
    """R would give NA coefficients for collinear columns; we stop with a clear error."""
    p = Xc.shape[1]
    if p == 0:
        return
    sd = Xc.std(axis=0)
    const = np.flatnonzero(sd == 0)
    if const.size:
        raise InputError("covariate is constant in the analysed rows (its effect cannot be estimated)",
                         argument=names[const[0]], fix="remove it from the model")
    Z = Xc / sd
    r = np.linalg.qr(Z, mode="r")
    d = np.abs(np.diag(r))
    if d.size < p or np.any(d < 1e-9 * max(d.max(), 1.0)):
        bad = int(np.flatnonzero(d < 1e-9 * max(d.max(), 1.0))[0]) if d.size == p else d.size
        raise InputError("covariate is collinear with the preceding ones", argument=names[min(bad, p - 1)],
                         fix="remove it (or a redundant factor level) from the model")


def _fit(t, ev, Xa, *, names, term_labels, assign, ties, strata, strata_labels, cluster, entry,
         offset, weights, robust, n_missing, conf_level, max_iter, design, strata_names=(),
         strata_levels=(), offset_expr=None, firth=False, copy_X=True) -> CoxResult:
    n, p = Xa.shape
    if Xa.size and not np.isfinite(Xa.sum()):
        col = int(np.flatnonzero(~np.isfinite(Xa).all(axis=0))[0])
        raise InputError("covariate has infinite values (e.g. log(0))", argument=names[col],
                         fix="remove or recode the infinite values")
    if not ev.any():
        raise InputError("no events among the analysed rows: a Cox model needs at least one",
                         argument="event", fix="check the event coding (1/TRUE = event)")
    if robust is None:  # R's rule: a cluster, or sampling (non-integer) case weights
        robust = cluster is not None or (weights is not None and bool(np.any(weights != np.floor(weights))))
    elif not robust and cluster is not None:
        warnings.warn("cluster given with robust=False: the cluster is ignored (as R does)", UserWarning,
                      stacklevel=3)
        cluster = None
    if ties == "exact" and weights is not None:
        raise InputError("case weights are not supported with ties='exact'", argument="weights",
                         fix="use ties='efron' or 'breslow'")
    if robust and ties == "exact":  # R's residuals.coxph: "dfbeta residuals are not available"
        raise InputError("a robust (sandwich) variance is not available with ties='exact' (as in R)",
                         argument="cluster" if cluster is not None else "robust",
                         fix="use ties='efron' or 'breslow' for a robust variance")
    # the exact partial likelihood is evaluated on top of the Breslow structure (cox_exact)
    cs = K.setup(t, ev, Xa, entry=entry, strata=strata, offset=offset, weights=weights,
                 ties="breslow" if ties == "exact" else ties, copy_X=copy_X)
    if n and p:  # rows of the sorted transposed copy are contiguous: one cheap pass
        constant = np.flatnonzero(np.ptp(cs.XT, axis=1) == 0)
        if constant.size:  # R: an NA coefficient; we stop and name it (never a made-up HR)
            raise InputError("covariate is constant in the analysed rows (its effect cannot be estimated)",
                             argument=names[constant[0]], fix="remove it from the model")
    if firth:
        return _fit_firth(t, ev, Xa, cs, names=names, term_labels=term_labels, assign=assign, ties=ties,
                          strata=strata, strata_labels=strata_labels, cluster=cluster, entry=entry,
                          offset=offset, weights=weights, robust=robust, n_missing=n_missing,
                          conf_level=conf_level, design=design, strata_names=strata_names,
                          strata_levels=strata_levels, offset_expr=offset_expr)
    try:
        if ties == "exact":
            from sarcohort.stats._cox_exact import exact_evaluator

            nr, final = N.newton(cs, max_iter=max_iter, evaluator=exact_evaluator(cs))
        else:
            nr, final = N.newton(cs, max_iter=max_iter, evaluator=N.compiled_evaluator(cs) or K.evaluate)
    except N.SingularInformation:
        _check_rank(cs.X, names)  # names the constant or collinear covariate
        raise InputError("the covariates carry no information at the event times (e.g. a covariate "
                         "constant among the subjects at risk)", argument="X",
                         fix="remove covariates that do not vary among patients with events") from None
    beta = nr.beta
    cs.work = np.empty((0, 0))  # release the Newton scratch buffer (rebuilt on demand)
    if nr.infinite.any():
        bad = [names[j] for j in np.flatnonzero(nr.infinite)]
        warnings.warn(f"monotone likelihood: the coefficient of {', '.join(bad)} diverges (hazard ratio "
                      "tends to 0 or infinity, e.g. no events in one category); its estimate, SE and "
                      "test are not meaningful", ConvergenceWarning, stacklevel=3)
    elif not nr.converged:
        warnings.warn(f"the Cox fit did not converge in {max_iter} iterations", ConvergenceWarning, stacklevel=3)
    naive_var = nr.var
    with np.errstate(invalid="ignore"):  # NaN for a degenerate (warned) fit
        se = np.sqrt(np.diag(naive_var))
    robust_se = None
    rscore = None
    var = naive_var
    if robust and p:
        from sarcohort.stats._cox_residuals import score_sorted

        cw = cs.cw
        if not isinstance(final, K.Evaluation):  # the compiled kernel keeps no per-time pieces
            final = K.evaluate(cs, beta, info=False)
        sc = score_sorted(cs, final)
        if cw is not None:
            sc = sc * cw[:, None]
        dfb = sc @ naive_var
        cl_sorted = (cluster[cs.order] if cluster is not None else None)
        # R's robust score test: score residuals at beta = 0 with the linear predictor set to 0
        sc0 = score_sorted(cs, K.evaluate(cs, np.zeros(p), info=False, offset=False))
        if cw is not None:
            sc0 = sc0 * cw[:, None]
        if cl_sorted is not None:
            k = int(cl_sorted.max()) + 1
            dfb = np.vstack([np.bincount(cl_sorted, dfb[:, j], minlength=k) for j in range(p)]).T
            sc0 = np.vstack([np.bincount(cl_sorted, sc0[:, j], minlength=k) for j in range(p)]).T
        var = dfb.T @ dfb
        robust_se = np.sqrt(np.diag(var))
        u0 = sc0.sum(axis=0)
        rscore = _chi2(_wald(sc0.T @ sc0, u0), p)
    use_se = robust_se if robust_se is not None else se
    zq = _sp.ndtri(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = beta / use_se
        pv = 2 * _sp.ndtr(-np.abs(z))
        hr = np.exp(beta)
        lo = np.exp(beta - zq * use_se)
        hi = np.exp(beta + zq * use_se)
    loglik = nr.loglik
    state = CoxState(setup=cs, beta=beta, design=design, cluster=cluster, strata_labels=tuple(strata_labels),
                     strata_names=tuple(strata_names), strata_levels=tuple(strata_levels),
                     offset_mean=float(np.mean(offset)) if offset is not None else 0.0,
                     has_offset=offset is not None, offset_expr=offset_expr,
                     final_evaluation=final if isinstance(final, K.Evaluation) else None)
    return CoxResult(
        terms=tuple(names), coef=beta, se=se, robust_se=robust_se, hr=hr, hr_lower=lo, hr_upper=hi,
        z=z, p=pv, var=var, naive_var=naive_var, n=int(n), n_event=int(ev.sum()),
        n_missing=int(n_missing), loglik_null=nr.loglik_init, loglik=loglik,
        iterations=nr.iterations, converged=nr.converged,
        lr_test=_chi2(2 * (loglik - nr.loglik_init), p), wald_test=_chi2(_wald(var, beta), p),
        score_test=_chi2(nr.score_test, p), robust_score_test=rscore, ties=ties, means=cs.means,
        conf_level=conf_level, term_labels=tuple(term_labels), assign=tuple(assign),
        strata_labels=tuple(strata_labels), _state=state,
    )


def _fit_firth(t, ev, Xa, cs, *, names, term_labels, assign, ties, strata, strata_labels, cluster, entry,
               offset, weights, robust, n_missing, conf_level, design, strata_names, strata_levels,
               offset_expr) -> CoxResult:
    """Firth-penalised fit (:mod:`sarcohort.stats._cox_firth`) on the validated arrays."""
    from sarcohort.stats._cox_firth import fit_firth

    if robust or cluster is not None:
        raise InputError("robust (sandwich) variances are not available with Firth's correction",
                         argument="robust", fix="drop robust=True / cluster() (or firth=True); non-integer "
                         "case weights imply a robust variance")
    state = CoxState(setup=cs, beta=np.zeros(Xa.shape[1]), design=design, cluster=None,
                     strata_labels=tuple(strata_labels), strata_names=tuple(strata_names),
                     strata_levels=tuple(strata_levels),
                     offset_mean=float(np.mean(offset)) if offset is not None else 0.0,
                     has_offset=offset is not None, offset_expr=offset_expr)
    return fit_firth(t, ev, Xa, names=tuple(names), term_labels=tuple(term_labels), assign=tuple(assign),
                     ties=ties, state=state, means=cs.means, entry=entry, strata=strata, offset=offset,
                     weights=weights, strata_labels=tuple(strata_labels), n_missing=n_missing,
                     conf_level=conf_level, warn=lambda msg, cat: warnings.warn(msg, cat, stacklevel=4))
