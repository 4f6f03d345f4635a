# Methods for fitted "gbmixed" objects: the lme4 verb set. They read the R data stored in the object and do
# not need Java (predict() does).

#' @importFrom lme4 ranef
#' @export
lme4::ranef

#' @importFrom lme4 fixef
#' @export
lme4::fixef

#' @importFrom lme4 VarCorr
#' @export
lme4::VarCorr

#' Random effects (BLUPs) of a gbmixed fit
#'
#' The best linear unbiased predictions \eqn{\hat b_i} of the random effects, one row per cluster, in the
#' format of [lme4::ranef()]: a list with one data frame per grouping factor (gbmixed has one).
#'
#' @param object a fitted `"gbmixed"` object.
#' @param condVar if `TRUE`, attach the conditional (posterior) covariances \eqn{P_i} of the random effects
#'   as attribute `"postVar"`, a \eqn{q \times q \times m}{q x q x m} array, as lme4 does.
#' @param drop if `TRUE`, return a named vector instead of a one-column data frame when there is a single
#'   random effect.
#' @param ... not used.
#' @return An object of class `"ranef.mer"`.
#' @method ranef gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' re <- ranef(fit)
#' head(re$Subject)
#' dim(attr(re$Subject, "postVar"))
ranef.gbmixed <- function(object, condVar = TRUE, drop = FALSE, ...) {
  b <- as.data.frame(object$ranef, check.names = FALSE)
  if (isTRUE(condVar)) attr(b, "postVar") <- unname(object$ranef_cov)
  if (isTRUE(drop) && ncol(b) == 1L) {
    pv <- attr(b, "postVar")
    b <- stats::setNames(b[[1L]], rownames(b))
    if (!is.null(pv)) attr(b, "postVar") <- pv[1L, 1L, ]
  }
  structure(stats::setNames(list(b), object$group), class = "ranef.mer")
}

#' Variance components of a gbmixed fit
#'
#' The random-effects covariance matrix \eqn{G} (with standard deviations and correlations as attributes)
#' and the residual standard deviation, in the format of [lme4::VarCorr()].
#'
#' @param x a fitted `"gbmixed"` object.
#' @param sigma ignored; present for compatibility with the generic.
#' @param newdata ignored for the Base variant, whose \eqn{G} is constant.
#' @param ... not used.
#' @return An object of class `c("VarCorr.gbmixed", "VarCorr.merMod")`: a list with one covariance matrix
#'   named after the grouping factor, with attributes `"stddev"` and `"correlation"`; the list has
#'   attributes `"sc"` (residual standard deviation) and `"useSc"`.
#' @method VarCorr gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' VarCorr(fit)
#' VarCorr(fit)$Subject
VarCorr.gbmixed <- function(x, sigma = 1, newdata = NULL, ...) {
  G <- x$G
  sd <- sqrt(diag(G))
  corr <- G / outer(sd, sd)
  corr[!is.finite(corr)] <- 0
  diag(corr) <- 1
  attr(G, "stddev") <- stats::setNames(sd, rownames(G))
  attr(G, "correlation") <- corr
  structure(stats::setNames(list(G), x$group), sc = sqrt(x$sigma2), useSc = TRUE, diagonal = x$diagonal,
            class = c("VarCorr.gbmixed", "VarCorr.merMod"))
}

#' @export
print.VarCorr.gbmixed <- function(x, digits = max(3L, getOption("digits") - 2L), ...) {
  print(format_varcorr(x, digits), quote = FALSE, right = FALSE, row.names = FALSE)
  invisible(x)
}

format_varcorr <- function(vc, digits) {
  G <- vc[[1L]]
  q <- nrow(G)
  nm <- rownames(G)
  sd <- attr(G, "stddev")
  sc <- attr(vc, "sc")
  out <- data.frame(
    Groups = c(names(vc), rep("", q - 1L), "Residual"),
    Name = c(nm, ""),
    Variance = format(c(diag(G), sc^2), digits = digits),
    Std.Dev. = format(c(sd, sc), digits = digits),
    stringsAsFactors = FALSE, check.names = FALSE
  )
  if (q > 1L && !isTRUE(attr(vc, "diagonal"))) {
    corr <- attr(G, "correlation")
    cc <- matrix("", q + 1L, q - 1L)
    for (i in 2:q) for (j in seq_len(i - 1L)) cc[i, j] <- formatC(corr[i, j], digits = 2L, format = "f")
    colnames(cc) <- c("Corr", rep("", q - 2L))
    out <- cbind(out, cc, stringsAsFactors = FALSE)
  }
  out
}

#' Coefficients of the linear learner
#'
#' For `learner = "linear"`, the mean \eqn{f} is linear in the covariates and its coefficients play the
#' role of lme4's fixed effects: `"(Intercept)"`, then one per numeric covariate and one per non-reference
#' level of each factor (treatment contrasts, named like [stats::lm()] names them). Tree fits have no
#' coefficients.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param ... not used.
#' @return A named numeric vector.
#' @method fixef gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 50,
#'                                          seed = 1))
#' fixef(fit)
fixef.gbmixed <- function(object, ...) {
  if (is.null(object$coefficients)) {
    stop("fixef() is available only for fits with learner = \"linear\"; this fit's mean is an ensemble of ",
         object$control$learner, "s (use predict(type = \"fixed\") for f(x)).", call. = FALSE)
  }
  object$coefficients
}

#' Residual standard deviation of a gbmixed fit
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newdata `NULL` for the single residual standard deviation \eqn{\sigma} (for weight 1), or a data
#'   frame, for one value per row (all equal in the Base variant, whose residual variance is constant).
#' @param ... not used.
#' @return A number, or a vector with one value per row of `newdata`.
#' @importFrom stats sigma
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' sigma(fit)
sigma.gbmixed <- function(object, newdata = NULL, ...) {
  s <- sqrt(object$sigma2)
  if (is.null(newdata)) return(s)
  check_is_data_frame(newdata, "newdata")
  rep(s, nrow(newdata))
}

#' Fitted values, residuals, log-likelihood and number of observations of a gbmixed fit
#'
#' `fitted()` gives the conditional fitted values \eqn{\hat f(x) + z^\top \hat b_i} of the training rows.
#' `residuals()` gives `y - fitted(object)` (`type = "response"`) or those divided by the residual standard
#' deviation of each row, \eqn{\sigma / \sqrt{w}} (`type = "pearson"`). `logLik()` gives the maximised
#' marginal (ML, not REML) log-likelihood; its `df` counts the variance parameters (the free entries of
#' \eqn{G} and \eqn{\sigma^2}) plus, for `learner = "linear"`, the coefficients of \eqn{f}. Tree ensembles
#' have no fixed parameter count, so `AIC()` of a tree fit understates its complexity.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param type type of residuals.
#' @param ... not used.
#' @return `fitted()` and `residuals()` a numeric vector with one value per training row; `logLik()` an
#'   object of class `"logLik"`; `nobs()` the number of rows.
#' @name gbmixed-methods
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' head(fitted(fit))
#' head(residuals(fit, type = "pearson"))
#' logLik(fit)
#' nobs(fit)
NULL

#' @rdname gbmixed-methods
#' @importFrom stats fitted
#' @export
fitted.gbmixed <- function(object, ...) object$fitted_fixed + object$fitted_random

#' @rdname gbmixed-methods
#' @importFrom stats residuals
#' @export
residuals.gbmixed <- function(object, type = c("response", "pearson"), ...) {
  type <- match.arg(type)
  r <- object$y - stats::fitted(object)
  if (type == "pearson") r <- r * sqrt(object$weights) / sqrt(object$sigma2)
  r
}

#' @rdname gbmixed-methods
#' @importFrom stats logLik
#' @export
logLik.gbmixed <- function(object, ...) {
  q <- length(object$z_names)
  df <- (if (object$diagonal) q else q * (q + 1L) / 2L) + 1L + length(object$coefficients)
  structure(object$loglik, df = as.integer(df), nobs = object$nobs, nall = object$nobs, class = "logLik")
}

#' @rdname gbmixed-methods
#' @importFrom stats nobs
#' @export
nobs.gbmixed <- function(object, ...) object$nobs

#' Print and summarise a gbmixed fit
#'
#' `print()` shows the model, the data sizes, the log-likelihood and the variance components. `summary()`
#' adds the loss curve's end points, scaled residuals, the most important covariates of the mean and, for
#' `learner = "linear"`, the coefficients.
#'
#' @param x,object a fitted `"gbmixed"` object (or its summary, for the print method of summaries).
#' @param digits number of significant digits.
#' @param top number of covariates to list by importance.
#' @param ... not used.
#' @return `print()` returns `x` invisibly; `summary()` an object of class `"summary.gbmixed"`.
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' print(fit)
#' summary(fit)
print.gbmixed <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Gradient boosted mixed model (", x$variant, ") fit by maximum likelihood\n", sep = "")
  cat(" Formula:", deparse1(x$formula), "\n")
  cat(" Learner: ", x$control$learner, ", ", x$nrounds, " rounds, learning rate ",
      format(x$control$learning_rate), "\n", sep = "")
  cat(" Data: ", x$nobs, " rows in ", length(x$cluster_levels), " clusters of ", x$group, "\n", sep = "")
  ll <- stats::logLik(x)
  cat(" logLik: ", format(as.numeric(ll), digits = digits + 2L), " (df = ", attr(ll, "df"), ")\n", sep = "")
  cat("Variance components:\n")
  print(VarCorr.gbmixed(x), digits = digits)
  if (!is.null(x$coefficients)) {
    cat("Coefficients of the linear mean:\n")
    print(x$coefficients, digits = digits)
  }
  invisible(x)
}

#' @rdname print.gbmixed
#' @export
summary.gbmixed <- function(object, top = 10L, ...) {
  res <- stats::residuals(object, type = "pearson")
  imp <- sort(object$importance, decreasing = TRUE)
  sizes <- tabulate(object$cluster + 1L, length(object$cluster_levels))
  structure(list(
    call = object$call,
    formula = object$formula,
    variant = object$variant,
    learner = object$control$learner,
    learning_rate = object$control$learning_rate,
    nrounds = object$nrounds,
    loss = object$loss[c(1L, length(object$loss))] / object$nobs,
    nobs = object$nobs,
    group = object$group,
    nclusters = length(object$cluster_levels),
    cluster_sizes = range(sizes),
    logLik = stats::logLik(object),
    residuals = stats::quantile(res, c(0, 0.25, 0.5, 0.75, 1), names = FALSE),
    varcor = VarCorr.gbmixed(object),
    importance = imp[seq_len(min(top, length(imp)))],
    coefficients = object$coefficients,
    seed = object$seed
  ), class = "summary.gbmixed")
}

#' @rdname print.gbmixed
#' @export
print.summary.gbmixed <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Gradient boosted mixed model (", x$variant, ") fit by maximum likelihood\n", sep = "")
  cat(" Formula:", deparse1(x$formula), "\n")
  cat(" Learner: ", x$learner, ", learning rate ", format(x$learning_rate), ", ", x$nrounds,
      " rounds (seed ", format(x$seed, scientific = FALSE), ")\n", sep = "")
  cat(" Training loss (NLL per row): ", format(x$loss[1L], digits = digits + 2L), " at round 0, ",
      format(x$loss[2L], digits = digits + 2L), " at round ", x$nrounds, "\n", sep = "")
  ll <- x$logLik
  cat(" logLik: ", format(as.numeric(ll), digits = digits + 2L), "  df: ", attr(ll, "df"), "\n\n", sep = "")
  cat("Scaled residuals:\n")
  print(stats::setNames(x$residuals, c("Min", "1Q", "Median", "3Q", "Max")), digits = digits)
  cat("\nVariance components:\n")
  print(x$varcor, digits = digits)
  cat("Number of obs: ", x$nobs, ", clusters of ", x$group, ": ", x$nclusters, " (", x$cluster_sizes[1L],
      if (x$cluster_sizes[1L] != x$cluster_sizes[2L]) paste0(" to ", x$cluster_sizes[2L]), " rows each)\n",
      sep = "")
  if (!is.null(x$coefficients)) {
    cat("\nCoefficients of the linear mean:\n")
    print(x$coefficients, digits = digits)
  }
  if (length(x$importance) && any(x$importance > 0)) {
    cat("\nImportance of covariates in the mean (gain share):\n")
    print(round(x$importance, 4L))
  }
  invisible(x)
}
