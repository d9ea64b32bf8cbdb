#!/usr/bin/env Rscript
# Reference cases from survRM2 itself (rmst2: RMST per arm, difference, ratio and RMTL ratio,
# and its rule for the largest usable tau), for sarcohort's rmst_test. Tests never need R.
#
# survRM2 is on CRAN but not packaged by Debian; install its source package into a private
# library first (it is plain R and depends on survival only), then run from the repository root:
#
#   R CMD INSTALL -l /tmp/Rlib survRM2_1.0-4.tar.gz        # or an unpacked source folder
#   R_LIBS=/tmp/Rlib Rscript tests/reference/R/survrm2_cases.R   # writes values/competing/survrm2_*.json
#
# Versions used: R 4.2.2, survival 3.5-3, survRM2 1.0-4. Arm 0 is the reference (sarcohort's
# first group). With tau = NULL, rmst2 uses the largest tau its rule allows (its four cases,
# all covered below), so `tau` of a default case is that bound.

suppressPackageStartupMessages({
  library(survival)
  library(survRM2)
})
options(warn = 1)
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF_DIR <- normalizePath(file.path(dirname(script_file), ".."))
OUT_DIR <- file.path(REF_DIR, "values", "competing")
source(file.path(dirname(script_file), "json_writer.R"))

write_case <- function(name, description, call, data, result) {
  case <- list(case = name, kind = "survrm2", description = description, calls = list(rmst2 = call),
               data = data, result = result, r_version = R.version.string,
               survival_version = as.character(packageVersion("survival")),
               survRM2_version = as.character(packageVersion("survRM2")))
  writeLines(to_json(case), file.path(OUT_DIR, paste0(name, ".json")))
  cat("wrote", name, "\n")
}

survrm2_case <- function(name, description, time, status, arm, tau = NULL, alpha = 0.05) {
  fit <- rmst2(time, status, arm, tau = tau, alpha = alpha)
  u <- fit$unadjusted.result
  a0 <- fit$RMST.arm0$result; a1 <- fit$RMST.arm1$result
  res <- list(tau = fit$tau, conf_level = 1 - alpha,
              rmst = I(c(a0["RMST", "Est."], a1["RMST", "Est."])),
              se = I(c(a0["RMST", "se"], a1["RMST", "se"])),
              lower = I(c(a0["RMST", 3], a1["RMST", 3])), upper = I(c(a0["RMST", 4], a1["RMST", 4])),
              rmtl = I(c(a0["RMTL", "Est."], a1["RMTL", "Est."])),
              diff = I(u[1, 1]), diff_lower = I(u[1, 2]), diff_upper = I(u[1, 3]), diff_p = I(u[1, 4]),
              ratio = I(u[2, 1]), ratio_lower = I(u[2, 2]), ratio_upper = I(u[2, 3]), ratio_p = I(u[2, 4]),
              rmtl_ratio = I(u[3, 1]), rmtl_ratio_lower = I(u[3, 2]), rmtl_ratio_upper = I(u[3, 3]),
              rmtl_ratio_p = I(u[3, 4]))
  # just beyond the bound, rmst2 stops (only checked for a default case, whose tau is the bound)
  if (is.null(tau)) {
    res$refused_beyond <- inherits(try(rmst2(time, status, arm, tau = fit$tau * 1.001), silent = TRUE),
                                   "try-error")
  }
  call <- sprintf("rmst2(time, status, arm, tau = %s, alpha = %s)", deparse(tau), deparse(alpha))
  write_case(name, description, call,
             list(time = I(time), status = I(status), arm = I(arm)), res)
}

pbc <- read.csv(file.path(REF_DIR, "data", "pbc.csv"))
pbc <- pbc[!is.na(pbc$trt), ]
survrm2_case("survrm2_pbc_trt", "pbc, death (transplant censored), D-penicillamine (2) vs placebo (1), tau = 3000",
             pbc$time, as.integer(pbc$status == 2), as.integer(pbc$trt == 2), 3000)
survrm2_case("survrm2_pbc_trt_default", "pbc as above, default tau (both arms end censored: case 4)",
             pbc$time, as.integer(pbc$status == 2), as.integer(pbc$trt == 2))
lung <- read.csv(file.path(REF_DIR, "data", "lung.csv"))
survrm2_case("survrm2_lung_sex_90", "lung, women (2) vs men (1), tau = 365 days, 90% CIs",
             lung$time, as.integer(lung$status == 2), as.integer(lung$sex == 2), 365, alpha = 0.10)
synth <- read.csv(file.path(REF_DIR, "data", "synth_competing.csv"))
survrm2_case("survrm2_synth_os_timing", "synthetic cohort, OS by metastasis timing, tau = 730 days",
             synth$os_time, synth$os_status, as.integer(synth$timing == sort(unique(synth$timing))[2]), 730)

# the four cases of rmst2's tau rule, on small constructed data (default tau = the bound)
survrm2_case("survrm2_rule_case1", "both arms end with a death: tau up to the longer (9)",
             c(1, 3, 4, 6, 2, 5, 7, 9), c(1, 0, 1, 1, 1, 1, 0, 1), c(0, 0, 0, 0, 1, 1, 1, 1))
survrm2_case("survrm2_rule_case2", "the shorter arm ends with a death, the longer censored: the longer (9)",
             c(1, 3, 4, 6, 2, 5, 7, 9), c(1, 0, 1, 1, 1, 1, 1, 0), c(0, 0, 0, 0, 1, 1, 1, 1))
survrm2_case("survrm2_rule_case3", "the shorter arm ends censored, the longer with a death: the shorter (6)",
             c(1, 3, 4, 6, 2, 5, 7, 9), c(1, 1, 1, 0, 1, 0, 1, 1), c(0, 0, 0, 0, 1, 1, 1, 1))
survrm2_case("survrm2_rule_case4_tie", "both end censored; arm 0's last time has a death and a censoring (counts as censored): 6",
             c(1, 3, 6, 6, 2, 5, 7, 9), c(1, 1, 1, 0, 1, 0, 1, 0), c(0, 0, 0, 0, 1, 1, 1, 1))
