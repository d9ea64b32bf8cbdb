#!/usr/bin/env Rscript
# Bootstrap validation reference values for sarcohort (tests/stats/test_validate_cox.py).
#
# rms::validate(cph(..., x = TRUE, y = TRUE, surv = TRUE), B) on lung (complete cases):
# the apparent indices (index.orig: they do not depend on the draws) and, with B = 2000
# replicates, the optimism-corrected ones as a precise Monte-Carlo target.
#
# Usage (repository root; R 4.2.2, survival 3.5-3, rms 6.5-0, jsonlite):
#   Rscript tests/reference/R/make_validate.R     # writes tests/reference/validate/*.json
suppressPackageStartupMessages({library(survival); library(rms); library(jsonlite)})
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF <- normalizePath(file.path(dirname(script_file), ".."))
lung <- read.csv(file.path(REF, "data", "lung.csv"))
lung <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog", "ph.karno")]), ]

case <- function(name, formula, method, B) {
  fit <- cph(formula, data = lung, x = TRUE, y = TRUE, surv = TRUE, method = method)
  set.seed(20261201)
  v <- rms::validate(fit, B = B)  # (jsonlite also exports a validate())
  out <- list(name = name, formula = paste(deparse(formula), collapse = ""), ties = method,
              data = "data/lung.csv", complete_cases = c("time", "status", "age", "sex", "ph.ecog", "ph.karno"),
              n = nrow(lung), B = B, index = rownames(v),
              index_orig = unname(v[, "index.orig"]), training = unname(v[, "training"]),
              test = unname(v[, "test"]), optimism = unname(v[, "optimism"]),
              index_corrected = unname(v[, "index.corrected"]), n_used = unname(v[, "n"]),
              coef = unname(coef(fit)),
              r_version = R.version.string, rms_version = as.character(packageVersion("rms")))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
             file.path(REF, "validate", paste0(name, ".json")))
  cat(name, "done\n")
}
case("lung_efron", Surv(time, status) ~ age + sex + ph.ecog + ph.karno, "efron", 2000)
