# Tidiers for the generics package (broom / broom.mixed conventions): tidy(), glance(), augment().

#' @importFrom generics tidy
#' @export
generics::tidy

#' @importFrom generics glance
#' @export
generics::glance

#' @importFrom generics augment
#' @export
generics::augment

#' Tidy a gbmixed fit
#'
#' The variance components, the random effects and (for `learner = "linear"`) the coefficients of the mean
#' as one data frame, in the layout of broom.mixed's `tidy()` for lme4 fits.
#'
#' `effects = "ran_pars"` gives, for the grouping factor, the standard deviation of each random effect
#' (term `"sd__(Intercept)"`, `"sd__t"`, ...) and their correlations (`"cor__(Intercept).t"`; none for
#' `||`), and for group `"Residual"` the residual standard deviation (`"sd__Observation"`); with
#' `scales = "vcov"` variances and covariances instead (`"var__"`, `"cov__"`). When \eqn{G(w)} or \eqn{R(x)}
#' is boosted these are the averages reported by [VarCorr()][VarCorr.gbmixed]. `effects = "ran_vals"` gives
#' the BLUPs \eqn{\hat b_i} of every cluster (`level`) with `std.error` the square root of the diagonal of
#' their posterior covariance \eqn{P_i}. `effects = "fixed"` gives the coefficients of a linear mean
#' ([fixef()][fixef.gbmixed]); a boosted ensemble has no standard errors, so `std.error` is `NA`. Tree and
#' spline fits have no coefficients: `"fixed"` is then left out of the default and an error when asked for
#' alone.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param effects any of `"ran_pars"`, `"ran_vals"` and `"fixed"`.
#' @param scales `"sdcor"` (standard deviations and correlations) or `"vcov"` (variances and covariances)
#'   for `"ran_pars"`.
#' @param conf.int `TRUE` to add `conf.low` and `conf.high` to the random effects (`ran_vals`): \eqn{\hat b
#'   \pm q_{1-\alpha/2}} `std.error`; `NA` for the other rows.
#' @param conf.level coverage of those intervals.
#' @param ... not used.
#' @return A data frame with columns `effect`, `group`, `level` (with `"ran_vals"`), `term`, `estimate`,
#'   `std.error` and, with `conf.int = TRUE`, `conf.low` and `conf.high`.
#' @seealso [glance.gbmixed()], [augment.gbmixed()]
#' @method tidy gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' tidy(fit)
#' head(tidy(fit, effects = "ran_vals", conf.int = TRUE))
#' lin <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 50,
#'                                          seed = 1))
#' tidy(lin, effects = "fixed")
tidy.gbmixed <- function(x, effects = c("ran_pars", "fixed"), scales = c("sdcor", "vcov"), conf.int = FALSE,
                         conf.level = 0.95, ...) {
  choices <- c("ran_pars", "ran_vals", "fixed")
  explicit <- !missing(effects)
  if (!is.character(effects) || !length(effects) || anyNA(effects) || !all(effects %in% choices)) {
    stop_arg("`effects` must be one or more of \"ran_pars\", \"ran_vals\" and \"fixed\", not ",
             paste0("\"", effects, "\"", collapse = ", "), ".")
  }
  scales <- match.arg(scales)
  check_flag(conf.int, "conf.int")
  check_number(conf.level, "conf.level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  if ("fixed" %in% effects && is.null(x$coefficients)) {
    if (explicit && identical(unique(effects), "fixed")) {
      stop_arg("this fit has no coefficients: its mean is an ensemble of ", x$control$learner, "s, not a ",
               "linear model (learner = \"linear\"); use effects = \"ran_pars\" or \"ran_vals\".")
    }
    effects <- setdiff(effects, "fixed")
  }
  parts <- list()
  if ("ran_pars" %in% effects) parts$ran_pars <- tidy_ran_pars(x, scales)
  if ("ran_vals" %in% effects) parts$ran_vals <- tidy_ran_vals(x)
  if ("fixed" %in% effects) {
    parts$fixed <- data.frame(effect = "fixed", group = NA_character_, term = names(x$coefficients),
                              estimate = unname(x$coefficients), std.error = NA_real_, stringsAsFactors = FALSE)
  }
  has_level <- "ran_vals" %in% effects
  parts <- lapply(parts, function(p) {
    if (has_level && is.null(p$level)) p$level <- NA_character_
    p[c("effect", "group", if (has_level) "level", "term", "estimate", "std.error")]
  })
  out <- do.call(rbind, unname(parts))
  if (conf.int) {
    half <- stats::qnorm(1 - (1 - conf.level) / 2) * out$std.error
    out$conf.low <- out$estimate - half
    out$conf.high <- out$estimate + half
  }
  rownames(out) <- NULL
  out
}

tidy_ran_pars <- function(x, scales) {
  G <- x$G
  nm <- x$z_names
  q <- length(nm)
  sdcor <- scales == "sdcor"
  term <- paste0(if (sdcor) "sd__" else "var__", nm)
  est <- if (sdcor) sqrt(diag(G)) else diag(G)
  if (q > 1L && !isTRUE(x$diagonal)) {
    for (j in 1:(q - 1L)) for (i in (j + 1L):q) {
      term <- c(term, paste0(if (sdcor) "cor__" else "cov__", nm[j], ".", nm[i]))
      est <- c(est, if (sdcor) G[i, j] / sqrt(G[i, i] * G[j, j]) else G[i, j])
    }
  }
  term <- c(term, if (sdcor) "sd__Observation" else "var__Observation")
  est <- c(est, if (sdcor) sqrt(x$sigma2) else x$sigma2)
  data.frame(effect = "ran_pars", group = c(rep(x$group, length(term) - 1L), "Residual"), term = term,
             estimate = unname(est), std.error = NA_real_, stringsAsFactors = FALSE)
}

tidy_ran_vals <- function(x) {
  b <- x$ranef
  m <- nrow(b)
  q <- ncol(b)
  se <- vapply(seq_len(q), function(k) sqrt(x$ranef_cov[k, k, ]), numeric(m))
  data.frame(effect = "ran_vals", group = x$group, level = rep(x$cluster_levels, q),
             term = rep(x$z_names, each = m), estimate = as.vector(b), std.error = as.vector(se),
             stringsAsFactors = FALSE)
}

#' Glance at a gbmixed fit
#'
#' One row summarising a fit, in the layout of broom's `glance()`.
#'
#' `AIC` and `BIC` are given only where they are meaningful: a linear mean (`learner = "linear"`, not
#' component-wise) with constant variance parts, whose fit is a maximum likelihood linear mixed model with a
#' known number of parameters; a boosted ensemble has no parameter count, so they are `NA` otherwise.
#' `sigma` is the residual standard deviation (with a boosted \eqn{R(x)}, the square root of its mean over the
#' training rows). `train_loss` and `valid_loss` are the negative log-likelihoods per row at the kept round.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param ... not used.
#' @return A one-row data frame with columns `nobs`, `nclusters`, `sigma`, `logLik`, `AIC`, `BIC`, `df`,
#'   `variant`, `learner`, `nrounds` (rounds in the kept model), `rounds_run`, `best_round` (`NA` without
#'   validation), `train_loss` and `valid_loss` (`NA` without validation).
#' @seealso [tidy.gbmixed()], [augment.gbmixed()]
#' @method glance gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' glance(fit)
glance.gbmixed <- function(x, ...) {
  ll <- stats::logLik(x)
  df <- attr(ll, "df")
  kept <- x$nrounds
  data.frame(
    nobs = x$nobs, nclusters = length(x$cluster_levels), sigma = sqrt(x$sigma2), logLik = as.numeric(ll),
    AIC = stats::AIC(ll), BIC = stats::BIC(ll),
    df = df, variant = x$variant, learner = x$control$learner, nrounds = kept,
    rounds_run = x$rounds_run %||% kept, best_round = x$best_round %||% NA_integer_,
    train_loss = x$loss[kept + 1L] / x$nobs,
    valid_loss = if (is.null(x$valid_loss)) NA_real_ else x$valid_loss[kept + 1L] / x$validation$nobs,
    stringsAsFactors = FALSE
  )
}

#' Augment data with the predictions of a gbmixed fit
#'
#' Adds fitted values, population-level fitted values and residuals (and optionally prediction intervals) to
#' the data, in the layout of broom's `augment()`.
#'
#' Without `newdata`, the rows are the training rows: those of `data` if given (the data frame the model was
#' fitted to; rows held out for validation are left out), otherwise a data frame rebuilt from the model (the
#' response, the covariates of the mean, the grouping factor and the random-effects columns). With `newdata`,
#' its rows; `.resid` is added when it has the response.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param data `NULL`, or the data frame given to [gbmixed()].
#' @param newdata `NULL`, or a data frame to predict for (see [predict.gbmixed()]).
#' @param interval `"none"` or `"prediction"`: add `.lower` and `.upper`, the limits of prediction intervals.
#' @param level coverage of the intervals.
#' @param re.form,allow.new.levels passed to [predict.gbmixed()] for `newdata`.
#' @param ... not used.
#' @return The data frame with columns `.fitted` (\eqn{\hat f(x) + z^\top \hat b_i}, or \eqn{\hat f(x)} at
#'   population level), `.fixed` (\eqn{\hat f(x)}), `.resid` (response minus `.fitted`) and, with intervals,
#'   `.lower` and `.upper`.
#' @seealso [tidy.gbmixed()], [glance.gbmixed()]
#' @method augment gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' head(augment(fit))
#' head(augment(fit, data = lme4::sleepstudy, interval = "prediction"))
#' augment(fit, newdata = data.frame(Days = c(1, 5), Subject = "new"), allow.new.levels = TRUE)
augment.gbmixed <- function(x, data = NULL, newdata = NULL, interval = c("none", "prediction"), level = 0.95,
                            re.form = NULL, allow.new.levels = FALSE, ...) {
  interval <- match.arg(interval)
  if (!is.null(newdata)) {
    check_is_data_frame(newdata, "newdata")
    out <- newdata
    pr <- if (interval == "prediction") {
      stats::predict(x, newdata, re.form = re.form, allow.new.levels = allow.new.levels,
                     interval = "prediction", level = level)
    } else {
      data.frame(fit = stats::predict(x, newdata, re.form = re.form, allow.new.levels = allow.new.levels))
    }
    out$.fitted <- pr$fit
    out$.fixed <- stats::predict(x, newdata, type = "fixed")
    resp <- all.vars(str2lang(x$response))
    if (all(resp %in% names(newdata))) {
      out$.resid <- as.numeric(eval(str2lang(x$response), newdata, x$env %||% parent.frame())) - out$.fitted
    }
  } else {
    out <- if (is.null(data)) model_data(x) else training_data_rows(x, data)
    out$.fitted <- stats::fitted(x)
    out$.fixed <- x$fitted_fixed
    out$.resid <- x$y - out$.fitted
    if (interval == "prediction") pr <- stats::predict(x, interval = "prediction", level = level)
  }
  if (interval == "prediction") {
    out$.lower <- pr$lwr
    out$.upper <- pr$upr
  }
  out
}

# The training rows of the user's data frame (validation rows held out by `validation` left out).
training_data_rows <- function(x, data) {
  check_is_data_frame(data, "data")
  rows <- x$train_rows %||% seq_len(x$nobs)
  n_all <- if (is.null(x$train_rows)) x$nobs else x$nobs + (x$validation$nobs %||% 0L)
  if (nrow(data) != n_all) {
    stop_arg("`data` has ", nrow(data), " rows, but the model was fitted to a data frame of ", n_all,
             " rows; give the data frame passed to gbmixed(), or leave `data` NULL.")
  }
  data[rows, , drop = FALSE]
}

# A data frame of the model's variables for the training rows, rebuilt from the fitted object.
model_data <- function(x) {
  out <- list()
  out[[x$response]] <- x$y
  for (j in seq_along(x$features)) {
    info <- x$features[[j]]
    v <- x$x[, j]
    out[[names(x$features)[j]]] <- if (info$type == "factor") factor(info$levels[v + 1L], levels = info$levels)
                                   else ifelse(is.nan(v), NA_real_, v)
  }
  for (k in seq_along(x$z_names)) {
    nm <- x$z_names[k]
    if (nm != "(Intercept)" && is.null(out[[nm]])) out[[nm]] <- x$z[, k]
  }
  out[[x$group]] <- factor(x$cluster_levels[x$cluster + 1L], levels = x$cluster_levels)
  as.data.frame(out, check.names = FALSE, stringsAsFactors = FALSE)
}
