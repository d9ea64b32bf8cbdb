#!/usr/bin/env Rscript
# Extra R `survival` reference cases for sarcohort (the project's own oracle script).
#
# Writes cases in exactly the JSON shape of the shipped set (see ../README.md): every number at
# full double precision (shortest round-trip), NA -> null, NaN/Inf/-Inf -> strings, matrices
# row-major, and every value computed on the data re-read from data/<name>.csv.
#
# Usage, from the repository root (R 4.2.2, survival 3.5-3; only base R + survival are used):
#
#   Rscript tests/reference/R/make_cases.R
#       writes data/{gbsg,rotterdam,jasa1}.csv, their data/datasets.json entries, the new
#       values/*.json and their cases.tsv rows (re-running replaces them, nothing else is touched).
#
#   Rscript tests/reference/R/make_cases.R --verify OUTDIR
#       regenerates every SHIPPED case (specs in SHIPPED_CASES below) and rewrites the shipped
#       CSVs into OUTDIR, without touching tests/reference/. Compare with
#       .venv/bin/python tests/reference/R/compare_cases.py OUTDIR
#
#   --only NAME[,NAME...] restricts either mode to the named cases.

suppressPackageStartupMessages(library(survival))
options(warn = 1)

args <- commandArgs(trailingOnly = TRUE)
script_file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])
REF_DIR <- normalizePath(file.path(dirname(script_file), ".."))
VERIFY_DIR <- NULL
ONLY <- NULL
i <- 1
while (i <= length(args)) {
  if (args[i] == "--verify") {
    VERIFY_DIR <- args[i + 1]
    i <- i + 2
  } else if (args[i] == "--only") {
    ONLY <- strsplit(args[i + 1], ",", fixed = TRUE)[[1]]
    i <- i + 2
  } else {
    stop("unknown argument: ", args[i])
  }
}

R_VERSION <- R.version.string
SURVIVAL_VERSION <- as.character(packageVersion("survival"))
if (SURVIVAL_VERSION != "3.5.3") warning("the shipped cases come from survival 3.5-3, this is ", SURVIVAL_VERSION)

# ---------------------------------------------------------------------------------------------
# JSON writer (no jsonlite on the reference machine)
# ---------------------------------------------------------------------------------------------

A <- function(x) structure(list(x = unname(as.vector(x))), class = "jarr") # inline array
M <- function(x) structure(list(x = unname(as.matrix(x))), class = "jmat") # matrix, one row a line

# shortest decimal that round-trips (15, 16 or 17 significant digits): the shared writer's
source(file.path(dirname(script_file), "json_writer.R"))
fmt_double <- fmt_num

json_string <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  s <- gsub("\t", "\\t", s, fixed = TRUE)
  ifelse(is.na(s), "null", paste0("\"", s, "\""))
}

fmt_atomic <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) return(json_string(x))
  if (is.logical(x)) return(ifelse(is.na(x), "null", ifelse(x, "true", "false")))
  if (is.integer(x)) return(ifelse(is.na(x), "null", as.character(x)))
  if (is.double(x)) return(fmt_double(x))
  stop("cannot write ", class(x)[1], " to JSON")
}

to_json <- function(x, ind = 0) {
  pad <- strrep(" ", ind)
  pad2 <- strrep(" ", ind + 2)
  if (inherits(x, "jarr")) {
    return(paste0("[", paste(fmt_atomic(x$x), collapse = ", "), "]"))
  }
  if (inherits(x, "jmat")) {
    m <- x$x
    if (nrow(m) == 0) return("[]")
    rows <- vapply(seq_len(nrow(m)), function(r) paste0(pad2, "[", paste(fmt_atomic(m[r, ]), collapse = ", "), "]"), "")
    return(paste0("[\n", paste(rows, collapse = ",\n"), "\n", pad, "]"))
  }
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    vals <- vapply(x, to_json, "", ind = ind + 2)
    if (!is.null(names(x))) {
      return(paste0("{\n", paste0(pad2, json_string(names(x)), ": ", vals, collapse = ",\n"), "\n", pad, "}"))
    }
    return(paste0("[\n", paste0(pad2, vals, collapse = ",\n"), "\n", pad, "]"))
  }
  if (length(x) != 1) stop("a vector of length ", length(x), " must be wrapped in A() or M()")
  fmt_atomic(x)
}

write_json <- function(obj, path) writeLines(to_json(obj), path, useBytes = TRUE)

# datasets.json is written as Python's json.dump(indent=1) lays it out
to_json_py1 <- function(x, ind = 0) {
  pad <- strrep(" ", ind)
  pad1 <- strrep(" ", ind + 1)
  if (is.list(x) || length(x) != 1 || inherits(x, "jarr")) {
    if (inherits(x, "jarr")) x <- as.list(x$x)
    vals <- vapply(x, to_json_py1, "", ind = ind + 1)
    if (!is.null(names(x))) {
      return(paste0("{\n", paste0(pad1, json_string(names(x)), ": ", vals, collapse = ",\n"), "\n", pad, "}"))
    }
    return(paste0("[\n", paste0(pad1, vals, collapse = ",\n"), "\n", pad, "]"))
  }
  fmt_atomic(x)
}

# ---------------------------------------------------------------------------------------------
# Datasets: R source -> CSV (shortest round-trip doubles, empty = NA, factor labels) -> re-read
# ---------------------------------------------------------------------------------------------

DATASETS <- list(
  lung = list(expr = "survival::lung", note = "NCCTG advanced lung cancer. status: 1=censored, 2=dead."),
  veteran = list(expr = "survival::veteran", note = "VA lung cancer trial. status: 0/1."),
  colon = list(expr = "survival::colon", note = "Colon cancer adjuvant trial, 2 rows per patient (etype 1=recurrence, 2=death)."),
  colon_death = list(expr = "subset(survival::colon, etype == 2)", note = "Colon, death endpoint only (etype == 2)."),
  ovarian = list(expr = "survival::ovarian", note = "Ovarian cancer trial (26 pts). fustat 0/1."),
  pbc = list(expr = "survival::pbc[1:312, ]", note = "Mayo PBC, the 312 randomized patients only."),
  heart = list(expr = "survival::heart", note = "Stanford heart transplant, counting-process form."),
  # the datasets added by this script
  gbsg = list(
    expr = "survival::gbsg", new = TRUE,
    note = paste(
      "German Breast Cancer Study Group 2 trial (686 patients with complete data).",
      "rfstime: recurrence-free survival time in days; status: 0=censored, 1=recurrence or death.",
      "All columns are integers; grade (1-3) is numeric, factor(grade) gives the dummies factor(grade)2/3."
    )
  ),
  rotterdam = list(
    expr = "survival::rotterdam", new = TRUE,
    note = paste(
      "Rotterdam tumour bank, primary breast cancer (2982 patients).",
      "dtime/death: overall survival in days, death 0/1 (rtime/recur: relapse). size is a factor (<=20, 20-50, >50 mm),",
      "so its coefficients are size20-50 and size>50. Heavily tied times. R's row names (not 1..n) are not written."
    )
  ),
  lung_extra = list(
    expr = paste(
      "local({ d <- survival::lung; n <- nrow(d); set.seed(20261201);",
      "d$tm <- ifelse(seq_len(n) %% 2 == 0, d$time / 30.4375, d$time * (1 / 30.4375));",
      "d$w <- round(runif(n, 0.5, 2), 3); d$iw <- as.numeric(sample(1:3, n, replace = TRUE));",
      "d$lambda <- d$age / 10; d$class <- d$ph.ecog; d$site <- factor(ifelse(d$inst %% 2 == 0, 'even', 'odd'), levels = c('odd', 'even'));",
      "d })"
    ), new = TRUE,
    note = paste(
      "survival::lung plus constructed columns. tm: follow-up in months, computed as time / 30.4375 for even rows and",
      "time * (1 / 30.4375) for odd rows, so 24 values differ from their twins by rounding error only (R's aeqSurv",
      "merges them: 190 distinct floats, 186 times). w: non-integer case weights (runif(0.5, 2), 3 decimals);",
      "iw: whole-number case weights 1-3 (stored as doubles: cox.zph fails on integer weights); lambda = age / 10 and class = ph.ecog (column names that are Python keywords);",
      "site: factor (odd, even) from inst parity, NA where inst is NA."
    )
  ),
  jasa1 = list(
    expr = "survival::jasa1", new = TRUE,
    note = paste(
      "Stanford heart transplant, processed counting-process (start, stop] form (170 rows, 103 patients, id).",
      "event 0/1; transplant is numeric 0/1 (time-dependent; coefficient transplant);",
      "age = age - 48 years; year = years since 1 Nov 1967; surgery = prior bypass surgery."
    )
  )
)

col_type <- function(v) if (is.factor(v)) "factor" else typeof(v)

write_dataset_csv <- function(df, path) {
  cols <- lapply(df, function(v) {
    if (is.factor(v)) {
      s <- as.character(v)
      if (any(grepl("[\",\n]", s[!is.na(s)]))) stop("factor label needs quoting in ", path)
    } else if (is.double(v)) {
      s <- fmt_double(v)
      if (any(!is.finite(v) & !is.na(v))) stop("non-finite value in ", path)
    } else if (is.integer(v)) {
      s <- as.character(v)
    } else {
      stop("unsupported column type ", typeof(v), " in ", path)
    }
    s[is.na(v)] <- ""
    s
  })
  lines <- c(paste(names(df), collapse = ","), do.call(paste, c(unname(cols), sep = ",")))
  writeLines(lines, path, useBytes = TRUE)
}

read_dataset_csv <- function(path, like) {
  cls <- vapply(like, function(v) if (is.factor(v)) "character" else if (is.integer(v)) "integer" else "numeric", "")
  df <- read.csv(path, colClasses = unname(cls), na.strings = "", check.names = FALSE, stringsAsFactors = FALSE)
  for (nm in names(like)) if (is.factor(like[[nm]])) df[[nm]] <- factor(df[[nm]], levels = levels(like[[nm]]))
  df
}

# Source object, written to csv_dir (when given), re-read; stops unless the re-read columns are
# bit-identical to the R object (row names are not part of the CSV).
load_dataset <- function(name, csv_dir, write) {
  src <- eval(parse(text = DATASETS[[name]]$expr))
  src <- as.data.frame(src)
  rownames(src) <- NULL
  path <- file.path(csv_dir, paste0(name, ".csv"))
  if (write) write_dataset_csv(src, path)
  back <- read_dataset_csv(path, src)
  if (!identical(names(back), names(src)) || !identical(as.list(back), as.list(src))) {
    stop("re-read ", path, " is not identical to ", DATASETS[[name]]$expr)
  }
  back
}

dataset_entry <- function(name, df) {
  cols <- lapply(df, function(v) {
    e <- list(type = col_type(v))
    if (is.factor(v)) e$levels <- A(levels(v))
    e$n_missing <- sum(is.na(v))
    e
  })
  list(
    file = paste0("data/", name, ".csv"), r_source = DATASETS[[name]]$expr, note = DATASETS[[name]]$note,
    nrow = nrow(df), ncol = ncol(df), columns = cols
  )
}

# Adds (or replaces) this script's entries at the end of datasets.json; the shipped entries stay as they are.
update_datasets_json <- function(path, entries) {
  txt <- paste(readLines(path, warn = FALSE), collapse = "\n")
  for (nm in names(entries)) {
    at <- regexpr(paste0(",\n  \"", nm, "\": {\n"), txt, fixed = TRUE)
    if (at > 0) txt <- paste0(substr(txt, 1, at - 1), "\n }\n}") # ours are last: cut from the first one
  }
  tail <- "\n }\n}"
  if (substring(txt, nchar(txt) - nchar(tail) + 1) != tail) stop("unexpected end of ", path)
  body <- substr(txt, 1, nchar(txt) - nchar(tail))
  add <- vapply(names(entries), function(nm) paste0(",\n  ", json_string(nm), ": ", to_json_py1(entries[[nm]], 2)), "")
  writeLines(paste0(body, paste(add, collapse = ""), tail), path, sep = "", useBytes = TRUE)
}

# Appends (or replaces) this script's rows; keeps the file's line ending (the shipped file uses CRLF).
update_cases_tsv <- function(path, rows) {
  raw <- readBin(path, "raw", file.size(path))
  eol <- if (length(raw) > 1 && any(raw[-1] == as.raw(10) & raw[-length(raw)] == as.raw(13))) "\r\n" else "\n"
  lines <- readLines(path, warn = FALSE)
  files <- vapply(strsplit(lines, "\t", fixed = TRUE), `[`, "", 1)
  new <- vapply(rows, function(r) paste(r$file, r$kind, r$dataset, r$description, sep = "\t"), "")
  keep <- !(files %in% vapply(rows, `[[`, "", "file"))
  con <- file(path, "wb")
  on.exit(close(con))
  writeLines(c(lines[keep], new), con, sep = eol, useBytes = TRUE)
}

# ---------------------------------------------------------------------------------------------
# Case builders
# ---------------------------------------------------------------------------------------------

ev <- function(call, env) eval(parse(text = call), envir = env)

header <- function(spec, kind) {
  list(
    case = spec$case, kind = kind, dataset = spec$dataset, data_file = paste0("data/", spec$dataset, ".csv"),
    description = spec$description, call = spec$call
  )
}

footer <- function(obj) c(obj, list(r_version = R_VERSION, survival_version = SURVIVAL_VERSION))

as_table <- function(tab) if (is.null(dim(tab))) t(as.matrix(tab)) else tab
row_of <- function(x, i) if (is.matrix(x)) x[i, ] else x

km_case <- function(spec, env) {
  stopifnot(grepl("conf.type = \"log\")$", spec$call))
  types <- c("log", "log-log", "plain", if (isTRUE(spec$more_ci)) c("logit", "arcsin"))
  calls <- setNames(vapply(types, function(ct) sub("conf.type = \"log\")$", paste0("conf.type = \"", ct, "\")"), spec$call), ""), types)
  fits <- lapply(calls, ev, env = env)
  fit <- fits[["log"]]
  tau <- spec$tau
  probs <- c(0.25, 0.5, 0.75)
  tables <- lapply(fits, function(f) as_table(summary(f, rmean = "common")$table))
  quants <- lapply(fits, quantile, probs = probs)
  tab_common <- tables[["log"]]
  tab_indiv <- as_table(summary(fit, rmean = "individual")$table)
  tab_fixed <- as_table(summary(fit, rmean = tau)$table)
  nstr <- if (is.null(fit$strata)) 1L else length(fit$strata)
  labels <- if (is.null(fit$strata)) "All" else names(fit$strata)
  which_curve <- if (is.null(fit$strata)) rep(1L, length(fit$time)) else rep(seq_len(nstr), fit$strata)
  tau_common <- max(fit$time)
  strata <- lapply(seq_len(nstr), function(i) {
    k <- which(which_curve == i)
    ci <- lapply(types, function(ct) {
      f <- fits[[ct]]
      tb <- tables[[ct]]
      q <- quants[[ct]]
      list(
        lower = A(f$lower[k]), upper = A(f$upper[k]),
        median = unname(tb[i, "median"]), median_lower = unname(tb[i, "0.95LCL"]), median_upper = unname(tb[i, "0.95UCL"]),
        quantile = list(probs = A(probs), quantile = A(row_of(q$quantile, i)), lower = A(row_of(q$lower, i)), upper = A(row_of(q$upper, i)))
      )
    })
    names(ci) <- types
    rm <- function(tb, tau) list(tau = tau, rmean = unname(tb[i, "rmean"]), se = unname(tb[i, "se(rmean)"]))
    at <- NULL
    if (!is.null(spec$times)) {
      sm <- summary(fit, times = spec$times)
      j <- if (is.null(sm$strata)) seq_along(sm$time) else which(as.character(sm$strata) == labels[i])
      at <- list(call = sprintf("summary(fit, times = c(%s))", paste(spec$times, collapse = ", ")),
                 time = A(sm$time[j]), n.risk = A(sm$n.risk[j]), n.event = A(sm$n.event[j]),
                 n.censor = A(sm$n.censor[j]), surv = A(sm$surv[j]), std.err = A(sm$std.err[j]),
                 lower = A(sm$lower[j]), upper = A(sm$upper[j]))
    }
    el <- list(
      name = labels[i], n = fit$n[i], records = unname(tab_common[i, "records"]), n.max = unname(tab_common[i, "n.max"]),
      n.start = unname(tab_common[i, "n.start"]), events = unname(tab_common[i, "events"]),
      time = A(fit$time[k]), n.risk = A(fit$n.risk[k]), n.event = A(fit$n.event[k]), n.censor = A(fit$n.censor[k]),
      surv = A(fit$surv[k]), std.err = A(fit$std.err[k]), cumhaz = A(fit$cumhaz[k]), std.chaz = A(fit$std.chaz[k]),
      ci = ci,
      rmean = list(common = rm(tab_common, tau_common), individual = rm(tab_indiv, max(fit$time[k])), fixed_tau = rm(tab_fixed, tau))
    )
    if (!is.null(at)) el$summary_times <- at
    el
  })
  obj <- header(spec, "km")
  obj$calls <- list(
    km = as.list(calls),
    median_table = "summary(fit, rmean = \"common\")$table   # columns median, 0.95LCL, 0.95UCL; one fit per conf.type",
    quantile = "quantile(fit, probs = c(0.25, 0.5, 0.75))   # one fit per conf.type",
    rmean_common = "summary(fit, rmean = \"common\")$table[, c(\"rmean\", \"se(rmean)\")]",
    rmean_individual = "summary(fit, rmean = \"individual\")$table[, c(\"rmean\", \"se(rmean)\")]",
    rmean_fixed_tau = sprintf("summary(fit, rmean = %s)$table[, c(\"rmean\", \"se(rmean)\")]", format(tau))
  )
  obj <- obj[c("case", "kind", "dataset", "data_file", "description", "call", "calls")]
  obj$result <- list(conf.int = fit$conf.int, n_strata = nstr, strata = strata)
  if (!verify) obj$result$logse <- fit$logse  # FALSE for robust (jackknife) SEs: std.err is the SE of S
  footer(obj)
}

lr_case <- function(spec, env) {
  fit <- ev(spec$call, env)
  rho <- if (is.null(fit$call$rho)) 0 else eval(fit$call$rho)
  stratified <- is.matrix(fit$obs)
  otmp <- if (stratified) apply(fit$obs, 1, sum) else fit$obs
  etmp <- if (stratified) apply(fit$exp, 1, sum) else fit$exp
  df <- sum(1 * (etmp > 0)) - 1
  res <- list(
    rho = rho, groups = A(names(fit$n)), n = A(as.vector(fit$n)), observed = A(otmp), expected = A(etmp),
    var = M(fit$var), chisq = fit$chisq, df = df, p = pchisq(fit$chisq, df, lower.tail = FALSE), pvalue_R = fit$pvalue,
    o_minus_e_sq_over_e = A((otmp - etmp)^2 / etmp), o_minus_e_sq_over_v = A((otmp - etmp)^2 / diag(fit$var))
  )
  if (stratified) {
    res$strata <- A(names(fit$strata))
    res$strata_n <- A(as.vector(fit$strata))
    res$observed_by_strata <- M(fit$obs)
    res$expected_by_strata <- M(fit$exp)
  }
  obj <- header(spec, "logrank")
  obj$result <- res
  footer(obj)
}

curves_of <- function(sf) {
  labels <- if (is.null(sf$strata)) "All" else names(sf$strata)
  which_curve <- if (is.null(sf$strata)) rep(1L, length(sf$time)) else rep(seq_along(labels), sf$strata)
  if (is.matrix(sf$surv)) stop("survfit_newdata: one newdata row expected")
  lapply(seq_along(labels), function(i) {
    k <- which(which_curve == i)
    list(
      name = labels[i], time = A(sf$time[k]), n.risk = A(sf$n.risk[k]), n.event = A(sf$n.event[k]),
      n.censor = A(sf$n.censor[k]), surv = A(sf$surv[k]), std.err = A(sf$std.err[k]), cumhaz = A(sf$cumhaz[k]),
      std.chaz = A(sf$std.chaz[k]), lower = A(sf$lower[k]), upper = A(sf$upper[k])
    )
  })
}

cox_case <- function(spec, env) {
  env <- new.env(parent = env)
  fit <- ev(spec$call, env)
  assign("fit", fit, envir = env)
  robust <- !is.null(fit$naive.var)
  stratified <- length(attr(fit$terms, "specials")$strata) > 0
  efron <- fit$method == "efron"
  ctype <- if (efron) 2 else 1
  s <- summary(fit)
  cf <- s$coefficients
  ci <- s$conf.int
  test <- function(t) list(statistic = unname(t["test"]), df = unname(t["df"]), p = unname(t["pvalue"]))

  res <- list(
    method = fit$method, n = fit$n, nevent = fit$nevent, n_missing = length(fit$na.action), iter = fit$iter,
    terms = A(names(coef(fit))), coef = A(coef(fit)), se = A(cf[, "se(coef)"])
  )
  if (robust) res$robust_se <- A(cf[, "robust se"])
  res <- c(res, list(
    exp_coef = A(ci[, "exp(coef)"]), exp_neg_coef = A(ci[, "exp(-coef)"]), lower_95 = A(ci[, "lower .95"]),
    upper_95 = A(ci[, "upper .95"]), z = A(cf[, "z"]), p = A(cf[, "Pr(>|z|)"]), var = M(fit$var)
  ))
  if (robust) res$naive_var <- M(fit$naive.var)
  res <- c(res, list(
    means = A(fit$means), loglik = A(fit$loglik), loglik_null = fit$loglik[1], loglik_final = fit$loglik[2],
    score_test_statistic = unname(fit$score), wald_test_statistic = unname(fit$wald.test),
    lr_test = test(s$logtest), wald_test = test(s$waldtest), score_test = test(s$sctest)
  ))
  # summary.coxph rounds the printed Wald statistic to 2 decimals (its p-value is unrounded)
  res$wald_test$statistic <- unname(fit$wald.test)
  if (robust) res$robust_score_test <- test(s$robscore)
  cc <- fit$concordance
  res$concordance <- list(
    concordance = unname(cc["concordance"]), se = unname(cc["std"]), concordant = unname(cc["concordant"]),
    discordant = unname(cc["discordant"]), tied.x = unname(cc["tied.x"]), tied.y = unname(cc["tied.y"]),
    tied.xy = unname(cc["tied.xy"])
  )

  tight_call <- sub("\\)$", ", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))", spec$call)
  tfit <- ev(tight_call, env)
  res$tight_fit <- list(
    call = tight_call, coef = A(coef(tfit)), loglik_final = tfit$loglik[2], iter = tfit$iter,
    max_abs_coef_diff_vs_default = max(abs(coef(tfit) - coef(fit)))
  )

  bh <- ev("basehaz(fit, centered = FALSE)", env)
  sf0 <- survfit(fit, se.fit = FALSE)
  stopifnot(identical(bh$time, sf0$time))
  res$basehaz <- list(
    call = "basehaz(fit, centered = FALSE)", ctype = ctype, time = A(bh$time), hazard = A(bh$hazard),
    n.event = A(sf0$n.event), n.risk = A(sf0$n.risk)
  )
  # fit$offset is stored centred; survfit.coxph centres the curve at the mean of the raw offset
  has_offset <- !is.null(fit$offset)
  if (has_offset) {
    mean_offset <- mean(model.offset(model.frame(fit)))
    res$basehaz$mean_offset <- mean_offset
    res$basehaz$note <- "R evaluates this curve at covariates = 0 but offset = mean(offset); hazard * exp(-mean_offset) is the hazard at offset 0"
  }
  if (stratified) res$basehaz$strata <- A(as.character(bh$strata))
  if (!verify) {  # added with issue 11 (the shipped cases, regenerated by --verify, do not have it)
    bhc <- ev("basehaz(fit, centered = TRUE)", env)
    res$basehaz_centered <- list(call = "basehaz(fit, centered = TRUE)", time = A(bhc$time), hazard = A(bhc$hazard))
  }
  if (efron) {
    bcall <- "survfit(fit, se.fit = FALSE, ctype = 1)$cumhaz * exp(-sum(fit$means * coef(fit)))"
    sf1 <- survfit(fit, se.fit = FALSE, ctype = 1)
    res$basehaz_breslow <- list(call = bcall, ctype = 1, time = A(sf1$time), hazard = A(ev(bcall, env)), n.event = A(sf1$n.event))
    if (has_offset) res$basehaz_breslow$mean_offset <- mean_offset
    if (stratified) res$basehaz_breslow$strata <- A(rep(names(sf1$strata), sf1$strata))
  }

  zph <- lapply(c(km = "km", identity = "identity"), function(tr) {
    zcall <- sprintf("cox.zph(fit, transform = \"%s\")", tr)
    tab <- ev(zcall, env)$table
    list(call = zcall, rows = A(rownames(tab)), chisq = A(tab[, "chisq"]), df = A(tab[, "df"]), p = A(tab[, "p"]))
  })
  res$cox_zph <- zph

  sf <- ev(spec$newdata, env)
  sn <- list(call = spec$newdata, conf.type = sf$conf.type, conf.int = sf$conf.int, ctype = ctype, stype = 2)
  if (stratified) sn$note <- "stratified model: R names the curve by the newdata row number; it uses the baseline of that row's stratum"
  sn$curves <- curves_of(sf)
  res$survfit_newdata <- sn

  if (!verify) {  # added with issue 11: predictions for the newdata profile, expected events, AIC, anova
    nd_call <- sub("^survfit\\(fit, newdata = (.*)\\)$", "\\1", spec$newdata)
    nd <- ev(nd_call, env)
    plp <- predict(fit, newdata = nd, type = "lp", se.fit = TRUE)
    prisk <- predict(fit, newdata = nd, type = "risk", se.fit = TRUE)
    res$predict_newdata <- list(
      call = sprintf("predict(fit, newdata = %s, type = \"lp\" | \"risk\", se.fit = TRUE)", nd_call),
      lp = A(plp$fit), lp_se = A(plp$se.fit), risk = A(prisk$fit), risk_se = A(prisk$se.fit)
    )
    res$predict_expected <- list(call = "predict(fit, type = \"expected\")", expected = A(predict(fit, type = "expected")))
    res$aic <- list(call = "AIC(fit)", aic = AIC(fit))
    if (!is.null(spec$smaller)) {
      assign("fit0", ev(spec$smaller, env), envir = env)
      an <- ev("anova(fit0, fit)", env)
      res$anova <- list(call = "anova(fit0, fit)", smaller = spec$smaller, loglik = A(an$loglik),
                        chisq = A(an$Chisq), df = A(an$Df), p = A(an[["Pr(>|Chi|)"]]))
    }
  }
  if (isTRUE(spec$residuals)) {
    sch <- residuals(fit, type = "schoenfeld")
    sch <- if (is.matrix(sch)) sch else matrix(sch, ncol = 1, dimnames = list(names(sch), NULL))
    as_mat <- function(x) if (is.matrix(x)) x else matrix(x, ncol = 1)
    res$residuals <- list(
      linear_predictors = A(fit$linear.predictors), risk = A(predict(fit, type = "risk")),
      martingale = A(residuals(fit, type = "martingale")), deviance = A(residuals(fit, type = "deviance")),
      score = M(as_mat(residuals(fit, type = "score"))), schoenfeld_time = A(as.numeric(rownames(sch))),
      schoenfeld = M(sch), dfbeta = M(as_mat(residuals(fit, type = "dfbeta"))),

      calls = list(
        linear_predictors = "fit$linear.predictors   # centered at fit$means",
        risk = "predict(fit, type = \"risk\")",
        martingale = "residuals(fit, type = \"martingale\")",
        deviance = "residuals(fit, type = \"deviance\")",
        score = "residuals(fit, type = \"score\")",
        schoenfeld = "residuals(fit, type = \"schoenfeld\")   # rows = event times",
        dfbeta = "residuals(fit, type = \"dfbeta\")"
      )
    )
    if (!verify) {  # added with issue 11
      res$residuals$dfbetas <- M(as_mat(residuals(fit, type = "dfbetas")))
      res$residuals$calls$dfbetas <- "residuals(fit, type = \"dfbetas\")"
    }
  }
  obj <- header(spec, "coxph")
  obj$result <- res
  footer(obj)
}

# ---------------------------------------------------------------------------------------------
# Case specifications
# ---------------------------------------------------------------------------------------------

km <- function(case, dataset, description, call, tau, times = NULL, more_ci = FALSE) {
  list(case = case, kind = "km", dataset = dataset, description = description, call = call, tau = tau, times = times,
       more_ci = more_ci)
}
lr <- function(case, dataset, description, call) list(case = case, kind = "logrank", dataset = dataset, description = description, call = call)
cox <- function(case, dataset, description, call, newdata, residuals = FALSE, smaller = NULL) {
  list(case = case, kind = "coxph", dataset = dataset, description = description, call = call, newdata = newdata,
       residuals = residuals, smaller = smaller)
}

# New cases. survfit_newdata profiles: rounded medians of the continuous covariates, the most
# common value of 0/1 covariates, and the middle / reference level of graded factors.
#   gbsg:      age 53, size 25, nodes 3, pgr 32, er 36 (medians), hormon 0, grade 2, meno 1
#   rotterdam: age 54, nodes 1, pgr 41, er 61 (medians), meno 1, size "20-50", grade 3, hormon 0, chemo 0
#   jasa1:     age 0 (= 48 years), surgery 0, transplant 0 (the heart cases' profile, without year)
GBSG_COX <- "Surv(rfstime, status) ~ age + size + nodes + pgr + er + hormon + factor(grade)"
ROTT_COX <- "Surv(dtime, death) ~ age + meno + size + grade + nodes + pgr + er + hormon + chemo"
GBSG_NEW <- "data.frame(age = 53, size = 25, nodes = 3, pgr = 32, er = 36, hormon = 0, grade = 2"
ROTT_NEW <- "survfit(fit, newdata = data.frame(age = 54, meno = 1, size = \"20-50\", grade = 3, nodes = 1, pgr = 41, er = 61, hormon = 0, chemo = 0))"
JASA_NEW <- "survfit(fit, newdata = data.frame(age = 0, surgery = 0, transplant = 0))"

NEW_CASES <- list(
  km("km_gbsg_hormon", "gbsg", "KM by hormon, gbsg recurrence-free survival (2 strata)",
     "survfit(Surv(rfstime, status) ~ hormon, data = gbsg, conf.type = \"log\")", 1825),
  km("km_rotterdam_chemo", "rotterdam", "KM by chemo, rotterdam overall survival (n = 2982, heavy ties)",
     "survfit(Surv(dtime, death) ~ chemo, data = rotterdam, conf.type = \"log\")", 1825),
  km("km_gbsg_grade", "gbsg", "KM by grade, gbsg recurrence-free survival (3 strata)",
     "survfit(Surv(rfstime, status) ~ grade, data = gbsg, conf.type = \"log\")", 1825),
  lr("lr_gbsg_grade", "gbsg", "Log-rank, 3 groups, gbsg by grade", "survdiff(Surv(rfstime, status) ~ grade, data = gbsg)"),
  lr("lr_gbsg_grade_rho1", "gbsg", "Peto-Peto (rho=1), 3 groups, gbsg by grade",
     "survdiff(Surv(rfstime, status) ~ grade, data = gbsg, rho = 1)"),
  lr("lr_rotterdam_hormon_strata_meno", "rotterdam", "Stratified log-rank, rotterdam death by hormon stratified by meno",
     "survdiff(Surv(dtime, death) ~ hormon + strata(meno), data = rotterdam)"),
  lr("lr_gbsg_hormon", "gbsg", "Log-rank, 2 groups, gbsg by hormon", "survdiff(Surv(rfstime, status) ~ hormon, data = gbsg)"),
  cox("cox_rotterdam_efron", "rotterdam",
      "Cox, 9 covariates incl. factor size, heavy ties, Efron, rotterdam death (newdata: medians / commonest levels)",
      paste0("coxph(", ROTT_COX, ", data = rotterdam, ties = \"efron\")"), ROTT_NEW),
  cox("cox_rotterdam_breslow", "rotterdam",
      "Cox, 9 covariates incl. factor size, heavy ties, Breslow, rotterdam death (newdata: medians / commonest levels)",
      paste0("coxph(", ROTT_COX, ", data = rotterdam, ties = \"breslow\")"), ROTT_NEW),
  cox("cox_gbsg_factor_grade_efron", "gbsg",
      "Cox with factor(grade) (3 levels), Efron, gbsg, with residuals (newdata: medians, hormon 0, grade 2)",
      paste0("coxph(", GBSG_COX, ", data = gbsg, ties = \"efron\")"),
      paste0("survfit(fit, newdata = ", GBSG_NEW, "))"), residuals = TRUE,
      smaller = "coxph(Surv(rfstime, status) ~ age + size + nodes + pgr + er + hormon, data = gbsg, ties = \"efron\")"),
  cox("cox_gbsg_strata_meno_efron", "gbsg",
      "Stratified Cox (strata(meno)) with factor(grade), Efron, gbsg (newdata: medians, hormon 0, grade 2, meno 1)",
      paste0("coxph(", GBSG_COX, " + strata(meno), data = gbsg, ties = \"efron\")"),
      paste0("survfit(fit, newdata = ", GBSG_NEW, ", meno = 1))")),
  cox("cox_jasa1_efron", "jasa1",
      "Counting-process Cox (time-dependent transplant), Efron, jasa1, with residuals (newdata: age 0, surgery 0, transplant 0)",
      "coxph(Surv(start, stop, event) ~ age + surgery + transplant, data = jasa1, ties = \"efron\")", JASA_NEW, residuals = TRUE),
  cox("cox_lung_transforms_efron", "lung",
      "Cox with transformed terms (I(), ^, %%, log, logical), Efron, lung (newdata: age 60, ph.ecog 1, sex 1, meal.cal 900)",
      "coxph(Surv(time, status) ~ I(age/10) + I(age^2) + log(meal.cal + 100) + I(ph.ecog * 2 - sex) + I(age%%10) + I(age > 60), data = lung, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 1, meal.cal = 900))"),
  cox("cox_jasa1_cluster_breslow", "jasa1",
      "Counting-process Cox, Breslow, robust variance clustered by id, jasa1 (newdata: age 0, surgery 0, transplant 0)",
      "coxph(Surv(start, stop, event) ~ age + surgery + transplant + cluster(id), data = jasa1, ties = \"breslow\")", JASA_NEW),
  # issue 11: KM at chosen times, logit and arcsin bands, frequency weights
  km("km_lung_sex_times", "lung", "KM by sex, lung, with summary(fit, times =) and logit/arcsin bands",
     "survfit(Surv(time, status) ~ sex, data = lung, conf.type = \"log\")", 365,
     times = c(0, 100, 365, 500.5, 1000, 2000), more_ci = TRUE),
  km("km_lung_extra_weights", "lung_extra", "KM by sex with whole-number case weights iw, lung_extra, summary at times",
     "survfit(Surv(time, status) ~ sex, data = lung_extra, weights = iw, conf.type = \"log\")", 365,
     times = c(50, 365, 730), more_ci = TRUE),
  km("km_lung_extra_sampling_weights", "lung_extra",
     "KM by sex with non-integer case weights w (R: infinitesimal-jackknife SEs), lung_extra, summary at times",
     "survfit(Surv(time, status) ~ sex, data = lung_extra, weights = w, conf.type = \"log\")", 365,
     times = c(50, 365, 730), more_ci = TRUE),
  # issue 11: near-tied times, case weights, factor strata, keyword names, exact ties with strata
  cox("cox_lung_neartie_efron", "lung_extra",
      "Cox on months with near-tied times (R's timefix/aeqSurv merges 24 of them), Efron, with residuals (newdata: age 60, sex 1)",
      "coxph(Surv(tm, status) ~ age + sex, data = lung_extra, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, sex = 1))", residuals = TRUE),
  cox("cox_lung_neartie_strata_breslow", "lung_extra",
      "Stratified Cox on near-tied months, Breslow (newdata: age 60, ph.ecog 1, sex 2)",
      "coxph(Surv(tm, status) ~ age + ph.ecog + strata(sex), data = lung_extra, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 2))"),
  cox("cox_lung_weights_efron", "lung_extra",
      "Cox with non-integer case weights (robust variance by R's default), Efron, with residuals (newdata: age 60, sex 1, ph.ecog 1)",
      "coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung_extra, weights = w, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, sex = 1, ph.ecog = 1))", residuals = TRUE),
  cox("cox_lung_intweights_strata_breslow", "lung_extra",
      "Stratified Cox with integer case weights (model-based variance), Breslow, with residuals (newdata: age 60, ph.ecog 1, sex 1)",
      "coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung_extra, weights = iw, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 1))", residuals = TRUE,
      smaller = "coxph(Surv(time, status) ~ age + strata(sex), data = subset(lung_extra, !is.na(ph.ecog)), weights = iw, ties = \"breslow\")"),
  cox("cox_lung_factor_strata_efron", "lung_extra",
      "Cox stratified on a factor (strata labels are the levels alone), Efron (newdata: age 60, sex 1, site even)",
      "coxph(Surv(time, status) ~ age + sex + strata(site), data = lung_extra, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, sex = 1, site = \"even\"))"),
  cox("cox_lung_keyword_names_efron", "lung_extra",
      "Cox with columns named lambda and class (Python keywords), Efron (newdata: lambda 6, class 1)",
      "coxph(Surv(time, status) ~ lambda + class + I(lambda^2), data = lung_extra, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(lambda = 6, class = 1))"),
  cox("cox_veteran_strata_exact", "veteran",
      "Stratified Cox with the exact partial likelihood (tied times), strata(celltype) factor, veteran (newdata: trt 1, karno 60, celltype adeno)",
      "coxph(Surv(time, status) ~ trt + karno + age + strata(celltype), data = veteran, ties = \"exact\")",
      "survfit(fit, newdata = data.frame(trt = 1, karno = 60, age = 60, celltype = \"adeno\"))"),
  cox("cox_rotterdam_exact", "rotterdam",
      "Cox with the exact partial likelihood on heavily tied data (2982 rows), rotterdam (newdata: age 54, nodes 1, chemo 0)",
      "coxph(Surv(dtime, death) ~ age + nodes + chemo, data = rotterdam, ties = \"exact\")",
      "survfit(fit, newdata = data.frame(age = 54, nodes = 1, chemo = 0))")
)

# The shipped cases (tests/reference/values), for --verify: the same builders must reproduce them.
SHIPPED_CASES <- list(
  km("km_lung_overall", "lung", "KM overall, lung", "survfit(Surv(time, status) ~ 1, data = lung, conf.type = \"log\")", 365),
  km("km_lung_sex", "lung", "KM by sex, lung (2 strata)", "survfit(Surv(time, status) ~ sex, data = lung, conf.type = \"log\")", 365),
  km("km_lung_ph_ecog", "lung", "KM by ph.ecog, lung (4 strata, one with n=1, 1 NA dropped)",
     "survfit(Surv(time, status) ~ ph.ecog, data = lung, conf.type = \"log\")", 365),
  km("km_veteran_overall", "veteran", "KM overall, veteran (last time is an event: S=0, std.err=Inf)",
     "survfit(Surv(time, status) ~ 1, data = veteran, conf.type = \"log\")", 365),
  km("km_veteran_trt", "veteran", "KM by trt, veteran", "survfit(Surv(time, status) ~ trt, data = veteran, conf.type = \"log\")", 365),
  km("km_veteran_celltype", "veteran", "KM by celltype (factor, 4 levels), veteran",
     "survfit(Surv(time, status) ~ celltype, data = veteran, conf.type = \"log\")", 365),
  km("km_ovarian_overall", "ovarian", "KM overall, ovarian (n=26)", "survfit(Surv(futime, fustat) ~ 1, data = ovarian, conf.type = \"log\")", 730),
  km("km_ovarian_rx", "ovarian", "KM by rx, ovarian", "survfit(Surv(futime, fustat) ~ rx, data = ovarian, conf.type = \"log\")", 730),
  km("km_colon_death_rx", "colon_death", "KM by rx (3 levels), colon death endpoint",
     "survfit(Surv(time, status) ~ rx, data = colon_death, conf.type = \"log\")", 1825),
  km("km_pbc_overall", "pbc", "KM overall, pbc 312 randomized, death (transplant censored)",
     "survfit(Surv(time, status == 2) ~ 1, data = pbc, conf.type = \"log\")", 3650),
  km("km_pbc_trt", "pbc", "KM by trt, pbc 312 randomized, death", "survfit(Surv(time, status == 2) ~ trt, data = pbc, conf.type = \"log\")", 3650),
  km("km_heart_overall", "heart", "KM with delayed entry (counting-process start/stop), heart",
     "survfit(Surv(start, stop, event) ~ 1, data = heart, conf.type = \"log\")", 365),
  lr("lr_lung_sex", "lung", "Log-rank, 2 groups, lung by sex", "survdiff(Surv(time, status) ~ sex, data = lung)"),
  lr("lr_lung_sex_rho1", "lung", "Peto-Peto (rho=1), lung by sex", "survdiff(Surv(time, status) ~ sex, data = lung, rho = 1)"),
  lr("lr_lung_ph_ecog", "lung", "Log-rank, 4 groups (one n=1), 1 NA, lung by ph.ecog", "survdiff(Surv(time, status) ~ ph.ecog, data = lung)"),
  lr("lr_lung_sex_strata_ph_ecog", "lung", "Stratified log-rank, lung sex stratified by ph.ecog",
     "survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = lung)"),
  lr("lr_veteran_trt", "veteran", "Log-rank, veteran by trt", "survdiff(Surv(time, status) ~ trt, data = veteran)"),
  lr("lr_veteran_trt_rho0.5", "veteran", "G-rho with rho=0.5, veteran by trt", "survdiff(Surv(time, status) ~ trt, data = veteran, rho = 0.5)"),
  lr("lr_veteran_celltype", "veteran", "Log-rank, 4 groups, veteran by celltype", "survdiff(Surv(time, status) ~ celltype, data = veteran)"),
  lr("lr_veteran_celltype_rho1", "veteran", "Peto-Peto (rho=1), 4 groups, veteran by celltype",
     "survdiff(Surv(time, status) ~ celltype, data = veteran, rho = 1)"),
  lr("lr_veteran_trt_strata_celltype", "veteran", "Stratified log-rank, veteran trt stratified by celltype",
     "survdiff(Surv(time, status) ~ trt + strata(celltype), data = veteran)"),
  lr("lr_colon_death_rx", "colon_death", "Log-rank, 3 groups, colon death by rx", "survdiff(Surv(time, status) ~ rx, data = colon_death)"),
  lr("lr_colon_death_rx_strata_sex", "colon_death", "Stratified log-rank, 3 groups, colon death rx stratified by sex",
     "survdiff(Surv(time, status) ~ rx + strata(sex), data = colon_death)"),
  lr("lr_ovarian_rx", "ovarian", "Log-rank, small n, ovarian by rx", "survdiff(Surv(futime, fustat) ~ rx, data = ovarian)"),
  lr("lr_pbc_trt", "pbc", "Log-rank, pbc death by trt", "survdiff(Surv(time, status == 2) ~ trt, data = pbc)"),
  cox("cox_lung_age_sex_efron", "lung", "Cox, 2 continuous/binary covariates, Efron ties, lung",
      "coxph(Surv(time, status) ~ age + sex, data = lung, ties = \"efron\")", "survfit(fit, newdata = data.frame(age = 60, sex = 2))", TRUE),
  cox("cox_lung_age_sex_breslow", "lung", "Cox, Breslow ties, lung",
      "coxph(Surv(time, status) ~ age + sex, data = lung, ties = \"breslow\")", "survfit(fit, newdata = data.frame(age = 60, sex = 2))", TRUE),
  cox("cox_lung_multi_na_efron", "lung", "Cox, 5 covariates with missing values (na.omit), lung",
      "coxph(Surv(time, status) ~ age + sex + ph.ecog + ph.karno + wt.loss, data = lung, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, sex = 1, ph.ecog = 1, ph.karno = 80, wt.loss = 5))"),
  cox("cox_lung_interaction_efron", "lung", "Cox with interaction age:sex, lung",
      "coxph(Surv(time, status) ~ age * sex, data = lung, ties = \"efron\")", "survfit(fit, newdata = data.frame(age = 60, sex = 1))"),
  cox("cox_lung_cluster_inst_efron", "lung", "Cox with robust (sandwich) variance clustered by institution, lung",
      "coxph(Surv(time, status) ~ age + sex + cluster(inst), data = lung, ties = \"efron\")", "survfit(fit, newdata = data.frame(age = 60, sex = 2))"),
  cox("cox_lung_offset_efron", "lung", "Cox with an offset term, lung",
      "coxph(Surv(time, status) ~ sex + offset(0.02 * age), data = lung, ties = \"efron\")", "survfit(fit, newdata = data.frame(sex = 2, age = 60))"),
  cox("cox_lung_strata_sex_efron", "lung", "Stratified Cox (strata(sex)), lung",
      "coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 2))"),
  cox("cox_veteran_full_efron", "veteran", "Cox, factor + continuous covariates, many tied times, veteran",
      "coxph(Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior, data = veteran, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(trt = 1, celltype = \"squamous\", karno = 60, diagtime = 5, age = 60, prior = 0))"),
  cox("cox_veteran_full_breslow", "veteran", "Cox, Breslow ties, veteran full model",
      "coxph(Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior, data = veteran, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(trt = 1, celltype = \"squamous\", karno = 60, diagtime = 5, age = 60, prior = 0))"),
  cox("cox_veteran_small_efron", "veteran", "Cox tie-handling triple (efron), veteran",
      "coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(trt = 2, karno = 50, celltype = \"adeno\"))", TRUE),
  cox("cox_veteran_small_breslow", "veteran", "Cox tie-handling triple (breslow), veteran",
      "coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(trt = 2, karno = 50, celltype = \"adeno\"))"),
  cox("cox_veteran_small_exact", "veteran", "Cox tie-handling triple (exact partial likelihood), veteran",
      "coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran, ties = \"exact\")",
      "survfit(fit, newdata = data.frame(trt = 2, karno = 50, celltype = \"adeno\"))"),
  cox("cox_veteran_robust_efron", "veteran", "Cox with robust=TRUE (per-observation sandwich variance), veteran",
      "coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran, ties = \"efron\", robust = TRUE)",
      "survfit(fit, newdata = data.frame(trt = 2, karno = 50, celltype = \"adeno\"))"),
  cox("cox_ovarian_efron", "ovarian", "Cox, small n (26), ovarian, with residuals",
      "coxph(Surv(futime, fustat) ~ age + ecog.ps + rx, data = ovarian, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 60, ecog.ps = 1, rx = 1))", TRUE),
  cox("cox_heart_efron", "heart", "Counting-process Cox (time-dependent transplant), heart",
      "coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 0, year = 3, surgery = 0, transplant = \"0\"))"),
  cox("cox_heart_interaction_efron", "heart", "Counting-process Cox with interactions (survival docs example), heart",
      "coxph(Surv(start, stop, event) ~ (age + surgery) * transplant, data = heart, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 0, surgery = 0, transplant = \"0\"))"),
  cox("cox_heart_cluster_breslow", "heart", "Counting-process Cox, Breslow, robust variance clustered by id, heart",
      "coxph(Surv(start, stop, event) ~ age + year + surgery + transplant + cluster(id), data = heart, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(age = 0, year = 3, surgery = 0, transplant = \"0\"))"),
  cox("cox_colon_marginal_efron", "colon", "Marginal (WLW-type) Cox: strata(etype) + cluster(id) robust variance, colon both endpoints",
      "coxph(Surv(time, status) ~ rx + sex + age + nodes + strata(etype) + cluster(id), data = colon, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(rx = \"Lev+5FU\", sex = 1, age = 60, nodes = 3, etype = 2))"),
  cox("cox_colon_death_full_efron", "colon_death", "Cox, 10 terms incl. factors and NAs, colon death",
      "coxph(Surv(time, status) ~ rx + sex + age + obstruct + perfor + adhere + nodes + factor(differ) + extent + surg, data = colon_death, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(rx = \"Obs\", sex = 1, age = 60, obstruct = 0, perfor = 0, adhere = 0, nodes = 2, differ = 2, extent = 3, surg = 0))"),
  cox("cox_pbc_mayo_efron", "pbc", "Mayo PBC model (log-transformed covariates), death, pbc 312",
      "coxph(Surv(time, status == 2) ~ age + edema + log(bili) + log(albumin) + log(protime), data = pbc, ties = \"efron\")",
      "survfit(fit, newdata = data.frame(age = 50, edema = 0, bili = 1, albumin = 3.5, protime = 10))"),
  cox("cox_pbc_mayo_breslow", "pbc", "Mayo PBC model, Breslow ties",
      "coxph(Surv(time, status == 2) ~ age + edema + log(bili) + log(albumin) + log(protime), data = pbc, ties = \"breslow\")",
      "survfit(fit, newdata = data.frame(age = 50, edema = 0, bili = 1, albumin = 3.5, protime = 10))")
)

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

verify <- !is.null(VERIFY_DIR)
cases <- if (verify) SHIPPED_CASES else NEW_CASES
if (!is.null(ONLY)) {
  unknown <- setdiff(ONLY, vapply(cases, `[[`, "", "case"))
  if (length(unknown)) stop("unknown case(s): ", paste(unknown, collapse = ", "))
  cases <- Filter(function(s) s$case %in% ONLY, cases)
}
out_values <- if (verify) file.path(VERIFY_DIR, "values") else file.path(REF_DIR, "values")
out_data <- if (verify) file.path(VERIFY_DIR, "data") else file.path(REF_DIR, "data")
dir.create(out_values, recursive = TRUE, showWarnings = FALSE)
dir.create(out_data, recursive = TRUE, showWarnings = FALSE)

data_env <- new.env(parent = globalenv())
needed <- unique(vapply(cases, `[[`, "", "dataset"))
if (!verify) needed <- unique(c(needed, names(Filter(function(d) isTRUE(d$new), DATASETS))))
entries <- list()
for (nm in needed) {
  if (verify) {
    # the shipped CSV must equal the R object, and this script must write it byte for byte
    df <- load_dataset(nm, file.path(REF_DIR, "data"), write = FALSE)
    write_dataset_csv(df, file.path(out_data, paste0(nm, ".csv")))
  } else {
    if (isTRUE(DATASETS[[nm]]$new)) {
      df <- load_dataset(nm, out_data, write = TRUE)
      entries[[nm]] <- dataset_entry(nm, df)
    } else {  # a shipped dataset: read (and check) its CSV, never rewrite it
      df <- load_dataset(nm, file.path(REF_DIR, "data"), write = FALSE)
    }
  }
  assign(nm, df, envir = data_env)
  cat(sprintf("dataset %-12s %5d x %2d  re-read identical\n", nm, nrow(df), ncol(df)))
}
if (!verify) update_datasets_json(file.path(REF_DIR, "data", "datasets.json"), entries)

rows <- list()
for (spec in cases) {
  t0 <- proc.time()[["elapsed"]]
  obj <- switch(spec$kind, km = km_case(spec, data_env), logrank = lr_case(spec, data_env), coxph = cox_case(spec, data_env))
  write_json(obj, file.path(out_values, paste0(spec$case, ".json")))
  rows[[length(rows) + 1]] <- list(file = paste0("values/", spec$case, ".json"), kind = spec$kind, dataset = spec$dataset, description = spec$description)
  cat(sprintf("%-36s %5.1f s\n", spec$case, proc.time()[["elapsed"]] - t0))
}
if (!verify) {
  update_cases_tsv(file.path(REF_DIR, "cases.tsv"), rows)
} else {
  update_cases_tsv_copy <- file.path(VERIFY_DIR, "cases.tsv")
  writeLines(c("file\tkind\tdataset\tdescription", vapply(rows, function(r) paste(r$file, r$kind, r$dataset, r$description, sep = "\t"), "")), update_cases_tsv_copy)
}
writeLines(c(paste("generated:", format(Sys.time(), tz = "UTC", usetz = TRUE)), paste("survival:", SURVIVAL_VERSION), "",
             capture.output(sessionInfo())), file.path(if (verify) VERIFY_DIR else dirname(script_file), "sessionInfo.txt"))
cat("done:", length(cases), "cases\n")
