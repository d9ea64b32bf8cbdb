# Reference values for the log-rank test with whole-number case weights (R 4.2.2, survival 3.5-3).
# survdiff takes no weights; a whole-number case weight is a frequency, so the oracle is survdiff
# on the data with each row repeated `iw` times. Writes tests/reference/values/logrank_weights.json.
#   Rscript tests/reference/R/logrank_weights.R
# Data: tests/reference/data/lung_extra.csv (lung with the columns iw, w; see make_cases.R).
suppressPackageStartupMessages({library(survival); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
lung_extra <- read.csv(file.path(here, "..", "data", "lung_extra.csv"))
replicated <- lung_extra[rep(seq_len(nrow(lung_extra)), lung_extra$iw), ]

one <- function(formula, rho) {
  fit <- survdiff(as.formula(formula), data = replicated, rho = rho)
  out <- list(formula = formula, rho = rho, observed = unname(fit$obs), expected = unname(fit$exp),
              var = unname(fit$var), chisq = unname(fit$chisq),
              df = length(fit$n) - 1, p = pchisq(fit$chisq, length(fit$n) - 1, lower.tail = FALSE))
  if (is.matrix(fit$obs)) {
    out$observed <- unname(rowSums(fit$obs)); out$expected <- unname(rowSums(fit$exp))
    out$observed_by_strata <- unname(fit$obs); out$expected_by_strata <- unname(fit$exp)
  }
  out
}
cases <- list(
  sex = one("Surv(time, status) ~ sex", 0),
  sex_rho1 = one("Surv(time, status) ~ sex", 1),
  ecog_strata_sex = one("Surv(time, status) ~ ph.ecog + strata(sex)", 0)
)
out <- list(description = paste("survdiff on lung_extra with each row repeated iw times: the log-rank test",
                                 "with whole-number case weights iw"),
            r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
            cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "..", "values", "logrank_weights.json"))
