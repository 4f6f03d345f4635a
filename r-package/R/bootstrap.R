# The parametric bootstrap of a fit (confint(method = "boot")): responses simulated from the fitted model
# (simulate(), new random effects drawn from G), refitted by the engine with the fit's settings, in parallel over
# the threads (GBMixed.refits), in chunks so that a progress bar can move and Ctrl-C can stop between them.

# Percentile intervals of the parameters in lme4's layout: rows .sig01, .sig02, ... (the standard deviations and
# correlations of the random effects, column by column over the lower triangle of G, as lme4's theta), .sigma,
# then the linear learner's coefficients; columns "2.5 %", "97.5 %" (for level 0.95).
confint_boot <- function(object, parm = NULL, level = 0.95, nsim = 200, seed = NULL, progress = interactive()) {
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  check_whole(nsim, "nsim", min = 2)
  check_flag(progress, "progress")
  reps <- bootstrap_parameters(object, nsim, seed, progress)
  a <- (1 - level) / 2
  ci <- t(apply(reps, 2L, stats::quantile, probs = c(a, 1 - a), names = FALSE, type = 6, na.rm = TRUE))
  colnames(ci) <- paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE, digits = 3), "%")
  rows <- rownames(ci)
  keep <- confint_rows(parm, rows, grep("^\\.sig", rows, value = TRUE), names(object$coefficients))
  ci <- ci[keep, , drop = FALSE]
  attr(ci, "nsim") <- nsim
  attr(ci, "seconds") <- attr(reps, "seconds")
  ci
}

# nsim x p matrix of the bootstrap replicates of the parameters (columns named as in lme4's confint()).
bootstrap_parameters <- function(object, nsim, seed, progress) {
  require_engine()
  t0 <- proc.time()[["elapsed"]]
  sims <- as.matrix(stats::simulate(object, nsim = nsim, seed = seed, re.form = NA))
  if (!is.null(object$offset)) sims <- sims - object$offset       # the engine fits y - offset
  q <- length(object$z_names)
  ncoef <- length(object$coefficients)
  width <- q * q + 2L + ncoef
  config <- make_config(object$control, object$seed, nclusters = length(object$cluster_levels))
  n <- object$nobs
  xdisp <- object$disp$x %||% matrix(0, n, 0L)
  wcov <- object$cov$w %||% matrix(0, length(object$cluster_levels), 0L)
  ncol_cate <- length(row_features(object$features))
  chunk <- max(1L, ceiling(nsim / 20))
  out <- matrix(NA_real_, nsim, width)
  bar <- if (progress) utils::txtProgressBar(min = 0, max = nsim, style = 3)
  on.exit(if (!is.null(bar)) close(bar), add = TRUE)
  done <- 0L
  interrupted <- FALSE
  tryCatch({
    while (done < nsim) {
      k <- min(chunk, nsim - done)
      rows <- done + seq_len(k)
      res <- jcall(.java_class$gbmixed, "[D", "refits",
                   jarg_dbl(object$x), jarg_int1(n), jarg_int1(ncol(object$x)), jarg_int(object$nlevels),
                   jarg_dbl(sims[, rows, drop = FALSE]), jarg_int1(k), jarg_dbl(object$weights),
                   jarg_int(object$cluster), jarg_int1(length(object$cluster_levels)), jarg_dbl(object$z),
                   jarg_int1(q), isTRUE(object$diagonal),
                   jarg_dbl(xdisp), jarg_int1(ncol(xdisp)), jarg_int(object$disp$nlevels %||% integer()),
                   jarg_dbl(wcov), jarg_int1(ncol(wcov)), jarg_int(object$cov$nlevels %||% integer()),
                   jarg_dbl(object$treat %||% numeric(0)), jarg_int1(ncol_cate), config)
      out[rows, ] <- matrix(res, k, width, byrow = TRUE)
      done <- done + k
      if (!is.null(bar)) utils::setTxtProgressBar(bar, done)
    }
  }, interrupt = function(e) interrupted <<- TRUE)
  if (interrupted) {
    warning("interrupted after ", done, " of ", nsim, " bootstrap refits: the intervals use those.", call. = FALSE)
    out <- out[seq_len(done), , drop = FALSE]
  }
  params <- t(apply(out, 1L, function(r) {
    G <- matrix(r[seq_len(q * q)], q, q)
    c(varcorr_parameters(G, isTRUE(object$diagonal)), sqrt(r[q * q + 1L]),
      if (ncoef) r[q * q + 2L + seq_len(ncoef)])
  }))
  colnames(params) <- parameter_names(object)
  attr(params, "seconds") <- proc.time()[["elapsed"]] - t0
  params
}

# The standard deviations and correlations of G in lme4's theta order: column by column over the lower
# triangle (sd on the diagonal, correlation below it); only the standard deviations for a diagonal G.
varcorr_parameters <- function(G, diagonal) {
  q <- nrow(G)
  sd <- sqrt(diag(G))
  if (diagonal) return(sd)
  out <- numeric(0)
  for (c in seq_len(q)) for (r in c:q) out <- c(out, if (r == c) sd[r] else G[r, c] / (sd[r] * sd[c]))
  out
}

# lme4's names of confint()'s rows: .sig01, .sig02, ..., .sigma, then the fixed effects.
parameter_names <- function(object) {
  q <- length(object$z_names)
  nsig <- if (isTRUE(object$diagonal)) q else q * (q + 1L) / 2L
  c(sprintf(".sig%02d", seq_len(nsig)), ".sigma", names(object$coefficients))
}
