# Contracts every method shares: no argument is dropped silently, and one definition of a fit's degrees of freedom.

# Call as check_dots(...) first thing in a method whose `...` exists only to match its generic: any argument that
# lands in `...` is an error naming it, with the closest argument of the method when it looks like a typo
# (`newdta` -> `newdata`). lme4 errors or warns on such arguments; dropping them gives wrong answers without a word
# (predict(fit, newdta = nd) would return the training fits).
check_dots <- function(...) {
  n <- ...length()
  if (n == 0L) return(invisible(TRUE))
  nm <- ...names()
  if (is.null(nm)) nm <- rep("", n)
  fun <- sys.function(-1L)
  call_name <- deparse1(sys.call(-1L)[[1L]])
  method <- sub("\\.gbmixed$", "", sub("^.*::", "", call_name))
  formal <- setdiff(names(formals(fun)), "...")
  shown <- vapply(seq_len(n), function(i) {
    a <- nm[i]
    if (!nzchar(a)) return(paste0("an unnamed argument (position ", i, " of `...`)"))
    hint <- ""
    if (length(formal)) {
      d <- utils::adist(a, formal, ignore.case = TRUE)[1L, ]
      if (min(d) <= max(1L, nchar(a) %/% 3L)) hint <- paste0(" (did you mean `", formal[which.min(d)], "`?)")
    }
    paste0("`", a, "`", hint)
  }, character(1))
  stop_arg("unused argument", if (n > 1L) "s", " ", paste(shown, collapse = ", "), " in ", method, "() for a ",
           "gbmixed fit; its arguments are ", paste0("`", formal, "`", collapse = ", "), ".")
}

# Degrees of freedom of a fit, as logLik(), AIC(), BIC() and glance() use them: for the linear learner (not
# component-wise) with constant variances, lme4's count -- fixed coefficients + entries of G + 1 for sigma^2 --
# since its fit is lmer's; for a boosted mean or boosted variance functions there is no such count (a boosted
# ensemble has no fixed number of parameters), so NA, and AIC/BIC are NA too.
model_df <- function(object) {
  ctl <- object$control
  linear <- identical(ctl$learner, "linear") && !isTRUE(ctl$componentwise)
  if (!linear || !identical(object$variant, "Base") || !is.null(object$treatment)) return(NA_integer_)
  q <- length(object$z_names)
  as.integer(length(object$coefficients) + (if (object$diagonal) q else q * (q + 1L) / 2L) + 1L)
}
