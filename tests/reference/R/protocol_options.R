# Reference values for non-default protocol options, run through the whole protocol ->
# analysis path by tests/protocol/test_options_against_r.py on the small hand-checkable
# cohort of tests/fixtures/small_cohort.py (its twelve patients are typed in below; the test
# checks they are the fixture's), with tied survival times (so that Breslow, Efron and exact
# differ): OS of 2, 3, 3, 7, 8, 8, 8, 12, 12, 20, 24, 30 months instead of the fixture's.
#   time_unit = "weeks", conf_type = "plain", conf_level = 0.9,
#   median_ci = "brookmeyer-crowley" (R's quantile) and "spss" (median +- z SE, from R's
#   Greenwood standard error and Klein & Moeschberger's density estimate, computed here
#   independently of sarcohort), ties = "breslow" and "exact".
# Run from the repository root (R 4.2.2, survival 3.5-3; base R + survival only):
#   Rscript tests/reference/R/protocol_options.R
# Writes tests/reference/values/protocol/small_cohort_options.json.
suppressPackageStartupMessages(library(survival))

months <- c(2, 3, 3, 7, 8, 8, 8, 12, 12, 20, 24, 30)  # tied
d <- data.frame(
  os_days = months * 30.4375,
  os_event = c(1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0),
  timing = factor(c(rep("synchronous", 4), rep("metachronous", 8)),
                  levels = c("synchronous", "metachronous")),
  n_metastases = c(1, 8, 2, 9, 3, 7, 1, 6, 2, 1, 10, 2),
  met_bone = c(1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0),
  metastasis_surgery = c(0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1))
d$more_than_5_metastases <- as.integer(d$n_metastases > 5)
d$weeks <- d$os_days / 7  # time_unit = "weeks"

level <- 0.9
z <- qnorm(1 - (1 - level) / 2)
landmarks <- c(26, 52)

spss_ci <- function(fit, m) {
  # median -+ z * SE(S(m)) / f, f = (S(u) - S(l)) / (l - u): u the last event time with
  # S >= 0.55 (else the origin, S = 1), l the first with S <= 0.45 (Klein & Moeschberger)
  ev <- fit$n.event > 0
  tt <- fit$time[ev]
  ss <- fit$surv[ev]
  iu <- which(ss >= 0.55)
  tu <- if (length(iu)) tt[max(iu)] else 0
  su <- if (length(iu)) ss[max(iu)] else 1
  il <- min(which(ss <= 0.45))
  dens <- (su - ss[il]) / (tt[il] - tu)
  k <- max(which(fit$time <= m))
  se_m <- fit$surv[k] * fit$std.err[k] / dens  # std.err: SE of the cumulative hazard
  c(m - z * se_m, m + z * se_m, se_m)
}

km_one <- function(s) {
  fit <- survfit(Surv(weeks, os_event) ~ 1, data = s, conf.type = "plain", conf.int = level)
  q <- quantile(fit, 0.5)
  m <- unname(q$quantile)
  sp <- spss_ci(fit, m)
  list(n = nrow(s), events = sum(s$os_event), median = m,
       bc_lower = unname(q$lower), bc_upper = unname(q$upper),
       spss_lower = sp[1], spss_upper = sp[2], spss_se = sp[3])
}

out <- list(
  call = paste("survfit(Surv(os_days / 7, os_event) ~ ., conf.type = 'plain', conf.int = 0.9);",
               "coxph(Surv(os_days / 7, os_event) ~ ., ties = 'breslow' | 'exact'), Wald 90% CIs"),
  survival_version = as.character(packageVersion("survival")),
  z = z, data = list(months = months, os_event = d$os_event, met_bone = d$met_bone,
                     metastasis_surgery = d$metastasis_surgery,
                     more_than_5_metastases = d$more_than_5_metastases))

all <- km_one(d)
fit <- survfit(Surv(weeks, os_event) ~ 1, data = d, conf.type = "plain", conf.int = level)
sm <- summary(fit, times = landmarks)
all$landmark_times <- landmarks
all$landmark_surv <- sm$surv
all$landmark_lower <- sm$lower
all$landmark_upper <- sm$upper
out$overall <- all
for (g in levels(d$timing)) out[[g]] <- km_one(d[d$timing == g, ])
sd <- survdiff(Surv(weeks, os_event) ~ timing, data = d)
out$logrank <- list(chisq = sd$chisq, p = pchisq(sd$chisq, 1, lower.tail = FALSE))

models <- list(
  uni_more_than_5_metastases = "more_than_5_metastases",
  uni_metastasis_surgery = "metastasis_surgery",
  uni_met_bone = "met_bone",
  multi = c("more_than_5_metastases", "metastasis_surgery"))
for (ties in c("efron", "breslow", "exact")) {
  for (name in names(models)) {
    f <- coxph(reformulate(models[[name]], "Surv(weeks, os_event)"), data = d, ties = ties)
    b <- unname(coef(f))
    se <- unname(sqrt(diag(vcov(f))))
    out[[paste0("cox_", ties, "_", name)]] <- list(
      coef = b, se = se, hr = exp(b), lower = exp(b - z * se), upper = exp(b + z * se),
      p = 2 * pnorm(-abs(b / se)), lr_p = unname(summary(f)$logtest["pvalue"]))
  }
}

num <- function(v) ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "\"Inf\"", "\"-Inf\""),
                                                     trimws(formatC(v, digits = 17, format = "g"))))
to_json <- function(x) {
  if (is.list(x)) {
    keys <- names(x)
    body <- vapply(seq_along(x), function(i) paste0("\"", keys[i], "\": ", to_json(x[[i]])), "")
    return(paste0("{\n", paste(body, collapse = ",\n"), "\n}"))
  }
  if (is.character(x)) return(paste0("\"", x, "\""))
  if (length(x) == 1) return(num(x))
  paste0("[", paste(num(x), collapse = ", "), "]")
}
dir.create("tests/reference/values/protocol", showWarnings = FALSE)
writeLines(to_json(out), "tests/reference/values/protocol/small_cohort_options.json")
cat("wrote tests/reference/values/protocol/small_cohort_options.json\n")
