"""Baseline hazard and predicted survival curves of a Cox fit, as R's ``basehaz`` and
``survfit(fit, newdata)`` (survival's ``agsurv``/``coxsurv.fit``).

Hazard increments at each event time: Efron-type (ctype 2, R's default after an Efron fit)
``sum_k m_k / D_k``, or Breslow-type (ctype 1) ``d / S0``. A curve for covariates ``x`` is
``H(t; x) = exp((x - means)' b + offset) * H0(t)`` with
``var H = exp(2 lp) * (sum_t varhaz + d(t)' V d(t))``, ``d(t) = sum_{s <= t} (x - xbar(s)) dH0(s)``,
``V`` the fit's variance (robust for robust fits). Confidence limits use the log scale, as
``survfit``'s default ``conf.type = "log"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sarcohort.exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sarcohort.stats.cox_result import CoxResult

@dataclass(frozen=True)
class BaselineHazard:
    """Cumulative baseline hazard at every distinct time (events and censorings), per stratum."""

    time: np.ndarray
    hazard: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    strata: np.ndarray | None  # stratum label of each row (None when unstratified)
    kind: str
    centered: bool

    def to_frame(self) -> pd.DataFrame:
        """Columns time, hazard, n_risk, n_event (and strata)."""
        import pandas as pd

        cols: dict[str, Any] = {"time": self.time, "hazard": self.hazard, "n_risk": self.n_risk,
                                "n_event": self.n_event}
        if self.strata is not None:
            cols["strata"] = self.strata
        return pd.DataFrame(cols)


@dataclass(frozen=True)
class CoxCurve:
    """One predicted survival curve (``survfit.coxph``'s columns)."""

    name: str
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray  # SE of the cumulative hazard (= of log S), R's std.err
    cumhaz: np.ndarray
    std_chaz: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per time."""
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in ("time", "n_risk", "n_event", "n_censor", "surv",
                                                            "std_err", "cumhaz", "lower", "upper")})


@dataclass(frozen=True)
class CoxSurvival:
    """Predicted curves, one per row of ``newdata``."""

    curves: tuple[CoxCurve, ...]
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, with a ``curve`` column."""
        import pandas as pd

        return pd.concat([c.to_frame().assign(curve=c.name) for c in self.curves], ignore_index=True)


@dataclass(frozen=True)
class _Timeline:
    """Per stratum: all distinct times with counts and the per-time hazard pieces."""

    stratum: int
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    haz: np.ndarray  # hazard increments (at the centering point), 0 at censor-only times
    varhaz: np.ndarray
    xbar: np.ndarray  # (k, p) sum over the time's pairs of xbar * h


def _timelines(fit: CoxResult, kind: str) -> list[_Timeline]:
    cs, ev = fit._state.setup, fit._state.final
    p = cs.p
    pg = cs.pair_group
    if kind == "efron":
        h = cs.pair_mult / ev.pair_denom
        g_haz = np.bincount(pg, h, minlength=cs.m)
        g_var = np.bincount(pg, cs.pair_mult / ev.pair_denom**2, minlength=cs.m)
        g_xbar = np.zeros((cs.m, p))
        for j in range(p):
            g_xbar[:, j] = np.bincount(pg, ev.pair_xbar[:, j] * h, minlength=cs.m)
    else:
        g_haz = cs.g_wdeaths / ev.s0
        g_var = cs.g_wdeaths / ev.s0**2
        g_xbar = ev.s1 / ev.s0[:, None] * g_haz[:, None]
    out = []
    for k in np.unique(cs.strata):
        rows = cs.strata == k
        stop, event = cs.stop[rows], cs.event[rows]
        cw = np.ones(stop.size) if cs.cw is None else cs.cw[rows]  # counts are weighted, as R's
        times, inv = np.unique(stop, return_inverse=True)
        nt = times.size
        n_event = np.bincount(inv, event * cw, minlength=nt)
        n_out = np.bincount(inv, cw, minlength=nt)
        n_censor = n_out - n_event
        n_risk = np.cumsum(n_out[::-1])[::-1]
        if cs.entry is not None:
            # rows with entry >= t are not yet at risk at t
            eo = np.argsort(cs.entry[rows], kind="stable")
            e_sorted, e_cum = cs.entry[rows][eo], np.r_[0.0, np.cumsum(cw[eo])]
            n_risk = n_risk - (e_cum[-1] - e_cum[np.searchsorted(e_sorted, times, side="left")])
        haz = np.zeros(nt)
        var = np.zeros(nt)
        xb = np.zeros((nt, p))
        gk = np.flatnonzero(cs.g_stratum == k)
        if gk.size:
            pos = np.searchsorted(times, cs.g_time[gk])
            haz[pos], var[pos], xb[pos] = g_haz[gk], g_var[gk], g_xbar[gk]
        out.append(_Timeline(int(k), times, n_risk, n_event, n_censor, haz, var, xb))
    return out


def _default_kind(fit: CoxResult, kind: str | None) -> str:
    if kind is None:
        return "efron" if fit.ties == "efron" else "breslow"
    if kind not in ("efron", "breslow"):
        raise InputError("unknown baseline hazard type", argument="kind", value=kind, fix="use 'efron' or 'breslow'")
    if kind == "efron" and fit.ties != "efron":
        raise InputError("Efron-type increments need an Efron fit", argument="kind", value=kind,
                         fix="use kind='breslow' or refit with ties='efron'")
    return kind


def baseline_hazard(fit: CoxResult, kind: Literal["efron", "breslow"] | None = None,
                    centered: bool = False) -> BaselineHazard:
    """Cumulative baseline hazard, as R's ``basehaz(fit, centered)``.

    ``centered=False`` gives the hazard at covariates 0 (factors at their reference level);
    ``centered=True`` at the covariate means. A model with an offset is evaluated at the
    mean offset, as R does.
    """
    ctype = _default_kind(fit, kind)
    st = fit._state
    lp = st.offset_mean
    if not centered:
        lp -= float(fit.means @ fit.coef)
    scale = np.exp(lp)
    parts = _timelines(fit, ctype)
    labels = st.strata_labels
    strata = None
    if labels:
        strata = np.concatenate([np.repeat(labels[t.stratum], t.time.size) for t in parts]).astype(object)
    return BaselineHazard(
        time=np.concatenate([t.time for t in parts]),
        hazard=np.concatenate([np.cumsum(t.haz) * scale for t in parts]),
        n_risk=np.concatenate([t.n_risk for t in parts]),
        n_event=np.concatenate([t.n_event for t in parts]),
        strata=strata, kind=ctype, centered=centered,
    )


def _newdata_rows(fit: CoxResult, newdata: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariates (centered), offsets and strata codes of the new rows."""
    st = fit._state
    p = fit.coef.size
    strata = None
    if st.design is not None or (hasattr(newdata, "columns") and st.strata_names):
        import pandas as pd

        nd = newdata if isinstance(newdata, pd.DataFrame) else pd.DataFrame(
            {k: np.atleast_1d(v) for k, v in dict(newdata).items()})
        X = st.design.transform(nd) if st.design is not None else np.zeros((len(nd), 0))
        n = len(nd)
        off = np.zeros(n)
        if st.has_offset:
            from sarcohort.stats.expressions import evaluate, names

            expr = _offset_expr(fit)
            if expr is not None and names(expr) <= set(map(str, nd.columns)):
                off = np.asarray(evaluate(expr, nd), dtype=float) * np.ones(n)
            else:
                off = np.full(n, st.offset_mean)
        if st.strata_names:
            strata = _strata_codes(fit, nd)
    else:
        X = np.atleast_2d(np.asarray(newdata, dtype=float))
        if X.shape[1] != p and X.shape[0] == p and X.shape[1] == 1:
            X = X.T
        n = X.shape[0]
        off = np.zeros(n)
    if X.shape[1] != p:
        raise InputError(f"needs {p} covariate columns", argument="newdata", value=X.shape)
    if strata is None:
        if st.strata_labels and len(st.strata_labels) > 1:
            raise InputError("a stratified model needs the strata variables in newdata", argument="newdata",
                             fix=f"add columns {list(st.strata_names) or 'for the strata'}")
        strata = np.zeros(n, dtype=np.int64) + (int(st.setup.strata[0]) if st.setup.n else 0)
    return X - fit.means, off, strata


def _offset_expr(fit: CoxResult) -> str | None:
    return fit._state.offset_expr


def _strata_codes(fit: CoxResult, nd: Any) -> np.ndarray:
    from sarcohort.stats.design import _raw
    from sarcohort.stats.formula import format_level

    st = fit._state
    cols = [np.asarray(_raw(e, nd), dtype=object) for e in st.strata_names]
    codes = []
    for i in range(len(nd)):
        label = ", ".join(f"{e}={format_level(c[i])}" for e, c in zip(st.strata_names, cols, strict=True))
        if label not in st.strata_labels:  # R labels strata of factors by their levels alone
            short = ", ".join(format_level(c[i]) for c in cols)
            label = short if short in st.strata_labels else label
        if label not in st.strata_labels:
            raise InputError("stratum not in the fitted data", argument="newdata", value=label,
                             fix=f"use one of {list(st.strata_labels)}")
        codes.append(st.strata_labels.index(label))
    return np.asarray(codes, dtype=np.int64)


def predict_survival(fit: CoxResult, newdata: Any, *, conf_level: float | None = None,
                     kind: Literal["efron", "breslow"] | None = None, conf_type: str = "log") -> CoxSurvival:
    """Survival curves for covariate profiles, as ``survfit(fit, newdata)``.

    Parameters
    ----------
    fit
        The Cox fit.
    newdata
        A DataFrame (or dict) with the model's variables (formula fits: as in the data, e.g.
        ``celltype="adeno"``; the strata variables for a stratified model), or an array of
        covariate rows for array fits.
    conf_level
        Confidence level (default: the fit's).
    kind
        Hazard increments: Efron-type (default after an Efron fit) or Breslow.
    conf_type
        Scale of the pointwise limits, as ``survfit(conf.type = )``: ``"log"`` (R's default),
        ``"log-log"``, ``"plain"``, ``"logit"`` or ``"arcsin"``.

    Returns
    -------
    CoxSurvival
        One curve per new row: S = exp(-H), the SE of H including the variance of beta-hat,
        and confidence limits on the ``conf_type`` scale.
    """
    from sarcohort.stats.km import CONF_TYPES, confidence_band

    ctype = _default_kind(fit, kind)
    level = fit.conf_level if conf_level is None else conf_level
    if conf_type not in CONF_TYPES:
        raise InputError("unknown confidence band type", argument="conf_type", value=conf_type,
                         fix=f"use one of {sorted(CONF_TYPES)}")
    Xc, off, strata = _newdata_rows(fit, newdata)
    lines = {t.stratum: t for t in _timelines(fit, ctype)}
    stratified = len(fit._state.strata_labels) > 0
    curves = []
    for i in range(Xc.shape[0]):
        t = lines[int(strata[i])]
        x = Xc[i]
        risk = float(np.exp(x @ fit.coef + off[i]))
        H = np.cumsum(t.haz)
        dt = np.cumsum(t.haz[:, None] * x[None, :] - t.xbar, axis=0)
        varh = (np.cumsum(t.varhaz) + np.einsum("ij,jk,ik->i", dt, fit.var, dt)) * risk**2
        se = np.sqrt(varh)
        cumhaz = H * risk
        surv = np.exp(-cumhaz)
        lower, upper = confidence_band(surv, se, CONF_TYPES[conf_type], level)
        name = str(i + 1) if (stratified or Xc.shape[0] > 1) else "All"
        curves.append(CoxCurve(name, t.time, t.n_risk, t.n_event, t.n_censor, surv, se, cumhaz, se,
                               lower, upper))
    return CoxSurvival(tuple(curves), level)


@dataclass(frozen=True)
class CoxPrediction:
    """Predictions of a Cox fit per row (R's ``predict.coxph``): values and their SEs."""

    kind: str
    fit: np.ndarray
    se: np.ndarray | None

    def to_frame(self) -> pd.DataFrame:
        """Columns ``fit`` (and ``se``)."""
        import pandas as pd

        cols: dict[str, Any] = {"fit": self.fit}
        if self.se is not None:
            cols["se"] = self.se
        return pd.DataFrame(cols)


_PREDICT = ("lp", "risk", "expected")


def predict(fit: CoxResult, newdata: Any = None, *, kind: Literal["lp", "risk", "expected"] = "lp",
            se_fit: bool = False, reference: Literal["strata", "sample", "zero"] = "strata",
            time: Any = None, entry: Any = None) -> CoxPrediction:
    """Linear predictor, relative risk or expected number of events, as R's ``predict(fit, type)``.

    Parameters
    ----------
    fit
        The Cox fit.
    newdata
        New rows (as for :func:`predict_survival`); None = the analysed rows, in input order.
    kind
        ``"lp"`` (``x'b`` + offset), ``"risk"`` (``exp(lp)``) or ``"expected"`` (the expected
        number of events over each row's follow-up: for the analysed rows, event - martingale
        residual; for new rows, the predicted cumulative hazard ``H(t; x)`` at the row's time,
        or ``H(stop; x) - H(entry; x)`` for counting-process data, with the baseline hazard
        of the fit's ties, as R's ``predict(fit, newdata, type = "expected")``).
    se_fit
        Also return standard errors (``lp``: ``sqrt(x' V x)``; ``risk``: that times ``sqrt(risk)``,
        R's formula; ``expected``: the SE of the predicted cumulative hazard, including the
        variance of the coefficients, as ``survfit(fit, newdata)``'s ``std.err`` of ``H``; for a
        counting-process row, the delta-method SE of ``H(stop; x) - H(entry; x)``. R 3.5-3's
        ``predict`` differs there on purpose: its new-data branch reads the variance pieces at
        the entry time for both ends, so its SE of an increment is not that of the increment).
    reference
        Centering of ``x``: ``"strata"`` (R's default: the case-weighted covariate means of the
        row's stratum in a stratified model, the fit's means otherwise), ``"sample"`` (the fit's
        means, as ``fit.linear_predictors``) or ``"zero"``. Not used by ``"expected"``.
    time, entry
        Follow-up of new rows for ``"expected"`` after an array fit (exit times, and entry
        times for counting-process data); a formula fit reads them from ``newdata``'s columns
        named in ``Surv()``, as R.

    Examples
    --------
    >>> import numpy as np, sarcohort as sc
    >>> from sarcohort.stats._cox_predict import predict
    >>> t, e = np.array([1., 2, 3, 4, 5, 6]), np.array([1, 1, 0, 1, 1, 0])
    >>> fit = sc.cox(t, e, np.array([[0.], [1], [0], [1], [0], [1]]))
    >>> predict(fit, np.array([[1.0]]), kind="expected", time=[2.5]).fit.round(4)
    array([0.3216])
    """
    if kind not in _PREDICT:
        raise InputError("unknown prediction type", argument="kind", value=kind, fix=f"use one of {_PREDICT}")
    if reference not in ("strata", "sample", "zero"):
        raise InputError("unknown reference", argument="reference", value=reference,
                         fix="use 'strata', 'sample' or 'zero'")
    st = fit._state
    cs = st.setup
    if kind == "expected":
        if newdata is not None:
            return _expected_new(fit, newdata, time, entry, se_fit)
        if se_fit:
            raise InputError("the SE of expected events is computed for new rows", argument="se_fit",
                             fix="pass the rows (with their times) as newdata")
        from sarcohort.stats._cox_residuals import martingale_sorted

        out = np.empty(cs.n)
        out[cs.order] = cs.event - martingale_sorted(cs, st.final)
        return CoxPrediction(kind, out, None)
    if newdata is None:
        Xc = np.empty((cs.n, cs.p))
        Xc[cs.order] = cs.X  # centered at the fit's means, input order
        off = np.empty(cs.n)
        off[cs.order] = cs.offset
        strata = np.empty(cs.n, dtype=np.int64)
        strata[cs.order] = cs.strata
    else:
        Xc, off, strata = _newdata_rows(fit, newdata)
    off = off - st.offset_mean
    if reference == "zero":
        Xc = Xc + fit.means
    elif reference == "strata" and len(st.strata_labels) > 1:
        w = np.ones(cs.n) if cs.cw is None else cs.cw
        k = int(cs.strata.max()) + 1
        tot = np.bincount(cs.strata, w, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            smeans = np.column_stack([np.bincount(cs.strata, w * cs.X[:, j], minlength=k) for j in range(cs.p)]
                                     ) / tot[:, None] if cs.p else np.zeros((k, 0))
        Xc = Xc - smeans[strata]
    lp = Xc @ fit.coef + off
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xc, fit.var, Xc)) if se_fit else None
    if kind == "risk":
        lp = np.exp(lp)
        if se is not None:
            se = se * np.sqrt(lp)
    return CoxPrediction(kind, lp, se)


def _newdata_times(fit: CoxResult, newdata: Any, time: Any, entry: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Exit (and entry) times of new rows: given, or read from newdata by the Surv() names."""
    exprs = fit._state.surv_exprs
    if time is None and exprs:
        import pandas as pd

        from sarcohort.stats.expressions import evaluate

        nd = newdata if isinstance(newdata, pd.DataFrame) else pd.DataFrame(
            {k: np.atleast_1d(v) for k, v in dict(newdata).items()})
        try:
            time = evaluate(exprs[-2], nd)
            if len(exprs) == 3:
                entry = evaluate(exprs[0], nd)
        except InputError as exc:
            raise InputError("expected events need the follow-up of each new row", argument="newdata",
                             fix=f"add the columns of Surv({', '.join(exprs)})") from exc
    if time is None:
        raise InputError("expected events need the follow-up of each new row", argument="time",
                         fix="pass time= (and entry= for counting-process data)")
    try:
        stop = np.asarray(time, dtype=float).reshape(-1)
        start = None if entry is None else np.asarray(entry, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputError("times must be numbers", argument="time") from exc
    for name, v in (("time", stop), ("entry", start)):
        if v is not None and not np.isfinite(v).all():
            raise InputError("times must be finite numbers", argument=name,
                             fix="drop the rows with a missing time")
    if start is not None and (start.shape != stop.shape or (start >= stop).any()):
        raise InputError("entry times must come before the exit times, one per row", argument="entry")
    return stop, start


def _expected_new(fit: CoxResult, newdata: Any, time: Any, entry: Any, se_fit: bool) -> CoxPrediction:
    """Expected events of new rows: H(t; x) over each row's follow-up, and its SE."""
    stop, start = _newdata_times(fit, newdata, time, entry)
    Xc, off, strata = _newdata_rows(fit, newdata)
    if stop.size != Xc.shape[0]:
        raise InputError(f"needs one time per new row ({Xc.shape[0]})", argument="time", value=stop.size)
    lines = {t.stratum: t for t in _timelines(fit, _default_kind(fit, None))}
    out = np.empty(stop.size)
    se = np.empty(stop.size)
    for i in range(stop.size):
        t = lines[int(strata[i])]
        # cumulative sums with a leading 0: the value just after the last time <= the row's time
        H = np.r_[0.0, np.cumsum(t.haz)]
        V = np.r_[0.0, np.cumsum(t.varhaz)]
        XB = np.vstack([np.zeros((1, Xc.shape[1])), np.cumsum(t.xbar, axis=0)])
        j = int(np.searchsorted(t.time, stop[i], side="right"))
        j0 = 0 if start is None else int(np.searchsorted(t.time, start[i], side="right"))
        risk = float(np.exp(Xc[i] @ fit.coef + off[i]))
        d = (H[j] - H[j0]) * Xc[i] - (XB[j] - XB[j0])
        out[i] = (H[j] - H[j0]) * risk
        se[i] = np.sqrt(V[j] - V[j0] + d @ fit.var @ d) * risk
    return CoxPrediction("expected", out, se if se_fit else None)
