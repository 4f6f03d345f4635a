#' Conditional average treatment effects
#'
#' Treatment effects from a gbmixed fit with `treatment = "T"` (a 0/1 column that is a covariate of the
#' mean, usually also a random slope: `y ~ x1 + x2 + T + (1 + T | id)`).
#'
#' The population-level effect (conditional average treatment effect, CATE) at covariates \eqn{x} is the
#' treatment-effect part of the mean, \eqn{f(x, T) = \mu(x) + (T - \bar T)\,\tau(x)}{f(x, T) = mu(x) + (T -
#' mean(T)) tau(x)}: \eqn{\hat\tau(x) = \hat f(x, T = 1) - \hat f(x, T = 0)} (the value of the treatment column
#' in `newdata` does not matter).
#'
#' **Intervals.** The population effect's interval is \eqn{\hat\tau(x) \pm t_{K-1} \widehat{se}(x)} with the
#' delete-a-group jackknife standard error over the \eqn{K} honest folds (`honest_folds` in
#' [gbmixed_control()], default 3): the fit keeps the \eqn{K} cross-fit means, each boosted without one fold of
#' clusters, and \eqn{\widehat{se}^2 = (K-1)/K \sum_k (\hat\tau_k(x) - \bar\tau(x))^2}. Measured coverage of the
#' true \eqn{\tau(x)} by 90% intervals on the package's simulations: 0.90 (4 data sets, `bench/r/cate_sim.R`),
#' 0.80-1.00 over 6 data sets of the tests (mean 0.88); the width varies from one data set to the next as three
#' groups give a variance with two degrees of freedom. A fit without honest folds has no such variance: `lwr`
#' and `upr` are then `NA`, with a warning.
#'
#' With `by_cluster = TRUE`, the effect in a cluster is \eqn{\hat\tau(x) + \hat b_{i,T}} (its BLUP of the random
#' treatment slope) with the interval \eqn{\pm q_{1-\alpha/2} \sqrt{P_i[T,T] + \widehat{se}^2(x)}}{+- q
#' sqrt(P_i[T,T] + se^2)} from the posterior covariance \eqn{P_i} of the cluster's random effects; for a
#' cluster not seen in training it is \eqn{\hat\tau(x)} with \eqn{\pm q_{1-\alpha/2}
#' \sqrt{G_{TT}(w) + \widehat{se}^2(x)}}{+- q sqrt(G_TT(w) + se^2)}, the spread of treatment effects between
#' clusters and the error of \eqn{\hat\tau}.
#'
#' @param object a fitted `"gbmixed"` object with a `treatment`.
#' @param newdata a data frame with the covariates of the mean (the treatment column may be omitted); with
#'   `by_cluster = TRUE` also the grouping factor (levels not seen in training are new clusters) and, for
#'   new clusters of a fit with `covformula`, its columns. `NULL`: the training rows.
#' @param level coverage of the intervals.
#' @param average `TRUE` for the average of \eqn{\hat\tau(x)} over the rows of `newdata` (the training rows
#'   without it), one row, with the jackknife interval of that average.
#' @param by_cluster `FALSE` for the population effect \eqn{\hat\tau(x)}; `TRUE` for the effect in each row's
#'   cluster, which needs the treatment as a random slope, e.g. `(1 + T | id)`.
#' @param ... not used.
#' @return A data frame with columns `estimate`, `lwr` and `upr`, one row per row of `newdata` (one row with
#'   `average = TRUE`).
#' @seealso [gbmixed()], [predict.gbmixed()]
#' @export
#' @examples
#' set.seed(1)
#' m <- 60
#' id <- rep(seq_len(m), each = 10)
#' d <- data.frame(id = factor(id), x = runif(10 * m), trt = rbinom(10 * m, 1, 0.5))
#' b <- cbind(rnorm(m), rnorm(m, sd = 0.5))
#' d$y <- sin(3 * d$x) + d$trt * (1 + d$x) + b[id, 1] + b[id, 2] * d$trt + rnorm(10 * m, sd = 0.5)
#' fit <- gbmixed(y ~ x + trt + (1 + trt | id), d, treatment = "trt",
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, seed = 1))
#' nd <- data.frame(x = c(0.2, 0.8), id = c("1", "a new clinic"))
#' cate(fit, nd)                      # population effect tau(x), jackknife interval
#' cate(fit, nd, by_cluster = TRUE)   # cluster 1's effect, and a new cluster's
cate <- function(object, ...) UseMethod("cate")

#' @rdname cate
#' @export
cate.gbmixed <- function(object, newdata = NULL, level = 0.95, by_cluster = FALSE, average = FALSE, ...) {
  check_dots(...)
  trt <- object$treatment
  if (is.null(trt)) {
    stop_arg("this fit has no treatment: refit with gbmixed(..., treatment = \"<0/1 column>\") to use cate().")
  }
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  check_flag(by_cluster, "by_cluster")
  check_flag(average, "average")
  if (average && by_cluster) stop_arg("give `average = TRUE` or `by_cluster = TRUE`, not both.")
  if (by_cluster && is.na(trt$z_col)) {
    stop_arg("`by_cluster = TRUE` needs the treatment `", trt$name, "` as a random slope in `formula`, e.g. (1 + ",
             trt$name, " | ", object$group, "); this fit's random effects are ",
             paste0("`", object$z_names, "`", collapse = ", "), ".")
  }
  if (is.null(newdata)) {
    x <- object$x
    cluster <- object$cluster
  } else {
    check_is_data_frame(newdata, "newdata")
    if (!trt$name %in% names(newdata)) newdata[[trt$name]] <- if (trt$logical) FALSE else 0
    if (by_cluster) check_columns_exist(newdata, object$group, "newdata")
    x <- build_newdata_frame(object, newdata, need_z = FALSE, need_cluster = FALSE)$x
    cluster <- if (by_cluster) newdata_cluster_codes(object, newdata) else NULL
  }
  n <- nrow(x)
  if (n == 0L) return(data.frame(estimate = numeric(0), lwr = numeric(0), upr = numeric(0)))
  tau <- engine_cate(object, x)
  if (average) {
    # the average effect over the rows: the jackknife of the mean of tau-hat
    reps <- jackknife_reps(object, 1L, x)
    est <- mean(tau)
    k <- ncol(reps)
    se <- if (is.null(reps)) NA_real_ else sqrt((k - 1) / k * sum((colMeans(reps) - mean(colMeans(reps)))^2))
    half <- jackknife_quantile(object, level) * se
    return(data.frame(estimate = est, lwr = est - half, upr = est + half))
  }
  se <- jackknife_se(object, 1L, x)
  if (!by_cluster) {
    half <- jackknife_quantile(object, level) * se
    return(data.frame(estimate = tau, lwr = tau - half, upr = tau + half))
  }

  k <- trt$z_col
  old <- cluster >= 0L
  est <- tau
  sd <- numeric(n)
  est[old] <- tau[old] + object$ranef[cluster[old] + 1L, k]
  sd[old] <- sqrt(object$ranef_cov[k, k, cluster[old] + 1L])
  if (any(!old)) {
    new_rows <- which(!old)
    wcov <- if (is.null(newdata)) training_wcov(object)[new_rows, , drop = FALSE]
            else newdata_wcov(object, newdata[new_rows, , drop = FALSE], length(new_rows))
    tri <- if (is.null(object$cov)) {
      matrix(object$G[lower_tri_index(length(object$z_names))], length(new_rows),
             nrow(lower_tri_index(length(object$z_names))), byrow = TRUE)
    } else {
      engine_predict_cov(object, wcov)
    }
    idx <- lower_tri_index(length(object$z_names))
    col <- which(idx[, 1L] == k & idx[, 2L] == k)
    sd[new_rows] <- sqrt(tri[, col])
  }
  # the cluster's departure from tau(x) and the sampling error of tau(x) itself
  if (!anyNA(se)) sd <- sqrt(sd^2 + se^2)
  half <- stats::qnorm(1 - (1 - level) / 2) * sd
  check_engine_values(list("treatment effects" = est, "their standard deviations" = sd))
  data.frame(estimate = est, lwr = est - half, upr = est + half)
}

# Delete-a-group jackknife standard errors of f(x, T) (part 0) or tau(x) (part 1) at the rows of x, from the
# K honest folds' cross-fit means (each left out one fold of clusters): se^2 = (K - 1)/K sum_k (v_k - mean v)^2.
# NA (with a warning) for a fit without honest folds.
jackknife_se <- function(object, part, x, treat = NULL) {
  reps <- jackknife_reps(object, part, x, treat)
  if (is.null(reps)) return(rep(NA_real_, nrow(x)))
  jackknife_spread(reps)
}

# The delete-a-group jackknife standard error of each row of an n x K matrix of replicates:
# sqrt((K - 1) / K sum_k (theta_k - mean theta)^2).
jackknife_spread <- function(reps) {
  k <- ncol(reps)
  sqrt((k - 1) / k * rowSums((reps - rowMeans(reps))^2))
}

# The K jackknife replicates of f (part 0) or tau (part 1) at the rows of x: an n x K matrix, or NULL (with a
# warning) for a fit without honest folds.
jackknife_reps <- function(object, part, x, treat = NULL) {
  model <- engine_model(object)
  k <- jcall(model, "I", "jackknifeGroups")
  n <- nrow(x)
  if (k < 2L) {
    warning("this fit has no sampling variance for f and tau (honest_folds = 0): intervals are NA. Refit with ",
            "honest_folds >= 2 (the default for trees and splines is 3).", call. = FALSE)
    return(NULL)
  }
  if (n == 0L) return(matrix(0, 0L, k))
  tr <- if (part == 0L && !is.null(object$treatment)) treat else numeric(0)
  reps <- matrix(jcall(model, "[D", "predictJackknife", jarg_int1(part), jarg_dbl(x), jarg_int1(n), jarg_dbl(tr)), n, k)
  check_engine_values(list("jackknife replicates" = reps))
  reps
}

# The quantile of a jackknife interval: Student's t with K - 1 degrees of freedom (K jackknife groups).
jackknife_quantile <- function(object, level) {
  k <- jcall(engine_model(object), "I", "jackknifeGroups")
  stats::qt(1 - (1 - level) / 2, df = max(k - 1L, 1L))
}

# tau(x), the treatment-effect part, for the rows of an encoded covariate matrix of the mean.
engine_cate <- function(object, x) {
  out <- jcall(engine_model(object), "[D", "predictCate", jarg_dbl(x), jarg_int1(nrow(x)))
  check_engine_values(list("treatment effects" = out), lengths = nrow(x))
  out
}
