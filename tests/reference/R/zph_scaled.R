# Reference values of cox.zph's scaled Schoenfeld residuals and plot.cox.zph's smooth
# and drop1's likelihood-ratio tests (R 4.2.2, survival 3.5-3, splines). Writes tests/reference/values/zph_scaled_gbsg.json.
#   Rscript tests/reference/R/zph_scaled.R
# Data: tests/reference/data/gbsg.csv (the survival package's gbsg, as shipped there).
suppressPackageStartupMessages({library(survival); library(splines); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
gbsg <- read.csv(file.path(here, "..", "data", "gbsg.csv"))
fit <- coxph(Surv(rfstime, status) ~ age + hormon + factor(grade), data = gbsg, ties = "efron")
zt <- cox.zph(fit, transform = "km")                 # terms: factor(grade) one row, 2 df
zc <- cox.zph(fit, transform = "km", terms = FALSE)  # one column per coefficient

# plot.cox.zph's smooth, step by step as in its body (df = 4, nsmo = 40, se = TRUE)
smooth <- function(x, i, df = 4, nsmo = 40) {
  xx <- x$x; yy <- x$y
  pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
  lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[1:nsmo, ]; xmat <- lmat[-(1:nsmo), ]
  y <- yy[, i]
  qmat <- qr(xmat)
  yhat <- pmat %*% qr.coef(qmat, y)
  bk <- backsolve(qmat$qr[1:df, 1:df], diag(df))
  xtx <- bk %*% t(bk)
  seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
  temp <- 2 * sqrt(x$var[i, i] * seval)
  indx <- !duplicated(xx)
  apr1 <- approx(xx[indx], x$time[indx], seq(min(xx), max(xx), length = 17)[2 * (1:8)])
  lab <- signif(apr1$y, 2)
  apr2 <- approx(x$time[indx], xx[indx], lab)
  list(x = pred.x, fit = as.vector(yhat), lower = as.vector(yhat - temp),
       upper = as.vector(yhat + temp), axis_at = apr2$y, axis_labels = lab)
}
d1 <- drop1(fit, test = "Chisq")   # likelihood-ratio test of each term, factor(grade) on 2 df
out <- list(
  drop1 = list(rows = rownames(d1)[-1], lrt = unname(d1$LRT[-1]), df = unname(d1$Df[-1]),
               p = unname(d1[["Pr(>Chi)"]][-1])),
  call = "cox.zph(coxph(Surv(rfstime, status) ~ age + hormon + factor(grade), gbsg, ties = 'efron'), transform = 'km')",
  r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
  coef = unname(coef(fit)), names = names(coef(fit)),
  table_terms = list(rows = rownames(zt$table), chisq = unname(zt$table[, "chisq"]),
                     df = unname(zt$table[, "df"]), p = unname(zt$table[, "p"])),
  x = zc$x, time = zc$time, y = unname(zc$y), var = unname(zc$var),
  smooth = lapply(seq_len(ncol(zc$y)), function(i) smooth(zc, i)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor"),
           file.path(here, "..", "values", "zph_scaled_gbsg.json"))
