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
#' The coefficients of a linear mean, the variance components, the random effects and the per-cluster
#' coefficients of a fit as one data frame, with the columns, column order and row order of broom.mixed's
#' `tidy()` for an `lme4::lmer()` fit, so that code written for `lmer` fits runs on gbmixed fits.
#'
#' The rows come in the order `"fixed"`, `"ran_pars"`, `"ran_vals"`, `"ran_coefs"` whatever the order of
#' `effects` (as broom.mixed), and the columns are those of broom.mixed for the effects asked for, in its
#' order: `effect`, `group` (not with `"fixed"` alone), `level` (with `"ran_vals"` or `"ran_coefs"`), `term`,
#' `estimate`, `std.error` (with `"fixed"` or `"ran_vals"`), `statistic` (with `"fixed"`) and, with
#' `conf.int = TRUE`, `conf.low` and `conf.high`. A column that does not apply to a row is `NA` there.
#'
#' * `"fixed"`: the coefficients of the mean for `learner = "linear"` ([fixef()][fixef.gbmixed]), with Wald
#'   standard errors from the generalised least squares covariance \eqn{(X^\top V^{-1} X)^{-1}},
#'   \eqn{V_i = Z_i G Z_i^\top + \sigma^2 \mathrm{diag}(1/w)} at the fitted \eqn{G} and \eqn{\sigma^2}
#'   (with a boosted \eqn{G(w)} or \eqn{R(x)}, each cluster's \eqn{G(w_i)} and each row's \eqn{R(x)/w}).
#'   This is what `vcov()` of the same `lmer(..., REML = FALSE)` fit gives. `statistic` is
#'   `estimate / std.error`. With a treatment-effect part (`treatment =`) the mean is not the linear model
#'   alone, and `std.error`, `statistic` and the intervals are `NA`. Tree and spline ensembles (and
#'   component-wise linear learners) have no coefficients: `"fixed"` then gives no rows (broom.mixed does the
#'   same for an `lmer` model without fixed effects), but keeps its columns, so `tidy()` has the same layout
#'   for every learner; asking for `"fixed"` explicitly says so in a message, once per session.
#' * `"ran_pars"`: for the grouping factor, the standard deviation of each random effect
#'   (`"sd__(Intercept)"`, `"sd__t"`, ...) and their correlations (`"cor__(Intercept).t"`; none for `||`), in
#'   broom.mixed's lower-triangle order (column by column of the lower triangle of \eqn{G}: `sd__` of the
#'   first effect, its correlations with the later ones, `sd__` of the second, ...), then for group
#'   `"Residual"` the residual standard deviation (`"sd__Observation"`); with `scales = "vcov"` variances and
#'   covariances (`"var__"`, `"cov__"`). With `(1 + t || id)` every row has group `id` (lme4 numbers the
#'   groups `id`, `id.1`, ...). When \eqn{G(w)} or \eqn{R(x)} is boosted these are the averages reported by
#'   [VarCorr()][VarCorr.gbmixed]. They have no standard errors (as broom.mixed, there is no sampling
#'   variance for them here): `std.error`, `statistic`, `conf.low` and `conf.high` are `NA`.
#' * `"ran_vals"`: the BLUPs \eqn{\hat b_i} of every cluster (`level`), term by term, with `std.error` the
#'   square root of the diagonal of their posterior covariance \eqn{P_i} (lme4's `condsd`).
#' * `"ran_coefs"`: per cluster, the fixed coefficient plus the random effect of every term, as lme4's
#'   `coef()` (terms with only a random effect first, then the coefficients of the mean; a coefficient
#'   without a random effect is the same for every cluster). Only for `learner = "linear"`: a tree or spline
#'   ensemble has no fixed coefficients to add the random effects to, and asking for them is an error. As
#'   broom.mixed, no intervals: with `conf.int = TRUE` they are `NA`, with a warning.
#'
#' Intervals (`conf.int = TRUE`) are Wald intervals, `estimate` \eqn{\pm z_{(1 + level)/2}} `std.error`
#' with \eqn{z} the normal quantile, for the coefficients and the random effects; `conf.method` other than
#' `"Wald"` is an error (profile and bootstrap intervals are not available). `exponentiate = TRUE` does what broom and
#' broom.mixed do: `exp()` of the `"fixed"` rows' `estimate`, `conf.low` and `conf.high`, their `std.error`
#' multiplied by `exp(estimate)` (the delta method), `statistic` unchanged and the other rows untouched. A
#' Gaussian model has no natural exponentiated scale; this is meaningful for a log-scale response.
#'
#' The result is a plain data frame (class `"data.frame"`, character columns, row names `1..n`), not a
#' tibble as broom.mixed returns: gbmixed does not depend on tibble, and the class
#' `c("tbl_df", "tbl", "data.frame")` without tibble's methods would make `[` behave differently depending on
#' whether tibble happens to be loaded. Columns, their order and their types are broom.mixed's;
#' `tibble::as_tibble()` converts it.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param effects one or more of `"fixed"`, `"ran_pars"`, `"ran_vals"` and `"ran_coefs"`; anything else is
#'   an error naming the allowed values.
#' @param scales the scale of `"ran_pars"`: `NULL` or `"sdcor"` (standard deviations and correlations) or
#'   `"vcov"` (variances and covariances); or, as broom.mixed, one entry per element of `effects`, the
#'   scale for `"ran_pars"` and `NA` for the others.
#' @param exponentiate `TRUE` to exponentiate the `"fixed"` rows (see Details).
#' @param conf.int `TRUE` to add `conf.low` and `conf.high`.
#' @param conf.level coverage of those intervals.
#' @param conf.method `"Wald"`, the only method supported.
#' @param ... no other arguments are accepted: an argument that is not one of the above is an error naming
#'   it (broom.mixed's `ddf.method`, `profile`, ... are not available).
#' @return A data frame with the columns described in Details.
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
#' tidy(lin, conf.int = TRUE)
#' head(tidy(lin, effects = "ran_coefs"))
tidy.gbmixed <- function(x, effects = c("ran_pars", "fixed"), scales = NULL, exponentiate = FALSE,
                         conf.int = FALSE, conf.level = 0.95, conf.method = "Wald", ...) {
  check_dots(...)
  choices <- c("fixed", "ran_pars", "ran_vals", "ran_coefs")
  explicit <- !missing(effects)
  if (!is.character(effects) || !length(effects) || anyNA(effects) || !all(effects %in% choices)) {
    bad <- if (is.character(effects) && length(effects)) setdiff(effects, choices) else effects
    stop_arg("`effects` must be one or more of ", paste0("\"", choices[-4L], "\"", collapse = ", "), " and \"",
             choices[4L], "\", not ", if (is.character(bad) && length(bad)) paste0("\"", bad, "\"", collapse = ", ")
                                      else show_value(bad), ".")
  }
  rscale <- tidy_scale(scales, effects)
  check_flag(exponentiate, "exponentiate")
  check_flag(conf.int, "conf.int")
  check_number(conf.level, "conf.level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  if (!identical(conf.method, "Wald")) {
    stop_arg("conf.method = ", show_value(conf.method), " is not available for a gbmixed fit: only \"Wald\" ",
             "is supported (Wald intervals for the linear learner's coefficients and the random effects; ",
             "no profile or bootstrap intervals).")
  }
  has_coef <- !is.null(x$coefficients)
  if ("ran_coefs" %in% effects && !has_coef) {
    stop_arg("effects = \"ran_coefs\" adds the random effects to the fixed coefficients (as lme4's coef()), ",
             "but this fit has none: its mean is ", mean_text(x), ", not a linear model (learner = \"linear\"). ",
             "Use effects = \"ran_vals\" for the random effects and predict(type = \"fixed\") for f(x).")
  }
  if ("fixed" %in% effects && !has_coef && explicit) {
    message_once("tidy_fixed", "tidy(): this fit's mean is ", mean_text(x), ", which has no fixed coefficients, ",
                 "so effects = \"fixed\" gives no rows (learner = \"linear\" has coefficients; ",
                 "predict(type = \"fixed\") gives f(x)).")
  }
  effects <- choices[choices %in% effects]
  parts <- list()
  if ("fixed" %in% effects) parts$fixed <- tidy_fixed(x, conf.int, conf.level, exponentiate)
  if ("ran_pars" %in% effects) parts$ran_pars <- tidy_ran_pars(x, rscale, conf.int)
  if ("ran_vals" %in% effects) parts$ran_vals <- tidy_ran_vals(x, conf.int, conf.level)
  if ("ran_coefs" %in% effects) parts$ran_coefs <- tidy_ran_coefs(x, conf.int)
  bind_tidy(parts)
}

# broom.mixed's columns, in its order (broom.mixed:::reorder_cols, restricted to what an lme4 fit gives).
tidy_columns <- c("effect", "group", "level", "term", "estimate", "std.error", "statistic", "conf.low",
                  "conf.high")

# Rows of the effects in `parts` (named by effect, in output order) under the union of their columns.
bind_tidy <- function(parts) {
  cols <- intersect(tidy_columns, c("effect", unlist(lapply(parts, names), use.names = FALSE)))
  chr <- c("effect", "group", "level", "term")
  rows <- lapply(names(parts), function(e) {
    p <- parts[[e]]
    n <- nrow(p)
    p$effect <- rep(e, n)
    for (cc in setdiff(cols, names(p))) p[[cc]] <- if (cc %in% chr) rep(NA_character_, n) else rep(NA_real_, n)
    p[cols]
  })
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

# The scale of "ran_pars": NULL, one value, or (broom.mixed) one entry per effect, NA for the others.
tidy_scale <- function(scales, effects) {
  if (is.null(scales)) return("sdcor")
  allowed <- "\"sdcor\" or \"vcov\""
  if (!(is.character(scales) || (is.logical(scales) && all(is.na(scales)))) || !length(scales) ||
      (length(scales) != 1L && length(scales) != length(effects))) {
    stop_arg("`scales` must be NULL, ", allowed, ", or one entry per element of `effects` (", allowed,
             " for \"ran_pars\", NA for the others), not ", show_value(scales), ".")
  }
  if (length(scales) == 1L && length(effects) > 1L) {
    s <- scales
    if (!"ran_pars" %in% effects && !is.na(s)) {
      stop_arg("`scales` sets the scale of effects = \"ran_pars\", which is not asked for.")
    }
  } else {
    other <- effects != "ran_pars" & !is.na(scales)
    if (any(other)) {
      stop_arg("`scales` applies to effects = \"ran_pars\" only; give NA for ",
               paste0("\"", unique(effects[other]), "\"", collapse = ", "), ", not ",
               paste0("\"", scales[other], "\"", collapse = ", "), ".")
    }
    s <- scales[effects == "ran_pars"]
    if (!length(s)) return("sdcor")
    s <- s[1L]
  }
  if (!"ran_pars" %in% effects) return("sdcor")
  if (is.na(s) || !s %in% c("sdcor", "vcov")) {
    stop_arg("the scale of effects = \"ran_pars\" must be ", allowed, ", not ", show_value(s), ".")
  }
  s
}

# What the mean of a fit without coefficients is, for messages.
mean_text <- function(x) {
  if (isTRUE(x$control$componentwise)) return("a component-wise boosted ensemble of linear learners")
  paste0("an ensemble of ", x$control$learner, "s")
}

# Messages shown once per session.
tidy_messages <- new.env(parent = emptyenv())
message_once <- function(id, ...) {
  if (isTRUE(tidy_messages[[id]])) return(invisible(FALSE))
  assign(id, TRUE, envir = tidy_messages)
  message(..., " (This message is shown once per session.)")
  invisible(TRUE)
}

tidy_fixed <- function(x, conf.int, conf.level, exponentiate) {
  beta <- x$coefficients %||% stats::setNames(numeric(0), character(0))
  se <- if (length(beta)) sqrt(diag(linear_vcov(x))) else numeric(0)
  out <- data.frame(term = names(beta), estimate = unname(beta), std.error = unname(se),
                    statistic = unname(beta / se), stringsAsFactors = FALSE)
  if (conf.int) {
    half <- stats::qnorm((1 + conf.level) / 2) * out$std.error
    out$conf.low <- out$estimate - half
    out$conf.high <- out$estimate + half
  }
  if (exponentiate) {
    # as broom.mixed: exp() of estimate and bounds, std.error by the delta method, statistic kept
    out$estimate <- exp(out$estimate)
    out$std.error <- out$std.error * out$estimate
    if (conf.int) {
      out$conf.low <- exp(out$conf.low)
      out$conf.high <- exp(out$conf.high)
    }
  }
  out
}

# sd/cor (or var/cov) of G in broom.mixed's order (lme4's as.data.frame(VarCorr(), order = "lower.tri")):
# column by column of the lower triangle, then the residual.
tidy_ran_pars <- function(x, scales, conf.int) {
  G <- x$G
  nm <- x$z_names
  q <- length(nm)
  sdcor <- scales == "sdcor"
  term <- character(0)
  est <- numeric(0)
  for (j in seq_len(q)) {
    term <- c(term, paste0(if (sdcor) "sd__" else "var__", nm[j]))
    est <- c(est, if (sdcor) sqrt(G[j, j]) else G[j, j])
    if (j < q && !isTRUE(x$diagonal)) {
      for (i in (j + 1L):q) {
        term <- c(term, paste0(if (sdcor) "cor__" else "cov__", nm[j], ".", nm[i]))
        est <- c(est, if (sdcor) G[i, j] / sqrt(G[i, i] * G[j, j]) else G[i, j])
      }
    }
  }
  term <- c(term, if (sdcor) "sd__Observation" else "var__Observation")
  est <- c(est, if (sdcor) sqrt(x$sigma2) else x$sigma2)
  out <- data.frame(group = c(rep(x$group, length(term) - 1L), "Residual"), term = term,
                    estimate = unname(est), stringsAsFactors = FALSE)
  if (conf.int) {
    out$conf.low <- NA_real_
    out$conf.high <- NA_real_
  }
  out
}

# BLUPs term by term, clusters within terms (lme4's as.data.frame(ranef(condVar = TRUE))).
tidy_ran_vals <- function(x, conf.int, conf.level) {
  b <- x$ranef
  m <- nrow(b)
  q <- ncol(b)
  se <- vapply(seq_len(q), function(k) sqrt(x$ranef_cov[k, k, ]), numeric(m))
  out <- data.frame(group = rep(x$group, m * q), level = rep(rownames(b), q), term = rep(colnames(b), each = m),
                    estimate = as.vector(b), std.error = as.vector(se), stringsAsFactors = FALSE)
  if (conf.int) {
    half <- stats::qnorm((1 + conf.level) / 2) * out$std.error
    out$conf.low <- out$estimate - half
    out$conf.high <- out$estimate + half
  }
  out
}

# Fixed + random coefficients per cluster, laid out as lme4's coef(): terms with only a random effect first
# (fixed part 0), then the coefficients; term by term, clusters within terms.
tidy_ran_coefs <- function(x, conf.int) {
  b <- x$ranef
  beta <- x$coefficients
  miss <- setdiff(colnames(b), names(beta))
  beta <- c(stats::setNames(rep(0, length(miss)), miss), beta)
  co <- matrix(beta, nrow(b), length(beta), byrow = TRUE, dimnames = list(rownames(b), names(beta)))
  co[, colnames(b)] <- co[, colnames(b), drop = FALSE] + b
  out <- data.frame(group = rep(x$group, length(co)), level = rep(rownames(co), ncol(co)),
                    term = rep(colnames(co), each = nrow(co)), estimate = as.vector(co), stringsAsFactors = FALSE)
  if (conf.int) {
    warning("CIs not available for random-effects coefficients: returning NA", call. = FALSE)
    out$conf.low <- NA_real_
    out$conf.high <- NA_real_
  }
  out
}

# ---- the linear learner's coefficient covariance and leverages (vcov(), hatvalues() in R/lme4-methods.R) ----

# (X'V^-1X)^-1 of the coefficients; NA with a treatment-effect part, whose mean is not the linear model alone.
linear_vcov <- function(x) {
  nm <- names(x$coefficients)
  if (!is.null(x$treatment)) return(matrix(NA_real_, length(nm), length(nm), dimnames = list(nm, nm)))
  stats::vcov(x)
}

# Leverages of the conditional fit X beta + Z b (lme4's hatvalues()); NA without coefficients or with a treatment
# part.
linear_hat <- function(x) {
  if (is.null(x$coefficients) || !is.null(x$treatment)) return(rep(NA_real_, x$nobs))
  unname(stats::hatvalues(x))
}

#' Glance at a gbmixed fit
#'
#' One row summarising a fit: first broom.mixed's columns for an `lmer(..., REML = FALSE)` fit, in its
#' order, then the gbmixed-specific ones.
#'
#' `logLik` is the maximised marginal (ML) log-likelihood and `deviance` is `-2 logLik`, as lme4 and
#' broom.mixed report for an ML fit. `AIC`, `BIC` and `df.residual` (`nobs - df`) use the degrees of freedom
#' `df` of [logLik()][logLik.gbmixed]: lme4's count (coefficients, entries of \eqn{G} and \eqn{\sigma^2}) for
#' a linear mean (`learner = "linear"`, not component-wise) with constant variance parts and no treatment
#' part, whose fit is a maximum likelihood linear mixed model; a boosted ensemble has no parameter count, so
#' they are `NA` otherwise. (broom.mixed drops a column that is `NA`; gbmixed keeps every column, so the layout
#' does not depend on the fit.) `sigma` is the residual standard deviation (with a boosted \eqn{R(x)}, the
#' square root of its mean over the training rows). `train_loss` and `valid_loss` are the negative
#' log-likelihoods per row at the kept round.
#'
#' The result is a plain one-row data frame, not a tibble (see [tidy.gbmixed()]).
#'
#' @param x a fitted `"gbmixed"` object.
#' @param ... no other arguments are accepted (an error naming them).
#' @return A one-row data frame with broom.mixed's columns `nobs`, `sigma`, `logLik`, `AIC`, `BIC`,
#'   `deviance`, `df.residual`, then `nclusters`, `df`, `variant`, `learner`, `nrounds` (rounds in the kept
#'   model), `rounds_run`, `best_round` (`NA` without validation), `train_loss` and `valid_loss` (`NA`
#'   without validation).
#' @seealso [tidy.gbmixed()], [augment.gbmixed()]
#' @method glance gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' glance(fit)
glance.gbmixed <- function(x, ...) {
  check_dots(...)
  ll <- stats::logLik(x)
  df <- attr(ll, "df")
  kept <- x$nrounds
  data.frame(
    nobs = x$nobs, sigma = sqrt(x$sigma2), logLik = as.numeric(ll), AIC = stats::AIC(ll), BIC = stats::BIC(ll),
    deviance = -2 * as.numeric(ll), df.residual = x$nobs - df,
    nclusters = length(x$cluster_levels), df = df, variant = x$variant, learner = x$control$learner,
    nrounds = kept, rounds_run = x$rounds_run %||% kept, best_round = x$best_round %||% NA_integer_,
    train_loss = x$loss[kept + 1L] / x$nobs,
    valid_loss = if (is.null(x$valid_loss)) NA_real_ else x$valid_loss[kept + 1L] / x$validation$nobs,
    stringsAsFactors = FALSE
  )
}

#' Augment data with the predictions of a gbmixed fit
#'
#' Adds fitted values, residuals, leverages, Cook's distances, population-level fitted values and weights
#' (and optionally prediction intervals) to the data, with broom.mixed's column names and order for an
#' `lmer` fit.
#'
#' Without `newdata`, the rows are the training rows: those of `data` if given (the data frame the model was
#' fitted to; rows held out for validation are left out), otherwise a data frame rebuilt from the model (the
#' response, the covariates of the mean, the grouping factor and the random-effects columns). The added
#' columns are, in broom.mixed's order,
#' * `.fitted`: \eqn{\hat f(x) + z^\top \hat b_i};
#' * `.resid`: response minus `.fitted`;
#' * `.hat`: the leverage of the conditional fit, the diagonal of the hat matrix \eqn{H} with
#'   `.fitted` \eqn{= H y}, for `learner = "linear"`: \eqn{X\hat\beta + Z\hat b} is the generalised least
#'   squares fit and BLUP at the fitted variance parameters, so \eqn{I - H = D P} with \eqn{D = \mathrm{diag}(
#'   \sigma^2 / w)} (or \eqn{R(x)/w}) and \eqn{P = V^{-1} - V^{-1}X(X^\top V^{-1}X)^{-1}X^\top V^{-1}} -- lme4's
#'   `hatvalues()` of the same ML fit. (It describes the converged linear learner, as with
#'   `learning_rate = 1`; stopped early, the fitted values are not yet that fit.) A boosted ensemble is not a
#'   linear smoother with a fixed hat matrix: `NA` for tree, spline and component-wise fits, and with a
#'   treatment-effect part;
#' * `.cooksd`: Cook's distance as lme4's `cooks.distance()`,
#'   \eqn{(r_j / (1 - h_j))^2 h_j / p} with \eqn{r_j} the Pearson residual and \eqn{p} the number of
#'   coefficients; `NA` where `.hat` is `NA`;
#' * `.fixed`: \eqn{\hat f(x)}, the population-level fitted value;
#' * `.weights`: the precision weights \eqn{w} (1 without `weights`);
#' * with `interval = "prediction"`, `.lower` and `.upper` (gbmixed-specific, after broom.mixed's columns).
#'
#' broom.mixed's other columns for `lmer` fits are internals of lme4's response module that carry nothing
#' new for a Gaussian model without offsets (`.mu` is `.fitted`, `.offset` 0, `.sqrtXwt` and `.sqrtrwt`
#' `sqrt(.weights)`, `.wtres` `sqrt(.weights) * .resid`); they are left out.
#'
#' With `newdata`, its rows and `.fitted`, `.resid` (when `newdata` has the response), `.fixed` and the
#' interval columns. `re.form` and `allow.new.levels` apply to `newdata` (see [predict.gbmixed()]); giving
#' `re.form` without `newdata` is an error (the population-level fit of the training rows is `.fixed`).
#'
#' The result is a plain data frame, not a tibble (see [tidy.gbmixed()]).
#'
#' @param x a fitted `"gbmixed"` object.
#' @param data `NULL`, or the data frame given to [gbmixed()].
#' @param newdata `NULL`, or a data frame to predict for (see [predict.gbmixed()]).
#' @param interval `"none"` or `"prediction"`: add `.lower` and `.upper`, the limits of prediction intervals.
#' @param level coverage of the intervals.
#' @param re.form,allow.new.levels passed to [predict.gbmixed()] for `newdata`.
#' @param ... no other arguments are accepted (an error naming them).
#' @return The data frame with the columns described in Details.
#' @seealso [tidy.gbmixed()], [glance.gbmixed()]
#' @method augment gbmixed
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' head(augment(fit))
#' head(augment(fit, data = lme4::sleepstudy, interval = "prediction"))
#' augment(fit, newdata = data.frame(Days = c(1, 5), Subject = "new"), allow.new.levels = TRUE)
#' lin <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 50,
#'                                          seed = 1))
#' head(augment(lin))
augment.gbmixed <- function(x, data = NULL, newdata = NULL, interval = c("none", "prediction"), level = 0.95,
                            re.form = NULL, allow.new.levels = FALSE, ...) {
  check_dots(...)
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
    resp <- all.vars(str2lang(x$response))
    if (all(resp %in% names(newdata))) {
      out$.resid <- as.numeric(eval(str2lang(x$response), newdata, x$env %||% parent.frame())) - out$.fitted
    }
    out$.fixed <- stats::predict(x, newdata, type = "fixed")
  } else {
    if (!is.null(re.form)) {
      stop_arg("`re.form` applies to `newdata`; for the training rows, `.fitted` is the conditional fit and ",
               "`.fixed` the population-level one.")
    }
    out <- if (is.null(data)) model_data(x) else training_data_rows(x, data)
    out$.fitted <- stats::fitted(x)
    out$.resid <- x$y - out$.fitted
    hat <- linear_hat(x)
    out$.hat <- hat
    cooksd <- (stats::residuals(x, type = "pearson") / (1 - hat))^2 * hat / length(x$coefficients)
    cooksd[is.infinite(cooksd)] <- NaN
    out$.cooksd <- cooksd
    out$.fixed <- x$fitted_fixed
    out$.weights <- x$weights
    if (interval == "prediction") pr <- stats::predict(x, interval = "prediction", level = level)
  }
  if (interval == "prediction") {
    out$.lower <- pr$lwr
    out$.upper <- pr$upr
  }
  rownames(out) <- NULL
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
