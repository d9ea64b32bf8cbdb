#!/usr/bin/env Rscript
# Firth-penalised Cox reference values for sarcohort (tests/stats/test_cox_firth.py).
#
# The oracle is the DEFINITION, not a package: the penalised log partial likelihood
#   pl(beta) = log L(beta) + 1/2 log det I(beta)
# with L and I taken from survival::coxph(..., init = beta, iter.max = 0) (loglik[2] and the
# inverse of fit$var), maximised numerically (optim BFGS, central-difference gradients from
# numDeriv, polished by Newton steps on numDeriv's Richardson Hessian). Profile penalised-
# likelihood confidence limits solve 2 (pl(beta_hat) - max_{beta_-j} pl(b, beta_-j)) =
# qchisq(0.95, 1) by uniroot; penalised likelihood-ratio tests compare pl(beta_hat) with the
# profile at b = 0 (per coefficient) and with pl(0) (global), as R's coxphf reports them.
#
# Usage (repository root; R 4.2.2, survival 3.5-3, numDeriv, jsonlite):
#   Rscript tests/reference/R/make_firth.R      # writes tests/reference/firth/*.json and firth_sep.csv
suppressPackageStartupMessages({library(survival); library(jsonlite); library(numDeriv)})
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF <- normalizePath(file.path(dirname(script_file), ".."))
OUT <- file.path(REF, "firth")
dir.create(OUT, showWarnings = FALSE)

# a small series with monotone likelihood: no event among the 12 patients with grp == 1,
# follow-up in whole months (ties), a continuous covariate
set.seed(13)
n <- 40
sep <- data.frame(time = pmax(1, round(rexp(n, 1 / 20))), status = rbinom(n, 1, 0.7),
                  grp = rep(c(0, 1), c(28, 12)), age = round(rnorm(n, 50, 10)),
                  centre = rep(c("A", "B"), 20))
sep$status[sep$grp == 1] <- 0
write.csv(sep, file.path(REF, "data", "firth_sep.csv"), row.names = FALSE)
sep <- read.csv(file.path(REF, "data", "firth_sep.csv"))
lung <- read.csv(file.path(REF, "data", "lung.csv"))
lung <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]), ]

firth_case <- function(name, formula, data, ties, level = 0.95) {
  f <- function(beta) {
    fit <- tryCatch(suppressWarnings(coxph(formula, data = data, ties = ties, init = beta,
                                           control = coxph.control(iter.max = 0))),
                    error = function(e) NULL)
    if (is.null(fit)) return(-1e10)  # exp() overflow far out: a very low value
    ld <- determinant(fit$var, logarithm = TRUE)  # log det I = -log det var
    if (ld$sign <= 0 || !is.finite(ld$modulus) || !is.finite(fit$loglik[2])) return(-1e10)
    fit$loglik[2] - 0.5 * as.numeric(ld$modulus)
  }
  p <- length(coef(suppressWarnings(coxph(formula, data = data, ties = ties,
                                           control = coxph.control(iter.max = 0)))))
  maximise <- function(fun, start) {
    if (length(start) == 0) return(list(par = start, value = fun(start)))
    o <- optim(start, function(b) -fun(b), function(b) -grad(fun, b, method = "simple",
               method.args = list(eps = 1e-6)) , method = "BFGS",
               control = list(reltol = 1e-15, maxit = 500))
    b <- o$par
    for (k in 1:6) {  # Newton polish with Richardson derivatives
      g <- grad(fun, b)
      if (max(abs(g)) < 1e-10) break
      H <- hessian(fun, b)
      b <- b - solve(H, g)
    }
    list(par = b, value = fun(b))
  }
  full <- maximise(f, rep(0, p))
  bhat <- full$par
  fit_at <- suppressWarnings(coxph(formula, data = data, ties = ties, init = bhat,
                                   control = coxph.control(iter.max = 0)))
  se <- sqrt(diag(fit_at$var))
  profile <- function(j, b) {
    g <- function(other) { beta <- numeric(p); beta[j] <- b; beta[-j] <- other; f(beta) }
    maximise(g, bhat[-j])$value
  }
  q <- qchisq(level, 1)
  lower <- upper <- chisq <- numeric(p)
  for (j in seq_len(p)) {
    dev <- function(b) 2 * (full$value - profile(j, b)) - q
    step <- 2 * se[j]
    hi <- bhat[j] + step; while (dev(hi) < 0) hi <- hi + step
    lo <- bhat[j] - step; while (dev(lo) < 0) lo <- lo - step
    upper[j] <- uniroot(dev, c(bhat[j], hi), tol = 1e-11)$root
    lower[j] <- uniroot(dev, c(lo, bhat[j]), tol = 1e-11)$root
    chisq[j] <- 2 * (full$value - profile(j, 0))
  }
  # per term (all columns of a factor at 0 together)
  assign <- fit_at$assign  # list: term -> its columns
  term_chisq <- sapply(assign, function(cols) {
    if (length(cols) == p) return(2 * (full$value - f(rep(0, p))))
    g <- function(other) { beta <- numeric(p); beta[-cols] <- other; f(beta) }
    2 * (full$value - maximise(g, bhat[-cols])$value)
  })
  term_df <- unname(sapply(assign, length))
  pl0 <- f(rep(0, p))
  ordinary <- suppressWarnings(coxph(formula, data = data, ties = ties))
  out <- list(name = name, formula = paste(deparse(formula), collapse = ""), ties = ties,
              data = attr(data, "file"), conf_level = level, terms = names(coef(ordinary)),
              coef = bhat, se = se, var = fit_at$var, lower = lower, upper = upper,
              lr_coef_chisq = chisq, term_chisq = unname(term_chisq), term_df = term_df, lr_coef_p = pchisq(chisq, 1, lower.tail = FALSE),
              penalized_loglik = c(pl0, full$value), loglik = fit_at$loglik[2],
              lr_global_chisq = 2 * (full$value - pl0),
              lr_global_p = pchisq(2 * (full$value - pl0), p, lower.tail = FALSE),
              ordinary_coef = unname(coef(ordinary)),
              r_version = R.version.string, survival_version = as.character(packageVersion("survival")))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(OUT, paste0(name, ".json")))
  cat(name, "done\n")
}
attr(lung, "file") <- "data/lung.csv"
attr(sep, "file") <- "data/firth_sep.csv"
firth_case("lung_efron", Surv(time, status) ~ age + sex + ph.ecog, lung, "efron")
firth_case("lung_breslow_strata", Surv(time, status) ~ age + ph.ecog + strata(sex), lung, "breslow")
firth_case("lung_factor_efron", Surv(time, status) ~ age + factor(ph.ecog), lung, "efron")
firth_case("sep_efron", Surv(time, status) ~ grp + age, sep, "efron")
firth_case("sep_breslow_strata", Surv(time, status) ~ grp + age + strata(centre), sep, "breslow")
