# Minimal JSON writer shared by the reference scripts: every number at full double precision
# (shortest round-trip), NA -> null, NaN/Inf -> strings; I() keeps a length-1 vector an array.
fmt_num <- function(x) {
  out <- sprintf("%.15g", x)
  for (d in 16:17) {
    bad <- is.finite(x) & suppressWarnings(as.numeric(out)) != x
    if (!any(bad)) break
    out[bad] <- sprintf(paste0("%.", d, "g"), x[bad])
  }
  out[is.na(x)] <- "null"
  out[is.nan(x)] <- "\"NaN\""
  out[!is.na(x) & x == Inf] <- "\"Inf\""
  out[!is.na(x) & x == -Inf] <- "\"-Inf\""
  out
}
json_str <- function(s) ifelse(is.na(s), "null", paste0("\"", gsub("\"", "\\\"", gsub("\\", "\\\\", s, fixed = TRUE), fixed = TRUE), "\""))
to_json <- function(x, scalar = TRUE) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(k) paste0(json_str(k), ": ", to_json(x[[k]])), "")
      return(paste0("{", paste(items, collapse = ", "), "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ", "), "]"))
  }
  if (is.matrix(x)) return(to_json(lapply(seq_len(nrow(x)), function(i) I(x[i, ]))))
  if (is.factor(x)) x <- as.character(x)
  v <- if (is.character(x)) json_str(x) else if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false")) else fmt_num(as.double(x))
  if (length(x) == 1 && !inherits(x, "AsIs")) v else paste0("[", paste(v, collapse = ", "), "]")
}
