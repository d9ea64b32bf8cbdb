# Reference values for the per-line PFS (PFS1, PFS2, PFS3) of the synthetic cohort:
# survival::survfit by line, as the report's "PFS by line" figure and table compute it.
# Run from the repository root after make_synth_lines.py:
#   Rscript tests/reference/R/lines_cases.R
# Writes tests/reference/values/lines/synth_pfs_by_line.json.
suppressPackageStartupMessages(library(survival))
d <- read.csv("tests/reference/data/synth_lines.csv")
d$months <- d$time / 30.4375
out <- list(call = "survfit(Surv(time / 30.4375, status) ~ line, data = synth_lines, conf.type = 'log-log')",
            survival_version = as.character(packageVersion("survival")), strata = list())
for (k in sort(unique(d$line))) {
  s <- d[d$line == k, ]
  fit <- survfit(Surv(months, status) ~ 1, data = s, conf.type = "log-log")
  tab <- summary(fit)$table
  out$strata[[paste0("line", k)]] <- list(
    n = unname(tab["records"]), events = unname(tab["events"]),
    median = unname(tab["median"]), median_lower = unname(tab["0.95LCL"]),
    median_upper = unname(tab["0.95UCL"]),
    time = fit$time, surv = fit$surv, lower = fit$lower, upper = fit$upper,
    n_risk = fit$n.risk, n_event = fit$n.event)
}
dir.create("tests/reference/values/lines", showWarnings = FALSE)
num <- function(v) ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "\"Inf\"", "\"-Inf\""),
                                                     formatC(v, digits = 17, format = "g")))
to_json <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    body <- vapply(seq_along(x), function(i) paste0("\"", keys[i], "\": ", to_json(x[[i]])), "")
    return(paste0("{", paste(body, collapse = ", "), "}"))
  }
  if (is.character(x)) return(if (length(x) == 1) paste0("\"", x, "\"") else paste0("[", paste0("\"", x, "\"", collapse = ", "), "]"))
  if (length(x) == 1) return(num(x))
  paste0("[", paste(num(x), collapse = ", "), "]")
}
writeLines(to_json(out), "tests/reference/values/lines/synth_pfs_by_line.json")
cat("wrote tests/reference/values/lines/synth_pfs_by_line.json\n")
