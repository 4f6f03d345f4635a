#' Predictions and prediction intervals from a gbmixed fit
#'
#' Conditional predictions \eqn{\hat f(x) + z^\top \hat b_i} for rows of clusters seen in training, or
#' population-level predictions \eqn{\hat f(x)}, with optional prediction intervals for a new observation.
#'
#' For a cluster seen in training, the interval is \eqn{\hat f(x) + z^\top \hat b_i \pm q_{1-\alpha/2}
#' \sqrt{z^\top P_i z + \sigma^2}}{f(x) + z'b_i +- q sqrt(z' P_i z + sigma^2)}, where \eqn{P_i} is the
#' posterior covariance of \eqn{b_i}. For a new cluster (with `allow.new.levels = TRUE`) or at population level
#' (`re.form = NA`) it is \eqn{\hat f(x) \pm q_{1-\alpha/2} \sqrt{z^\top G z + \sigma^2}}{f(x) +- q
#' sqrt(z' G z + sigma^2)}: wider, as the cluster's effect is unknown. The uncertainty of \eqn{\hat f} itself
#' is not included.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newdata a data frame with the covariates (and, unless `re.form = NA`, the random-effects columns
#'   and the grouping factor); `NULL` for the training rows.
#' @param type `"response"`: \eqn{\hat f(x) + z^\top \hat b_i} (or \eqn{\hat f(x)} at population level);
#'   `"fixed"`: \eqn{\hat f(x)}; `"random"`: \eqn{z^\top \hat b_i}; `"disp"`: the residual variance of each row;
#'   `"cov"`: \eqn{G} for each row (a vector if there is one random effect, otherwise a matrix with one named
#'   column per entry of the lower triangle).
#' @param re.form `NULL` to use the fitted random effects; `NA` or `~0` for population-level predictions.
#' @param allow.new.levels if `FALSE`, a level of the grouping factor not seen in training is an error; if
#'   `TRUE`, rows of new clusters get \eqn{\hat b = 0} and intervals from \eqn{G}.
#' @param interval `"none"` or `"prediction"` (only with `type = "response"`).
#' @param level coverage of the prediction intervals.
#' @param nrounds number of boosting rounds to use; `NULL` (all rounds) is the only value supported in this
#'   version.
#' @param ... not used.
#' @return A numeric vector, or with `interval = "prediction"` a data frame with columns `fit`, `lwr`, `upr`.
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' nd <- data.frame(Days = c(2, 8), Subject = c("308", "new"))
#' predict(fit, nd, allow.new.levels = TRUE)
#' predict(fit, nd, allow.new.levels = TRUE, interval = "prediction")
#' predict(fit, nd, re.form = NA)
predict.gbmixed <- function(object, newdata = NULL,
                            type = c("response", "fixed", "random", "disp", "cov"),
                            re.form = NULL, allow.new.levels = FALSE,
                            interval = c("none", "prediction"), level = 0.95,
                            nrounds = NULL, ...) {
  type <- match.arg(type)
  interval <- match.arg(interval)
  check_flag(allow.new.levels, "allow.new.levels")
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  population <- is_population_re_form(re.form, object)
  if (!is.null(nrounds) && !identical(as.numeric(nrounds), as.numeric(object$nrounds))) {
    check_whole(nrounds, "nrounds", min = 1)
    stop_arg("predicting with `nrounds` = ", nrounds, " (fewer than the ", object$nrounds,
             " rounds fitted) is not yet supported; leave `nrounds` NULL.")
  }
  if (interval == "prediction" && type != "response") {
    stop_arg("`interval = \"prediction\"` is available only with `type = \"response\"`.")
  }
  n <- if (is.null(newdata)) object$nobs else nrow(newdata)

  if (type == "disp") {
    if (!is.null(newdata)) check_is_data_frame(newdata, "newdata")
    return(if (is.null(newdata)) object$sigma2 / object$weights else rep(object$sigma2, n))
  }
  if (type == "cov") {
    if (!is.null(newdata)) check_is_data_frame(newdata, "newdata")
    return(cov_rows(object$G, n))
  }

  if (is.null(newdata) && interval == "none") {
    # training rows: the fitted values stored with the object
    return(switch(type,
      fixed = object$fitted_fixed,
      random = if (population) rep(0, n) else object$fitted_random,
      response = object$fitted_fixed + if (population) 0 else object$fitted_random
    ))
  }

  if (is.null(newdata)) {
    x <- object$x
    z <- object$z
    cluster <- if (population) rep(-1L, n) else object$cluster
    resid_var <- object$sigma2 / object$weights
  } else {
    need_z <- interval == "prediction" || (!population && type != "fixed")
    nd <- build_newdata_frame(object, newdata, need_z = need_z, need_cluster = !population && type != "fixed",
                              allow.new.levels = allow.new.levels)
    x <- nd$x
    z <- nd$z
    cluster <- nd$cluster
    resid_var <- rep(object$sigma2, n)
  }
  if (n == 0L) {
    out <- numeric(0)
    return(if (interval == "prediction") data.frame(fit = out, lwr = out, upr = out) else out)
  }
  pr <- engine_predict(object, x, cluster, z)
  fit <- switch(type,
    fixed = pr$fixed,
    random = pr$random,
    response = pr$fixed + pr$random
  )
  if (interval == "none") return(fit)
  # the engine's variance holds sigma^2 for weight 1; swap in sigma^2 / w for weighted training rows
  v <- pr$variance - object$sigma2 + resid_var
  half <- stats::qnorm(1 - (1 - level) / 2) * sqrt(v)
  data.frame(fit = fit, lwr = fit - half, upr = fit + half)
}

# f(x), z'bhat and the predictive variance of a new y, from the engine.
engine_predict <- function(object, x, cluster, z) {
  n <- nrow(x)
  model <- engine_model(object)
  out <- jcall(model, "[D", "predict", jarg_dbl(x), jarg_int1(n), jarg_int(cluster), jarg_dbl(z))
  if (length(out) != 3L * n) stop("internal error: the engine returned ", length(out), " values for ", n, " rows.")
  list(fixed = out[seq_len(n)], random = out[n + seq_len(n)], variance = out[2L * n + seq_len(n)])
}

# re.form: NULL (or the model's own random-effects term) -> conditional; NA or ~0 -> population level.
is_population_re_form <- function(re.form, object) {
  if (is.null(re.form)) return(FALSE)
  if (length(re.form) == 1L && !inherits(re.form, "formula") && is.na(re.form)) return(TRUE)
  if (inherits(re.form, "formula")) {
    bars <- find_bar_terms(re.form[[length(re.form)]])
    if (length(bars) == 0L) return(TRUE)      # ~0, ~ -1, ~1: no random effects
    if (length(bars) == 1L && identical(deparse1(bars[[1L]][[3L]]), object$group)) return(FALSE)
  }
  stop_arg("`re.form` must be NULL (use the random effects), NA or ~0 (population level), not ",
           deparse1(re.form), ".")
}

# G for each of n rows: a vector when q = 1, else one named column per lower-triangle entry.
cov_rows <- function(G, n) {
  q <- nrow(G)
  if (q == 1L) return(rep(G[1L, 1L], n))
  idx <- which(lower.tri(G, diag = TRUE), arr.ind = TRUE)
  nm <- rownames(G)
  labels <- ifelse(idx[, 1L] == idx[, 2L], paste0("var(", nm[idx[, 1L]], ")"),
                   paste0("cov(", nm[idx[, 1L]], ",", nm[idx[, 2L]], ")"))
  matrix(G[idx], n, nrow(idx), byrow = TRUE, dimnames = list(NULL, labels))
}
