#!/usr/bin/env Rscript
# Reference cases for competing risks (cmprsk::cuminc, cmprsk::crr, survival's multi-state
# survfit), RMST contrasts (survRM2's arithmetic on survival's restricted mean) and the shared
# gamma frailty of coxph(... + frailty()), for sarcohort's tests (which never need R).
#
# Usage, from the repository root (R 4.2.2, survival 3.5-3, cmprsk 2.2-11; base R otherwise):
#
#   python tests/reference/R/make_synth_competing.py     # (re)writes data/synth_competing.csv
#   Rscript tests/reference/R/competing_cases.R          # writes values/competing/*.json
#
# Every number is written at full double precision (shortest round-trip); NA -> null,
# NaN/Inf -> strings, as the other reference cases. Each case carries the literal R calls.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
options(warn = 1)
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF_DIR <- normalizePath(file.path(dirname(script_file), ".."))
OUT_DIR <- file.path(REF_DIR, "values", "competing")
dir.create(OUT_DIR, showWarnings = FALSE)

source(file.path(dirname(script_file), "json_writer.R"))
write_case <- function(name, kind, dataset, description, calls, result) {
  case <- list(case = name, kind = kind, dataset = dataset, description = description,
               calls = calls, result = result, r_version = R.version.string,
               survival_version = as.character(packageVersion("survival")),
               cmprsk_version = as.character(packageVersion("cmprsk")))
  writeLines(to_json(case), file.path(OUT_DIR, paste0(name, ".json")))
  cat("wrote", name, "\n")
}
run <- function(call) eval(parse(text = call), envir = globalenv())

# ---- data ---------------------------------------------------------------------------------
pbc <- read.csv(file.path(REF_DIR, "data", "pbc.csv"))
pbc$sex <- factor(pbc$sex, levels = c("m", "f"))
# coarse times (ceiling to 100 days): heavy ties, censoring at event times
pbc$time100 <- ceiling(pbc$time / 100) * 100
pbc$cause <- factor(c("censored", "transplant", "death")[pbc$status + 1],
                    levels = c("censored", "transplant", "death"))
synth <- read.csv(file.path(REF_DIR, "data", "synth_competing.csv"))
lung <- read.csv(file.path(REF_DIR, "data", "lung.csv"))

# ---- cuminc -------------------------------------------------------------------------------
cuminc_case <- function(name, dataset, description, call, times_call) {
  fit <- run(call)
  tests <- fit$Tests
  curves <- fit[names(fit) != "Tests"]
  times <- run(times_call)
  tp <- timepoints(fit, times)
  res <- list(
    curves = lapply(names(curves), function(k) list(name = k, time = I(curves[[k]]$time),
                                                    est = I(curves[[k]]$est), var = I(curves[[k]]$var))),
    timepoints = list(times = I(times), names = I(rownames(tp$est)), est = tp$est, var = tp$var))
  if (!is.null(tests)) {
    res$tests <- list(causes = I(rownames(tests)), stat = I(tests[, "stat"]), pv = I(tests[, "pv"]),
                      df = I(tests[, "df"]),
                      p_upper = I(pchisq(tests[, "stat"], tests[, "df"], lower.tail = FALSE)))
  }
  write_case(name, "cuminc", dataset, description, list(cuminc = call, timepoints = times_call), res)
}
cuminc_case("cuminc_pbc_trt", "pbc", "CIF of transplant (1) and death (2) by trt, Gray's test",
            "cuminc(pbc$time, pbc$status, pbc$trt)", "c(-1, sort(unique(pbc$time)), 5000)")
cuminc_case("cuminc_pbc_trt_rho1", "pbc", "Gray's test with rho = 1",
            "cuminc(pbc$time, pbc$status, pbc$trt, rho = 1)", "c(0, 1000, 2000, 3000, 4000)")
cuminc_case("cuminc_pbc_stage_strata_sex", "pbc", "4 groups (stage), stratified by sex",
            "cuminc(pbc$time, pbc$status, pbc$stage, strata = pbc$sex)", "sort(unique(pbc$time))")
cuminc_case("cuminc_pbc_coarse_trt", "pbc", "times ceiling'd to 100 days: heavy ties, censoring at event times",
            "cuminc(pbc$time100, pbc$status, pbc$trt)", "sort(unique(pbc$time100))")
cuminc_case("cuminc_pbc_factor", "pbc", "status a factor (first level censoring), cencode = 'censored'",
            "cuminc(pbc$time, pbc$cause, pbc$sex, cencode = 'censored')", "c(500, 1500, 2500, 3500)")
cuminc_case("cuminc_pbc_overall", "pbc", "one group: no test",
            "cuminc(pbc$time, pbc$status)", "sort(unique(pbc$time))")
# the hand-worked example of tests/stats/test_cuminc.py (2 groups of 3)
tiny <- data.frame(time = c(1, 3, 4, 2, 3, 5), status = c(1, 1, 0, 2, 0, 1), group = c("A", "A", "A", "B", "B", "B"))
cuminc_case("cuminc_tiny", "tiny", "6 subjects, 2 groups: the hand-worked example",
            "cuminc(tiny$time, tiny$status, tiny$group)", "c(0, 1, 2, 3, 4, 5, 6)")
cuminc_case("cuminc_synth_timing", "synth_competing", "synthetic cohort: progression vs death without progression by timing",
            "cuminc(synth$time, synth$status, synth$timing)", "sort(unique(synth$time))")
cuminc_case("cuminc_synth_more5_strata_sex", "synth_competing", "synthetic cohort by more5, stratified by sex",
            "cuminc(synth$time, synth$status, synth$more5, strata = synth$sex)", "c(100, 365, 730)")

# ---- survival's multi-state survfit (Aalen-Johansen) ---------------------------------------
msm_case <- function(name, dataset, description, call) {
  fit <- run(call)
  k <- if (is.null(fit$strata)) c(All = length(fit$time)) else fit$strata
  ends <- cumsum(k); starts <- ends - k + 1
  res <- list(states = I(fit$states), strata = lapply(seq_along(k), function(i) {
    rows <- starts[i]:ends[i]
    list(name = names(k)[i], time = I(fit$time[rows]), n.risk = I(fit$n.risk[rows, 1]),
         pstate = fit$pstate[rows, , drop = FALSE])
  }))
  write_case(name, "msm_survfit", dataset, description, list(survfit = call), res)
}
msm_case("msm_pbc_trt", "pbc", "Aalen-Johansen by trt (survival's multi-state survfit)",
         "survfit(Surv(time, factor(status)) ~ trt, data = pbc)")
msm_case("msm_pbc_coarse_trt", "pbc", "Aalen-Johansen, coarse times",
         "survfit(Surv(time100, factor(status)) ~ trt, data = pbc)")

# ---- crr ----------------------------------------------------------------------------------
crr_case <- function(name, dataset, description, formula, data_name, time, status, failcode, cencode = 0) {
  mm_call <- sprintf("model.matrix(%s, %s)[, -1, drop = FALSE]", formula, data_name)
  call <- sprintf("crr(%s$%s, %s$%s, %s, failcode = %s, cencode = %s, gtol = 1e-10, maxiter = 100)",
                  data_name, time, data_name, status, mm_call, deparse(failcode), deparse(cencode))
  fit <- run(call)
  if (!fit$converged) stop(name, ": crr did not converge")
  s <- summary(fit)
  se <- sqrt(diag(fit$var))
  z <- fit$coef / se
  res <- list(terms = I(names(fit$coef)), coef = I(fit$coef), var = fit$var, se = I(se), z = I(z),
              p = I(2 * pnorm(-abs(z))), lower_95 = I(s$conf.int[, 3]), upper_95 = I(s$conf.int[, 4]),
              loglik = fit$loglik, loglik_null = fit$loglik.null, n = fit$n, converged = fit$converged,
              score = I(fit$score), invinf = fit$invinf,
              uftime = I(fit$uftime), bfitj = I(fit$bfitj))
  write_case(name, "crr", dataset, description, list(crr = call, formula = formula), res)
}
crr_case("crr_pbc_death", "pbc", "Fine-Gray for death, transplant competing",
         "~ age + log(bili) + albumin + factor(edema)", "pbc", "time", "status", 2)
crr_case("crr_pbc_transplant", "pbc", "Fine-Gray for transplant, death competing",
         "~ age + sex", "pbc", "time", "status", 1)
crr_case("crr_pbc_coarse_death", "pbc", "Fine-Gray, coarse (tied) times",
         "~ age + log(bili) + factor(trt)", "pbc", "time100", "status", 2)
crr_case("crr_synth_progression", "synth_competing", "Fine-Gray for progression, death without progression competing",
         "~ timing + age + sex + more5", "synth", "time", "status", 1)

# ---- RMST contrasts: survRM2's arithmetic on survival's rmean and se(rmean) --------------
rmst_case <- function(name, dataset, description, call, tau) {
  fit <- run(call)
  tab <- summary(fit, rmean = tau)$table
  if (is.null(dim(tab))) tab <- t(tab)
  rm <- tab[, "rmean"]; se <- tab[, "se(rmean)"]
  z <- qnorm(0.975)
  # contrasts of every group against the first (survRM2: arm 1 vs arm 0)
  d <- rm[-1] - rm[1]; dse <- sqrt(se[-1]^2 + se[1]^2)
  lr <- log(rm[-1]) - log(rm[1]); lrse <- sqrt(se[-1]^2 / rm[-1]^2 + se[1]^2 / rm[1]^2)
  rmtl <- tau - rm
  ltr <- log(rmtl[-1]) - log(rmtl[1]); ltrse <- sqrt(se[-1]^2 / rmtl[-1]^2 + se[1]^2 / rmtl[1]^2)
  res <- list(tau = tau, groups = I(rownames(tab)), rmst = I(rm), se = I(se),
              lower = I(rm - z * se), upper = I(rm + z * se), rmtl = I(rmtl),
              diff = I(d), diff_se = I(dse), diff_lower = I(d - z * dse), diff_upper = I(d + z * dse),
              diff_p = I(2 * pnorm(-abs(d) / dse)),
              ratio = I(exp(lr)), ratio_lower = I(exp(lr - z * lrse)), ratio_upper = I(exp(lr + z * lrse)),
              ratio_p = I(2 * pnorm(-abs(lr) / lrse)),
              rmtl_ratio = I(exp(ltr)), rmtl_ratio_lower = I(exp(ltr - z * ltrse)),
              rmtl_ratio_upper = I(exp(ltr + z * ltrse)), rmtl_ratio_p = I(2 * pnorm(-abs(ltr) / ltrse)))
  write_case(name, "rmst", dataset, description,
             list(survfit = call, table = sprintf("summary(fit, rmean = %s)$table", deparse(tau))), res)
}
rmst_case("rmst_pbc_trt", "pbc", "RMST by trt at tau = 3000 days (death; transplant censored)",
          "survfit(Surv(time, status == 2) ~ trt, data = pbc)", 3000)
rmst_case("rmst_pbc_stage", "pbc", "RMST by stage (4 groups) at tau = 2500",
          "survfit(Surv(time, status == 2) ~ stage, data = pbc)", 2500)
rmst_case("rmst_synth_os_timing", "synth_competing", "RMST of OS by timing at tau = 730 days",
          "survfit(Surv(os_time, os_status) ~ timing, data = synth)", 730)
