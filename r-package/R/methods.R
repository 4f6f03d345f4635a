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
  check_dots(...)
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
#' and the residual standard deviation, in the format of [lme4::VarCorr()]; or, with `newdata`, the variance
#' functions \eqn{G(w)} and \eqn{R(x)} evaluated at its rows.
#'
#' Without `newdata`, the result has lme4's layout. In the Base variant it holds the constant \eqn{G} and
#' \eqn{\sigma}. When \eqn{G(w)} is boosted (GBoost, GRBoost), the matrix is the average of \eqn{G(w_i)} over
#' the training clusters and the per-cluster matrices are in attribute `"cluster"` (a
#' \eqn{q \times q \times m}{q x q x m} array); when \eqn{R(x)} is boosted (RBoost, GRBoost), `"sc"` is the
#' square root of the mean of \eqn{R(x)} over the training rows (see [sigma.gbmixed()] for the values per
#' row). Attribute `"averaged"` says which parts are such averages.
#'
#' With `newdata`, the result is a list of class `"VarCorr_rows.gbmixed"` with `G`, a
#' \eqn{q \times q \times n}{q x q x n} array of \eqn{G(w)} for its rows, and `sigma`, the residual standard
#' deviation \eqn{\sqrt{R(x)}} of each row (for weight 1). `newdata` needs the `covformula` columns (rows of
#' clusters seen in training may omit them: the cluster's training values are used) and the `dispformula`
#' columns; a constant part needs no columns.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param sigma ignored; present for compatibility with the generic.
#' @param newdata `NULL`, or a data frame at whose rows the variance functions are evaluated.
#' @param ... not used.
#' @return Without `newdata`, an object of class `c("VarCorr.gbmixed", "VarCorr.merMod")`: a list with one
#'   covariance matrix named after the grouping factor, with attributes `"stddev"` and `"correlation"`; the
#'   list has attributes `"sc"` (residual standard deviation), `"useSc"`, `"averaged"` and, for a boosted
#'   \eqn{G(w)}, `"cluster"`. With `newdata`, a `"VarCorr_rows.gbmixed"` list (see Details).
#' @method VarCorr gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' VarCorr(fit)
#' VarCorr(fit)$Subject
#'
#' # a random intercept whose variance depends on a cluster-level covariate w
#' set.seed(1)
#' m <- 60
#' w <- runif(m)
#' id <- rep(seq_len(m), each = 8)
#' d <- data.frame(id = factor(id), w = w[id], x = rnorm(8 * m))
#' d$y <- sin(d$x) + rnorm(m, sd = exp(1.5 * w))[id] + rnorm(8 * m, sd = 0.5)
#' gfit <- gbmixed(y ~ x + (1 | id), d, covformula = ~ w,
#'                 control = gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf_cov = 10,
#'                                           seed = 1))
#' VarCorr(gfit)                       # G averaged over the clusters
#' VarCorr(gfit, newdata = data.frame(w = c(0.1, 0.9)))$G
VarCorr.gbmixed <- function(x, sigma = 1, newdata = NULL, ...) {
  check_dots(...)
  if (!is.null(newdata)) return(varcorr_rows(x, newdata))
  G <- x$G
  sd <- sqrt(diag(G))
  corr <- G / outer(sd, sd)
  corr[!is.finite(corr)] <- 0
  diag(corr) <- 1
  attr(G, "stddev") <- stats::setNames(sd, rownames(G))
  attr(G, "correlation") <- corr
  structure(stats::setNames(list(G), x$group), sc = sqrt(x$sigma2), useSc = TRUE, diagonal = x$diagonal,
            averaged = c(G = !is.null(x$cov), sigma = !is.null(x$disp)),
            cluster = if (!is.null(x$cov)) x$G_cluster,
            nclusters = length(x$cluster_levels),
            class = c("VarCorr.gbmixed", "VarCorr.merMod"))
}

varcorr_rows <- function(object, newdata) {
  check_is_data_frame(newdata, "newdata")
  n <- nrow(newdata)
  G <- if (is.null(object$cov)) {
    array(object$G, c(dim(object$G), n), dimnames = list(object$z_names, object$z_names, NULL))
  } else {
    wcov <- newdata_wcov(object, newdata, n, newdata_cluster_codes(object, newdata))
    tri_to_array(if (n > 0L) engine_predict_cov(object, wcov) else numeric(0), object$z_names)
  }
  dimnames(G)[[3L]] <- row.names(newdata)
  s <- sqrt(predict_disp(object, newdata, n))
  structure(list(G = G, sigma = stats::setNames(s, row.names(newdata)), group = object$group),
            class = "VarCorr_rows.gbmixed")
}

#' @rdname VarCorr.gbmixed
#' @param digits number of significant digits.
#' @param comp the columns to print, as lme4's `print()` of `VarCorr()`: any non-empty subset of `"Variance"` and
#'   `"Std.Dev."` (abbreviations allowed), in the order given; correlations are shown for correlated effects.
#'   The default shows both.
#' @export
print.VarCorr.gbmixed <- function(x, digits = max(3L, getOption("digits") - 2L), comp = c("Variance", "Std.Dev."),
                                  ...) {
  check_dots(...)
  print(format_varcorr(x, digits, comp), quote = FALSE, right = FALSE, row.names = FALSE)
  avg <- attr(x, "averaged")
  if (isTRUE(avg[["G"]])) {
    cat(" ", names(x), ": average of G(w) over the ", attr(x, "nclusters"), " training clusters\n", sep = "")
  }
  if (isTRUE(avg[["sigma"]])) cat(" Residual: square root of the mean of R(x) over the training rows\n")
  invisible(x)
}

#' @export
print.VarCorr_rows.gbmixed <- function(x, digits = max(3L, getOption("digits") - 2L), ...) {
  check_dots(...)
  G <- x$G
  q <- dim(G)[1L]
  nm <- dimnames(G)[[1L]]
  idx <- lower_tri_index(q)
  tab <- matrix(0, dim(G)[3L], nrow(idx))
  for (k in seq_len(nrow(idx))) tab[, k] <- G[idx[k, 1L], idx[k, 2L], ]
  out <- data.frame(tab, x$sigma^2, check.names = FALSE)
  names(out) <- c(lower_tri_labels(nm), "var(Residual)")
  row.names(out) <- dimnames(G)[[3L]]
  cat("Variance functions at ", dim(G)[3L], " rows: G(w) of ", x$group, " and R(x)\n", sep = "")
  print(out, digits = digits)
  invisible(x)
}

# The table print() shows: Groups, Name, the columns of `comp` (lme4's formatVC(): "Variance" and/or "Std.Dev.",
# partial matching, in the order given), and the correlations of correlated effects.
format_varcorr <- function(vc, digits, comp = c("Variance", "Std.Dev.")) {
  avail <- c("Variance", "Std.Dev.")
  if (!is.character(comp) || !length(comp) || anyNA(comp)) {
    stop_arg("`comp` must name the columns to show: \"Variance\", \"Std.Dev.\" or both, not ", show_value(comp), ".")
  }
  k <- pmatch(comp, avail, duplicates.ok = TRUE)
  if (anyNA(k)) {
    stop_arg("`comp` must be any of \"Variance\" and \"Std.Dev.\", not ", paste0("\"", comp[is.na(k)], "\"", collapse = ", "),
             ".")
  }
  comp <- unique(avail[k])
  G <- vc[[1L]]
  q <- nrow(G)
  nm <- rownames(G)
  sd <- attr(G, "stddev")
  sc <- attr(vc, "sc")
  out <- data.frame(
    Groups = c(names(vc), rep("", q - 1L), "Residual"),
    Name = c(nm, ""),
    stringsAsFactors = FALSE, check.names = FALSE
  )
  for (cc in comp) {
    out[[cc]] <- format(if (cc == "Variance") c(diag(G), sc^2) else c(sd, sc), digits = digits)
  }
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
  check_dots(...)
  if (is.null(object$coefficients)) {
    stop("fixef() is available only for fits with learner = \"linear\"; this fit's mean is an ensemble of ",
         object$control$learner, "s (use predict(type = \"fixed\") for f(x)).", call. = FALSE)
  }
  object$coefficients
}

#' Residual standard deviation of a gbmixed fit
#'
#' The residual standard deviation \eqn{\sigma} (for weight 1), or with a boosted residual variance
#' (RBoost, GRBoost; see `dispformula` in [gbmixed()]) the values \eqn{\sqrt{R(x)}} of the variance function.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newdata `NULL`, or a data frame with the `dispformula` columns: one value \eqn{\sqrt{R(x)}} per row.
#'   Without `newdata`: the single \eqn{\sigma} when the residual variance is constant, otherwise
#'   \eqn{\sqrt{R(x)}} for each training row (for weight 1; a weighted row's standard deviation is that divided
#'   by \eqn{\sqrt{w}}).
#' @param ... not used.
#' @return A number, or a vector with one value per row.
#' @importFrom stats sigma
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' sigma(fit)
#'
#' # residual standard deviation growing with x
#' set.seed(1)
#' d <- data.frame(id = factor(rep(1:40, each = 10)), x = runif(400))
#' d$y <- d$x + rnorm(40)[d$id] + rnorm(400, sd = exp(1.5 * d$x - 1))
#' rfit <- gbmixed(y ~ x + (1 | id), d, dispformula = ~ x,
#'                 control = gbmixed_control(nrounds = 60, learning_rate = 0.1, seed = 1))
#' sigma(rfit, newdata = data.frame(x = c(0.1, 0.5, 0.9)))
sigma.gbmixed <- function(object, newdata = NULL, ...) {
  check_dots(...)
  if (is.null(newdata)) {
    if (is.null(object$disp)) return(sqrt(object$sigma2))
    return(sqrt(object$fitted_disp))
  }
  check_is_data_frame(newdata, "newdata")
  sqrt(predict_disp(object, newdata, nrow(newdata)))
}

#' Fitted values, residuals, log-likelihood and number of observations of a gbmixed fit
#'
#' `fitted()` gives the conditional fitted values \eqn{\hat f(x) + z^\top \hat b_i} of the training rows.
#' `residuals()` gives `y - fitted(object)` (`type = "response"`) or those divided by the residual standard
#' deviation of each row, \eqn{\sigma / \sqrt{w}} or, with a boosted residual variance,
#' \eqn{\sqrt{R(x) / w}} (`type = "pearson"`). `logLik()` gives the maximised
#' marginal (ML, not REML) log-likelihood; its `df` counts the variance parameters (the free entries of
#' \eqn{G} and \eqn{\sigma^2}) plus, for `learner = "linear"`, the coefficients of \eqn{f}. Tree ensembles
#' (and boosted variance functions, which count as one parameter per entry like their constant counterparts)
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
fitted.gbmixed <- function(object, ...) {
  check_dots(...)
  object$fitted_fixed + object$fitted_random
}

#' @rdname gbmixed-methods
#' @importFrom stats residuals
#' @export
residuals.gbmixed <- function(object, type = c("response", "pearson"), ...) {
  check_dots(...)
  type <- match.arg(type)
  r <- object$y - stats::fitted(object)
  if (type == "pearson") r <- r / sqrt(object$fitted_disp / object$weights)
  r
}

#' @rdname gbmixed-methods
#' @importFrom stats logLik
#' @export
logLik.gbmixed <- function(object, ...) {
  check_dots(...)
  structure(object$loglik, df = model_df(object), nobs = object$nobs, nall = object$nobs, class = "logLik")
}

#' @rdname gbmixed-methods
#' @importFrom stats nobs
#' @export
nobs.gbmixed <- function(object, ...) {
  check_dots(...)
  object$nobs
}

#' Print and summarise a gbmixed fit
#'
#' `print()` shows the model and its variant (Base, RBoost, GBoost or GRBoost; see [gbmixed()]), how it was
#' estimated ("fit by maximum likelihood" only for a linear mean with constant variance parts and no honest
#' folds, the model `lmer(..., REML = FALSE)` fits; otherwise "fit by boosting the marginal likelihood", with
#' "variance components from K-fold cross-fitted (honest) residuals" when `honest_folds` is on, as it is by
#' default for trees: those variance components are not the maximum likelihood ones), the data
#' sizes, the log-likelihood and the variance components (averaged over the data for a boosted part, with the
#' range of \eqn{R(x)} over the training rows and of \eqn{G(w)} over the clusters). `summary()` adds the loss
#' curve's end points, scaled residuals, quantiles of the boosted variance functions (\eqn{R(x)} over the
#' training rows, each entry of \eqn{G(w)} over the training clusters), the most important covariates of
#' each boosted part (mean, residual variance, random-effects covariance) and, for `learner = "linear"`, the
#' coefficients.
#'
#' @param x,object a fitted `"gbmixed"` object (or its summary, for the print method of summaries).
#' @param digits number of significant digits.
#' @param top number of covariates to list by importance, per part.
#' @param ... not used.
#' @return `print()` returns `x` invisibly; `summary()` an object of class `"summary.gbmixed"`. Its parts
#'   for a report are data frames that [knitr::kable()] prints as they are:
#'   \describe{
#'     \item{`varcomp`}{the variance components: `group`, `term` (a random effect, a pair of them, or
#'       `Residual`), `variance` (a covariance for a pair), `sd`, `corr` (for a pair), `averaged` (`TRUE`
#'       where the value is an average of a boosted variance function over the data).}
#'     \item{`spread`}{one row per boosted variance function entry, \eqn{R(x)} over the training rows and
#'       each entry of \eqn{G(w)} over the training clusters: `part`, `term`, `min`, `q10`, `median`, `q90`,
#'       `max` (`NULL` when both parts are constant).}
#'     \item{`top_features`}{the `top` most important covariates of each boosted part: `part`, `feature`,
#'       `importance` (the part's share).}
#'   }
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' print(fit)
#' summary(fit)
#'
#' # RBoost: the residual variance depends on Days
#' rfit <- gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, dispformula = ~ Days,
#'                 control = gbmixed_control(nrounds = 50, learning_rate = 0.1, min_leaf = 10,
#'                                           seed = 1))
#' summary(rfit)
print.gbmixed <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  check_dots(...)
  cat("Gradient boosted mixed model (", x$variant, ") ", estimation_text(x), "\n", sep = "")
  cat(" Formula:", deparse1(x$formula), "\n")
  if (!is.null(x$disp)) cat(" Residual variance R(x):", deparse1(x$disp$formula), "\n")
  if (!is.null(x$cov)) cat(" Random-effects covariance G(w):", deparse1(x$cov$formula), "\n")
  if (!is.null(x$treatment)) cat(" Treatment:", x$treatment$name, "\n")
  cat(" Learner: ", learner_text(x$control, !is.null(x$disp), !is.null(x$cov), !is.null(x$treatment)), "; ", x$nrounds, " rounds\n",
      sep = "")
  cat(" Data: ", x$nobs, " rows in ", length(x$cluster_levels), " clusters of ", x$group, "\n", sep = "")
  rl <- rounds_lines(rounds_info(x), digits)
  if (length(rl)) cat(rl, sep = "\n")      # cat(character(0), sep = "\n") would print an empty line
  ll <- stats::logLik(x)
  cat(" logLik: ", format(as.numeric(ll), digits = digits + 2L), " (df = ", attr(ll, "df"), ")\n", sep = "")
  cat("Variance components:\n")
  print(VarCorr.gbmixed(x), digits = digits)
  if (!is.null(x$disp)) {
    r <- range(x$fitted_disp)
    cat(" R(x) ranges from ", format(r[1L], digits = digits), " to ", format(r[2L], digits = digits),
        " over the training rows\n", sep = "")
  }
  if (!is.null(x$cov)) {
    for (k in seq_along(x$z_names)) {
      r <- range(x$G_cluster[k, k, ])
      cat(" var(", x$z_names[k], ") in G(w) ranges from ", format(r[1L], digits = digits), " to ",
          format(r[2L], digits = digits), " over the clusters\n", sep = "")
    }
  }
  if (!is.null(x$coefficients)) {
    cat("Coefficients of the linear mean:\n")
    print(x$coefficients, digits = digits)
  }
  invisible(x)
}

#' @rdname print.gbmixed
#' @export
summary.gbmixed <- function(object, top = 10L, ...) {
  check_dots(...)
  res <- stats::residuals(object, type = "pearson")
  top_of <- function(imp) {
    if (!length(imp)) return(NULL)
    imp <- sort(imp, decreasing = TRUE)
    imp[seq_len(min(top, length(imp)))]
  }
  probs <- c(0, 0.1, 0.5, 0.9, 1)
  qnames <- c("Min", "10%", "Median", "90%", "Max")
  disp_spread <- if (!is.null(object$disp)) {
    stats::setNames(stats::quantile(object$fitted_disp, probs, names = FALSE), qnames)
  }
  cov_spread <- if (!is.null(object$cov)) {
    tri <- cluster_cov_tri(object)
    out <- t(apply(tri, 2L, stats::quantile, probs = probs, names = FALSE))
    dimnames(out) <- list(lower_tri_labels(object$z_names), qnames)
    out
  }
  sizes <- tabulate(object$cluster + 1L, length(object$cluster_levels))
  structure(list(
    call = object$call,
    formula = object$formula,
    dispformula = object$disp$formula,
    covformula = object$cov$formula,
    treatment = object$treatment$name,
    variant = object$variant,
    estimation = estimation_text(object),
    learner = learner_text(object$control, !is.null(object$disp), !is.null(object$cov), !is.null(object$treatment)),
    nrounds = object$nrounds,
    loss = object$loss[c(1L, object$nrounds + 1L)] / object$nobs,
    rounds = rounds_info(object),
    nobs = object$nobs,
    group = object$group,
    nclusters = length(object$cluster_levels),
    cluster_sizes = range(sizes),
    logLik = stats::logLik(object),
    residuals = stats::quantile(res, c(0, 0.25, 0.5, 0.75, 1), names = FALSE),
    varcor = VarCorr.gbmixed(object),
    disp_spread = disp_spread,
    cov_spread = cov_spread,
    importance = top_of(object$importance),
    importance_disp = top_of(object$importance_disp),
    importance_cov = top_of(object$importance_cov),
    coefficients = object$coefficients,
    seed = object$seed,
    varcomp = varcomp_table(object),
    spread = spread_table(disp_spread, cov_spread),
    top_features = top_features_table(list(mean = top_of(object$importance), disp = top_of(object$importance_disp),
                                           cov = top_of(object$importance_cov)))
  ), class = "summary.gbmixed")
}

# summary()$varcomp: G's entries and the residual variance as one data frame.
varcomp_table <- function(object) {
  vc <- VarCorr.gbmixed(object)
  G <- vc[[1L]]
  sds <- sqrt(diag(G))
  nm <- rownames(G)
  # as lme4's as.data.frame(VarCorr()): the variances, then the covariances of each pair
  rows <- list(data.frame(term = nm, variance = diag(G), sd = sds, corr = NA_real_))
  for (a in seq_along(nm)) {
    for (b in seq_len(a - 1L)) {
      r <- if (sds[a] > 0 && sds[b] > 0) G[a, b] / (sds[a] * sds[b]) else NA_real_
      rows[[length(rows) + 1L]] <- data.frame(term = paste0(nm[b], " x ", nm[a]), variance = G[a, b], sd = NA_real_,
                                              corr = r)
    }
  }
  sc <- attr(vc, "sc")
  out <- rbind(data.frame(group = object$group, do.call(rbind, rows)),
               data.frame(group = "Residual", term = "Residual", variance = sc^2, sd = sc, corr = NA_real_))
  out$averaged <- c(rep(!is.null(object$cov), nrow(out) - 1L), !is.null(object$disp))
  rownames(out) <- NULL
  out
}

# summary()$spread: the quantiles of the boosted variance functions as one data frame (NULL if none).
spread_table <- function(disp_spread, cov_spread) {
  cols <- c("min", "q10", "median", "q90", "max")
  rows <- list()
  if (!is.null(disp_spread)) {
    rows[[1L]] <- data.frame(part = "R(x)", term = "Residual", t(stats::setNames(unname(disp_spread), cols)))
  }
  if (!is.null(cov_spread)) {
    m <- unname(cov_spread)
    colnames(m) <- cols
    rows[[length(rows) + 1L]] <- data.frame(part = "G(w)", term = rownames(cov_spread), m)
  }
  if (!length(rows)) return(NULL)
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

# summary()$top_features: part, feature, importance.
top_features_table <- function(parts) {
  rows <- lapply(names(parts), function(p) {
    imp <- parts[[p]]
    if (!length(imp)) return(NULL)
    data.frame(part = p, feature = names(imp), importance = unname(imp))
  })
  out <- do.call(rbind, rows)
  if (is.null(out)) out <- data.frame(part = character(0), feature = character(0), importance = numeric(0))
  rownames(out) <- NULL
  out
}

#' @rdname print.gbmixed
#' @export
print.summary.gbmixed <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  check_dots(...)
  cat("Gradient boosted mixed model (", x$variant, ")", if (!is.null(x$estimation)) " ", x$estimation, "\n",
      sep = "")
  cat(" Formula:", deparse1(x$formula), "\n")
  if (!is.null(x$dispformula)) cat(" Residual variance R(x):", deparse1(x$dispformula), "\n")
  if (!is.null(x$covformula)) cat(" Random-effects covariance G(w):", deparse1(x$covformula), "\n")
  if (!is.null(x$treatment)) cat(" Treatment:", x$treatment, "\n")
  cat(" Learner: ", x$learner, "; ", x$nrounds, " rounds (seed ", format(x$seed, scientific = FALSE), ")\n",
      sep = "")
  cat(" Training loss (NLL per row): ", format(x$loss[1L], digits = digits + 2L), " at round 0, ",
      format(x$loss[2L], digits = digits + 2L), " at round ", x$nrounds, "\n", sep = "")
  if (!is.null(x$rounds)) cat(rounds_lines(x$rounds, digits), sep = "\n")
  ll <- x$logLik
  cat(" logLik: ", format(as.numeric(ll), digits = digits + 2L), "  df: ", attr(ll, "df"), "\n\n", sep = "")
  cat("Scaled residuals:\n")
  print(stats::setNames(x$residuals, c("Min", "1Q", "Median", "3Q", "Max")), digits = digits)
  cat("\nVariance components:\n")
  print(x$varcor, digits = digits)
  cat("Number of obs: ", x$nobs, ", clusters of ", x$group, ": ", x$nclusters, " (", x$cluster_sizes[1L],
      if (x$cluster_sizes[1L] != x$cluster_sizes[2L]) paste0(" to ", x$cluster_sizes[2L]), " rows each)\n",
      sep = "")
  if (!is.null(x$disp_spread)) {
    cat("\nResidual variance R(x) over the training rows:\n")
    print(x$disp_spread, digits = digits)
  }
  if (!is.null(x$cov_spread)) {
    cat("\nRandom-effects covariance G(w) over the training clusters:\n")
    print(x$cov_spread, digits = digits)
  }
  if (!is.null(x$coefficients)) {
    cat("\nCoefficients of the linear mean:\n")
    print(x$coefficients, digits = digits)
  }
  show_imp <- function(imp, what) {
    if (length(imp) && any(imp > 0)) {
      cat("\nImportance of covariates in ", what, " (gain share):\n", sep = "")
      print(round(imp, 4L))
    }
  }
  show_imp(x$importance, "the mean")
  show_imp(x$importance_disp, "the residual variance R(x)")
  show_imp(x$importance_cov, "the random-effects covariance G(w)")
  invisible(x)
}

# ---- rounds, early stopping and the loss curves ----

# Rounds run, the best round and the losses (NLL per row) at the kept round; NULL for a fit without validation
# that ran all its rounds uninterrupted (print then has nothing to add).
rounds_info <- function(object) {
  run <- object$rounds_run %||% object$nrounds
  valid <- object$valid_loss
  if (is.null(valid) && !isTRUE(object$interrupted) && !isTRUE(object$converged)) return(NULL)
  kept <- object$nrounds
  list(
    run = run, kept = kept, planned = object$control$nrounds, best = object$best_round,
    early_stopping = object$control$early_stopping_rounds, stopped_early = isTRUE(object$stopped_early),
    interrupted = isTRUE(object$interrupted), converged = isTRUE(object$converged),
    tol = object$control$tol %||% 1e-8,
    train = object$loss[kept + 1L] / object$nobs,
    metric = object$control$early_stopping_metric %||% "nll",
    valid = if (!is.null(valid)) valid[kept + 1L] / object$validation$nobs,
    valid_best = if (!is.null(valid)) valid[object$best_round + 1L] / object$validation$nobs,
    validation = object$validation
  )
}

rounds_lines <- function(r, digits) {
  if (is.null(r)) return(character(0))
  fmt <- function(v) format(v, digits = digits + 2L)
  how <- if (r$interrupted) " (interrupted)" else if (r$stopped_early) {
    paste0(" (stopped early: ", r$early_stopping, " rounds without improvement)")
  } else if (r$converged) {
    paste0(" (converged: the last round moved no parameter by more than tol = ", format(r$tol), ")")
  } else ""
  out <- paste0(" Rounds: ", r$run, " of ", r$planned, " run", how)
  if (!is.null(r$valid)) {
    v <- r$validation
    out <- c(out, paste0(" Validation: ", v$nclusters, " clusters, ", v$nobs, " rows (", v$source, "); ",
                         "lowest loss at round ", r$best,
                         if (!is.null(r$early_stopping)) paste0(", the model kept") else
                           paste0(" (model kept: round ", r$kept, ", as early stopping is off)")),
             paste0(" Loss per row at round ", r$kept, ": training NLL ", fmt(r$train), ", validation ",
                    switch(r$metric, mse = "squared error ", nll = "NLL ", rowwise = "row-wise NLL "), fmt(r$valid)))
  }
  out
}

# What the estimates are, for the first line of print() and summary(): "fit by maximum likelihood" only where the
# fit is lmer's (REML = FALSE) -- a linear mean (not component-wise) with constant variance parts, no treatment part
# and no honest folds; otherwise the likelihood is boosted, and with honest folds the variance components come from
# cross-fitted residuals, which moves them away from the maximum likelihood values.
estimation_text <- function(object) {
  folds <- min(honest_folds_of(object$control), length(object$cluster_levels))
  if (!is.na(model_df(object)) && folds < 2L) return("fit by maximum likelihood")
  paste0("fit by boosting the marginal likelihood",
         if (folds >= 2L) paste0(",\n variance components from ", folds, "-fold cross-fitted (honest) residuals"))
}

# "tree, learning rate 0.05" for a Base fit; each boosted part's learner and rate otherwise.
learner_text <- function(control, disp, cov, cate = FALSE) {
  one <- function(learner, rate) paste0(learner, ", learning rate ", format(rate))
  parts <- paste0(if (disp || cov || cate) "mean ", one(control$learner, control$learning_rate))
  if (cate) {
    parts <- c(parts, paste0("tau(x) ", one(control$learner_cate %||% control$learner,
                                            control$learning_rate_cate %||% control$learning_rate)))
  }
  if (disp) {
    parts <- c(parts, paste0("R(x) ", one(control$learner_disp %||% control$learner,
                                          part_rate(control, "disp"))))
  }
  if (cov) {
    parts <- c(parts, paste0("G(w) ", one(control$learner_cov %||% control$learner,
                                          part_rate(control, "cov"))))
  }
  paste(parts, collapse = "; ")
}
