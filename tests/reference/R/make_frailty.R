#!/usr/bin/env Rscript
# Reference cases for the shared gamma frailty of coxph(... + frailty(group)) (survival 3.5-3,
# the default gamma distribution, method "em"), for sarcohort's tests (which never need R).
#
# Usage, from the repository root (R 4.2.2, survival 3.5-3, base R otherwise):
#
#   Rscript tests/reference/R/make_frailty.R     # writes data/{rats,kidney}.csv, values/frailty/*.json
#
# For every case three fits are written:
#   "default":  R's own fit, coxph(... + frailty(g)): its theta search (frailty.controlgam) stops
#               when the integrated log-likelihood changes by less than eps = 1e-5 relative, so its
#               theta is not the maximiser (kept to measure how far R's default stops from it);
#   "maximiser": the exact maximiser of R's integrated log-likelihood (history$c.loglik):
#               optimize() over theta of c.loglik(theta) from fixed-theta fits
#               coxph(... + frailty(g, theta = t)) converged to rounding (eps = 1e-300, see fixed()), then that
#               fixed-theta fit at the maximising theta (coefficients, var, var2, likelihoods,
#               frailties, frailty test);
#   "theta0":   the limit theta = 0 (no frailty): c.loglik(0) is the plain coxph loglik.
# Every number is written at full double precision (shortest round-trip), as the other cases.

suppressPackageStartupMessages(library(survival))
options(warn = 1)
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF_DIR <- normalizePath(file.path(dirname(script_file), ".."))
OUT_DIR <- file.path(REF_DIR, "values", "frailty")
DATA_DIR <- file.path(REF_DIR, "data")
dir.create(OUT_DIR, showWarnings = FALSE)

source(file.path(dirname(script_file), "json_writer.R"))   # fmt_num, json_str, to_json

# ---- data -----------------------------------------------------------------------------------
write_data <- function(df, name) {
  path <- file.path(DATA_DIR, paste0(name, ".csv"))
  write.csv(df, path, row.names = FALSE)
  back <- read.csv(path)
  stopifnot(isTRUE(all.equal(back, as.data.frame(lapply(df, function(c) if (is.factor(c)) as.character(c) else c)),
                             check.attributes = FALSE, tolerance = 0)))
  back
}
rats <- write_data(survival::rats, "rats")        # litter, rx, time, status, sex ("f"/"m")
kidney <- write_data(survival::kidney, "kidney")  # id, time, status, age, sex, disease, frail
synth <- read.csv(file.path(DATA_DIR, "synth_competing.csv"))

TIGHT <- suppressWarnings(coxph.control(eps = 1e-300, toler.chol = 1e-300, iter.max = 1000))

# what R reports for a coxph.penal fit with one sparse frailty term
summarise <- function(fit, theta) {
  h <- fit$history[[1]]
  fterm <- which(fit$pterms > 0)
  if (is.null(fit$coefficients)) {           # frailty alone: no coefficient, var or var2
    fit$coefficients <- numeric(0)
    fit$var <- fit$var2 <- matrix(0, 0, 0)
  }
  if (fit$pterms[fterm] == 2) {             # sparse term (more than 5 groups): printfun with vector fvar
    keep <- seq_along(coef(fit))
    frail <- fit$frail
    fvar <- fit$fvar
    test <- sum(frail^2 / fvar)
  } else {                                  # non-sparse: the frailties are coefficients "gamma:..."
    fcols <- fit$assign2[[fterm]]
    keep <- setdiff(seq_along(coef(fit)), fcols)
    frail <- unname(coef(fit)[fcols])
    fvar <- unname(diag(fit$var)[fcols])
    test <- coxph.wtest(fit$var[fcols, fcols], frail)$test
  }
  df <- fit$df[fterm]
  list(theta = theta, sparse = fit$pterms[fterm] == 2, coef = unname(coef(fit)[keep]), names = names(coef(fit))[keep],
       var = unname(as.matrix(fit$var)[keep, keep, drop = FALSE]), var2 = unname(as.matrix(fit$var2)[keep, keep, drop = FALSE]),
       loglik_null = fit$loglik[1], loglik = fit$loglik[2], penalty = fit$penalty[2],
       loglik_penalized = fit$loglik[2] - fit$penalty[2], loglik_integrated = h$c.loglik,
       frail = frail, fvar = fvar, df = unname(fit$df), term_df = unname(fit$df[-fterm]),
       frailty_test = list(chisq = test, df = df, p = pchisq(test, max(df, 0.5), lower.tail = FALSE)),
       wald_chisq = unname(coef(fit)[keep]^2 / diag(as.matrix(fit$var))[keep]),
       n = fit$n, n_event = fit$nevent, iter = fit$iter)
}

run_case <- function(name, description, data, rhs, group, ties, upper) {
  lhs <- if ("os_time" %in% names(data)) "Surv(os_time, os_status)" else "Surv(time, status)"
  fml <- function(fr) as.formula(paste(lhs, "~", sub("FRAIL", fr, rhs, fixed = TRUE)))
  default_call <- sprintf("coxph(%s ~ %s, data, ties = \"%s\")", lhs, sub("FRAIL", sprintf("frailty(%s)", group), rhs, fixed = TRUE), ties)
  fit <- coxph(fml(sprintf("frailty(%s)", group)), data = data, ties = ties)
  hist <- fit$history[[1]]$history
  default <- summarise(fit, hist[nrow(hist), 1])
  default$history <- unname(hist)
  # R's inner loop (coxfit5) takes Newton steps on an information whose frailty block is cut to
  # its diagonal, so it converges linearly and stops on the relative change of the penalised
  # log-likelihood: eps = 1e-14 still leaves ~1e-7 in the coefficients. With eps = 1e-300 it
  # runs until the log-likelihood stops changing in floating point (or 1000 iterations, which
  # R reports as "Inner loop failed to converge"; the iterate is then converged to rounding).
  fixed <- function(t) suppressWarnings(coxph(fml(sprintf("frailty(%s, theta = %.17g)", group, t)),
                                              data = data, ties = ties, control = TIGHT))
  cl <- function(t) fixed(t)$history[[1]]$c.loglik
  opt <- optimize(cl, c(0, upper), maximum = TRUE, tol = 1e-12)
  top <- fixed(opt$maximum)
  maximiser <- summarise(top, opt$maximum)
  plain <- coxph(fml("1"), data = data, ties = ties, control = coxph.control(eps = 1e-12, toler.chol = 1e-13))
  theta0 <- list(loglik_integrated = cl(0), loglik_plain = plain$loglik[2], coef_plain = unname(coef(plain)))
  levels <- sort(unique(data[[group]]))
  case <- list(case = name, kind = "frailty", description = description,
               formula = paste(lhs, "~", sub("FRAIL", sprintf("frailty(%s)", group), rhs, fixed = TRUE)),
               group = group, levels = levels, ties = ties,
               calls = list(default = default_call,
                            maximiser = sprintf("optimize(function(t) coxph(... + frailty(%s, theta = t), ties = \"%s\", control = coxph.control(eps = 1e-300, toler.chol = 1e-300, iter.max = 1000))$history[[1]]$c.loglik, c(0, %g), maximum = TRUE, tol = 1e-12); then the fit at the maximum", group, ties, upper)),
               default = default, maximiser = maximiser, theta0 = theta0,
               r_version = R.version.string, survival_version = as.character(packageVersion("survival")))
  writeLines(to_json(case), file.path(OUT_DIR, paste0(name, ".json")))
  cat(sprintf("wrote %s: default theta %.6g (c.loglik %.10g), maximiser theta %.8g (c.loglik %.12g)\n",
              name, default$theta, default$loglik_integrated, opt$maximum, maximiser$loglik_integrated))
}

rats_f <- rats[rats$sex == "f", ]
run_case("frailty_rats_f_efron", "survival's rats, females (the frailty example of ?frailty): rx, frailty(litter), Efron",
         rats_f, "rx + FRAIL", "litter", "efron", 5)
run_case("frailty_rats_breslow", "survival's rats, all 300: rx + sex, frailty(litter), Breslow",
         rats, "rx + sex + FRAIL", "litter", "breslow", 5)
run_case("frailty_kidney_efron", "survival's kidney: age + sex, frailty(id), Efron",
         kidney, "age + sex + FRAIL", "id", "efron", 5)
run_case("frailty_kidney_strata_breslow", "survival's kidney: age + sex + strata(disease), frailty(id), Breslow",
         kidney, "age + sex + FRAIL + strata(disease)", "id", "breslow", 5)
run_case("frailty_synth_efron", "synthetic cohort (data/synth_competing.csv): age + timing, frailty(centre), Efron",
         synth, "age + timing + FRAIL", "centre", "efron", 5)
run_case("frailty_kidney_disease_efron", "survival's kidney: age + sex, frailty(disease) (4 groups: R's non-sparse term), Efron",
         kidney, "age + sex + FRAIL", "disease", "efron", 5)
run_case("frailty_kidney_alone_efron", "survival's kidney: frailty(id) alone (no covariate), Efron",
         kidney, "FRAIL", "id", "efron", 5)
