# Reference values of predict(fit, newdata, type = "expected", se.fit = TRUE) (R 4.2.2, survival 3.5-3):
# the expected number of events over a new row's follow-up and its SE.
# Writes tests/reference/values/predict_expected.json.
#   Rscript tests/reference/R/predict_expected.R
# Data: tests/reference/data/{lung,jasa1}.csv (the survival package's datasets, as shipped there).
suppressPackageStartupMessages({library(survival); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
lung <- read.csv(file.path(here, "..", "data", "lung.csv"))
jasa1 <- read.csv(file.path(here, "..", "data", "jasa1.csv"))
lung_new <- data.frame(time = c(100, 365.5, 700, 5, 1100), status = c(1, 0, 1, 0, 1),
                       age = c(60, 70, 55, 80, 45), sex = c(1, 2, 2, 1, 1), ph.ecog = c(0, 1, 2, 1, 0))
jasa_new <- data.frame(start = c(0, 10, 50.5), stop = c(30, 200, 1000), event = c(1, 0, 1),
                       age = c(-5, 2, 10), surgery = c(0, 1, 0), transplant = c(0, 1, 1))
one <- function(call, data, newdata) {
  fit <- eval(parse(text = call))
  p <- predict(fit, newdata = newdata, type = "expected", se.fit = TRUE)
  list(call = call, dataset = data, newdata = newdata, fit = unname(p$fit), se = unname(p$se.fit),
       coef = unname(coef(fit)))
}
cases <- list(
  lung_efron = one("coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)", "lung", lung_new),
  lung_breslow = one("coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = 'breslow')",
                     "lung", lung_new),
  lung_strata_sex = one("coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)", "lung", lung_new),
  jasa1_counting = one("coxph(Surv(start, stop, event) ~ age + surgery + transplant, data = jasa1)",
                       "jasa1", jasa_new)
)
out <- list(r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
            cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "columns"),
           file.path(here, "..", "values", "predict_expected.json"))
