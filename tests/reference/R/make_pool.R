#!/usr/bin/env Rscript
# Rubin's rules reference for sarcohort (tests/stats/test_pool.py).
#
# mice 3.15 imputes lung (survival) 5 times by chained equations (predictive mean matching),
# with the outcome in the imputation models as White & Royston recommend (the event indicator
# and the Nelson-Aalen cumulative hazard, mice::nelsonaalen); the completed data sets are
# saved (tests/reference/data/lung_mice.csv, column .imp = 1..m) and so is
# pool(with(imp, coxph(...))) and its summary. The test refits the completed sets in Python
# and pools them: the pooled numbers must equal mice's.
#
# Usage (repository root; R 4.2.2, survival 3.5-3, mice 3.15.0, jsonlite):
#   Rscript tests/reference/R/make_pool.R
suppressPackageStartupMessages({library(survival); library(mice); library(jsonlite)})
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF <- normalizePath(file.path(dirname(script_file), ".."))
lung <- read.csv(file.path(REF, "data", "lung.csv"))
d <- lung[, c("time", "status", "age", "sex", "ph.ecog", "ph.karno", "wt.loss")]
d$event <- as.integer(d$status == 2)
d$nelson <- nelsonaalen(d, time, event)
pred <- make.predictorMatrix(d)
pred[, c("time", "status")] <- 0  # the outcome enters as event + nelson
meth <- make.method(d)
meth[meth != ""] <- "pmm"
imp <- mice(d, m = 5, method = meth, predictorMatrix = pred, seed = 20261201, printFlag = FALSE)
long <- complete(imp, "long")
write.csv(long[, c(".imp", "time", "status", "age", "sex", "ph.ecog", "ph.karno", "wt.loss")],
          file.path(REF, "data", "lung_mice.csv"), row.names = FALSE)
fits <- with(imp, coxph(Surv(time, status) ~ age + sex + ph.ecog + ph.karno + wt.loss))
pl <- pool(fits)
s <- summary(pl, conf.int = TRUE)
pp <- pl$pooled
out <- list(formula = "Surv(time, status) ~ age + sex + ph.ecog + ph.karno + wt.loss", m = pl$m,
            data = "data/lung_mice.csv", terms = as.character(pp$term),
            estimate = pp$estimate, ubar = pp$ubar, b = pp$b, t = pp$t, dfcom = pp$dfcom, df = pp$df,
            riv = pp$riv, lambda = pp$lambda, fmi = pp$fmi,
            std_error = s$std.error, statistic = s$statistic, p_value = s$p.value,
            conf_low = s[["2.5 %"]], conf_high = s[["97.5 %"]],
            nelson_aalen = d$nelson,
            n_missing = unname(colSums(is.na(d[, c("age", "sex", "ph.ecog", "ph.karno", "wt.loss")]))),
            r_version = R.version.string, mice_version = as.character(packageVersion("mice")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(REF, "pool", "lung_coxph.json"))
cat("done\n")
