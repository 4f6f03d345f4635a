#' Predictions and prediction intervals from a gbmixed fit
#'
#' Conditional predictions \eqn{\hat f(x) + z^\top \hat b_i} for rows of clusters seen in training, or
#' population-level predictions \eqn{\hat f(x)}, with optional prediction intervals for a new observation;
#' or the variance functions \eqn{R(x)} and \eqn{G(w)} at each row.
#'
#' For a cluster seen in training, the interval is \eqn{\hat f(x) + z^\top \hat b_i \pm q_{1-\alpha/2}
#' \sqrt{z^\top P_i z + R(x)}}{f(x) + z'b_i +- q sqrt(z' P_i z + R(x))}, where \eqn{P_i} is the
#' posterior covariance of \eqn{b_i} and \eqn{R(x)} the residual variance (a constant \eqn{\sigma^2} unless
#' `dispformula` was given). For a new cluster (with `allow.new.levels = TRUE`) or at population level
#' (`re.form = NA`) it is \eqn{\hat f(x) \pm q_{1-\alpha/2} \sqrt{z^\top G(w) z + R(x)}}{f(x) +- q
#' sqrt(z' G(w) z + R(x))}: wider, as the cluster's effect is unknown. With honest folds (the default for trees
#' and splines) the sampling variance \eqn{\widehat{se}^2(x)} of \eqn{\hat f(x)}, the delete-a-group jackknife
#' over the folds' cross-fit means, is added to both (for a cluster seen in training too: with between-cluster
#' features \eqn{\hat f} is partly cluster-specific). For the training rows (no `newdata`), a row with weight
#' \eqn{w} has residual variance \eqn{R(x)/w}.
#'
#' `interval = "confidence"` is the interval of the expected value instead of a new observation: \eqn{\hat f(x)
#' \pm t_{K-1} \widehat{se}(x)} for `type = "fixed"`, new clusters and population-level predictions (\eqn{K}
#' honest folds), and \eqn{\hat f(x) + z^\top \hat b_i \pm q_{1-\alpha/2} \sqrt{z^\top P_i z +
#' \widehat{se}^2(x)}} for a cluster seen in training.
#'
#' `newdata` needs the covariates of the mean; for intervals also the `dispformula` covariates (when
#' \eqn{R(x)} is boosted) and, for rows of new clusters or at population level, the `covformula` covariates
#' (when \eqn{G(w)} is boosted; rows of clusters seen in training may omit them, their training values are
#' used).
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newdata a data frame with the covariates (and, unless `re.form = NA`, the random-effects columns
#'   and the grouping factor); `NULL` for the training rows.
#' @param type `"response"`: \eqn{\hat f(x) + z^\top \hat b_i} (or \eqn{\hat f(x)} at population level);
#'   `"fixed"`: \eqn{\hat f(x)}; `"random"`: \eqn{z^\top \hat b_i}; `"disp"`: the residual variance
#'   \eqn{R(x)} of each row (training rows: \eqn{R(x)/w}); `"cov"`: \eqn{G(w)} for each row (a vector if
#'   there is one random effect, otherwise a matrix with one named column per entry of the lower triangle).
#' @param re.form `NULL` to use the fitted random effects; `NA` or `~0` for population-level predictions.
#' @param allow.new.levels if `FALSE`, a level of the grouping factor not seen in training is an error; if
#'   `TRUE`, rows of new clusters get \eqn{\hat b = 0} and intervals from \eqn{G(w)}.
#' @param interval `"none"`, `"prediction"` (a new observation; only with `type = "response"`) or
#'   `"confidence"` (its expected value; `type = "response"`, `"fixed"` or `"random"`).
#' @param level coverage of the prediction intervals.
#' @param nrounds `NULL` (the default): the rounds of the kept model -- the best validation round when early
#'   stopping ran (see `early_stopping_rounds` in [gbmixed_control()]), otherwise all rounds. Or any number of
#'   rounds up to that: the model as it was after that round, every part (mean, variance functions, the honest
#'   folds' means) taken back to it and the random effects of the training clusters recomputed there. (Clusters
#'   held out by `validation` count as new clusters at an earlier round.)
#' @param se.fit `TRUE` for a list of `fit`, the population-level mean \eqn{\hat f(x)}, and `se.fit`, its
#'   jackknife standard error over the honest folds (as for `interval = "confidence"`); with `type = "fixed"` or
#'   `re.form = NA`.
#' @param random.only `TRUE` for the random effects' part \eqn{z^\top \hat b_i} alone (as lme4's
#'   `random.only`; the same as `type = "random"`).
#' @param ... not used: an argument that is not one of the above is an error naming it.
#' @return A numeric vector (a matrix for `type = "cov"` with several random effects), or with
#'   an interval a data frame with columns `fit`, `lwr`, `upr`.
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' nd <- data.frame(Days = c(2, 8), Subject = c("308", "new"))
#' predict(fit, nd, allow.new.levels = TRUE)
#' predict(fit, nd, allow.new.levels = TRUE, interval = "prediction")
#' predict(fit, nd, re.form = NA)
#' predict(fit, nd, type = "cov")
#'
#' # residual variance depending on Days (RBoost): intervals widen where R(x) is large
#' rfit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, dispformula = ~ Days,
#'                 control = gbmixed_control(nrounds = 60, learning_rate = 0.1, min_leaf = 10,
#'                                           seed = 1))
#' predict(rfit, nd, type = "disp")
#' predict(rfit, nd, allow.new.levels = TRUE, interval = "prediction", level = 0.9)
predict.gbmixed <- function(object, newdata = NULL,
                            type = c("response", "fixed", "random", "disp", "cov"),
                            re.form = NULL, allow.new.levels = FALSE,
                            interval = c("none", "prediction", "confidence"), level = 0.95,
                            nrounds = NULL, se.fit = FALSE, random.only = FALSE, ...) {
  check_dots(...)
  check_flag(se.fit, "se.fit")
  check_flag(random.only, "random.only")
  if (random.only) {
    # lme4's random.only: the random effects' part alone
    if (!missing(type) && !identical(type, "random") && !identical(type, "response")) {
      stop_arg("`random.only = TRUE` is the random effects' part of the prediction; it does not combine with ",
               "`type = \"", type[1L], "\"`.")
    }
    type <- "random"
  }
  type <- match.arg(type)
  interval <- match.arg(interval)
  check_flag(allow.new.levels, "allow.new.levels")
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  keep_re <- re_form_columns(re.form, object)       # the random effects predictions condition on
  population <- !any(keep_re)
  partial <- !population && !all(keep_re)
  if (partial && interval != "none") {
    stop_arg("intervals with a partial `re.form` (conditioning on some of the random effects) are not ",
             "available; use re.form = NULL (all of them) or NA (none).")
  }
  if (se.fit && interval != "none") stop_arg("give `se.fit = TRUE` or an `interval`, not both.")
  if (se.fit && type != "fixed" && !population) {
    stop_arg("`se.fit = TRUE` gives the standard error of the population-level mean f(x) (the jackknife over ",
             "the honest folds): use it with type = \"fixed\" or re.form = NA.")
  }
  check_predict_nrounds(nrounds, object)
  if (!is.null(nrounds) && nrounds != object$nrounds) {
    object <- object_at_round(object, nrounds)
    nrounds <- NULL
  }
  if (interval == "prediction" && type != "response") {
    stop_arg("`interval = \"prediction\"` is available only with `type = \"response\"`.")
  }
  if (interval == "confidence" && !type %in% c("response", "fixed", "random")) {
    stop_arg("`interval = \"confidence\"` is available with `type = \"response\"`, `\"fixed\"` or `\"random\"`.")
  }
  if (!is.null(newdata)) check_is_data_frame(newdata, "newdata")
  n <- if (is.null(newdata)) object$nobs else nrow(newdata)

  if (type == "disp") return(predict_disp(object, newdata, n))
  if (type == "cov") return(predict_cov(object, newdata, n, allow.new.levels))

  if (is.null(newdata) && interval == "none" && !partial && !se.fit) {
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
    treat <- object$treat
    cluster <- if (population) rep(-1L, n) else object$cluster
    xdisp <- training_xdisp(object)
    wcov <- training_wcov(object)
    # the engine's variance holds R(x) for weight 1; training rows have R(x) / w
    resid_var <- object$fitted_disp / object$weights
  } else {
    need_z <- interval != "none" || (!population && type != "fixed")
    nd <- build_newdata_frame(object, newdata, need_z = need_z, need_cluster = !population && type != "fixed",
                              allow.new.levels = allow.new.levels, need_treatment = type != "random")
    x <- nd$x
    treat <- nd$treat
    z <- nd$z
    cluster <- nd$cluster
    if (interval != "none") {
      xdisp <- newdata_xdisp(object, newdata, n)
      # G(w) is needed for rows of new clusters and at population level; known clusters may omit w
      known <- if (population) newdata_cluster_codes(object, newdata) else cluster
      wcov <- newdata_wcov(object, newdata, n, known)
      if (!population) note_known_cluster_w(object, wcov, cluster)
    } else {
      xdisp <- placeholder_features(object$disp, n)
      wcov <- placeholder_features(object$cov, n)
    }
    resid_var <- NULL
  }
  if (n == 0L) {
    out <- numeric(0)
    return(if (interval != "none") data.frame(fit = out, lwr = out, upr = out) else out)
  }
  if (partial) z[, !keep_re] <- 0               # z'b over the random effects re.form names only
  if (se.fit) {
    fit <- engine_predict(object, x, rep(-1L, n), z, xdisp, wcov, treat)$fixed +
      if (is.null(newdata)) object$offset %||% 0 else newdata_offset(object, newdata, n)
    return(list(fit = fit, se.fit = jackknife_se(object, 0L, x, treat)))
  }
  pr <- engine_predict(object, x, cluster, z, xdisp, wcov, treat)
  pr$fixed <- pr$fixed + if (is.null(newdata)) object$offset %||% 0 else newdata_offset(object, newdata, n)
  fit <- switch(type,
    fixed = pr$fixed,
    random = pr$random,
    response = pr$fixed + pr$random
  )
  if (interval == "none") return(fit)
  v <- pr$variance                                # z'P_i z + R(x), or z'G(w) z + R(x) for a new cluster
  resid <- if (is.null(newdata)) object$fitted_disp else predict_disp(object, newdata, n)
  if (!is.null(resid_var)) {                      # training rows: R(x) / w
    v <- v - resid + resid_var
    resid <- resid_var
  }
  # f-hat's sampling variance (jackknife), for known clusters too: with between-cluster features f-hat is partly
  # cluster-specific, and the cross-fit mean that did not see the cluster tells how much of its BLUP it took. (The
  # share kappa = 1 - z'P_i Z_i'R_i^-1 1 that a BLUP leaves of an error common to the cluster's rows gave 0.874
  # coverage for 90% intervals of known clusters on bench/r/cate_sim.R, the full variance 0.898.)
  pop_row <- population | type == "fixed" | cluster < 0L
  se_f <- rep(0, n)
  if (type != "random" && (interval == "confidence" || jcall(engine_model(object), "I", "jackknifeGroups") >= 2L)) {
    se_f <- jackknife_se(object, 0L, x, treat)
  }
  re_var <- ifelse(pop_row, 0, pmax(v - resid, 0))     # z'P_i z of a known cluster
  v <- if (interval == "prediction") v + se_f^2 else se_f^2 + re_var
  check_engine_values(list("predictive variances" = v))
  q <- rep(stats::qnorm(1 - (1 - level) / 2), n)
  if (interval == "confidence") q[pop_row] <- jackknife_quantile(object, level)   # t with K - 1 df
  half <- q * sqrt(v)
  data.frame(fit = fit, lwr = fit - half, upr = fit + half)
}

# Rows of known clusters take their random effects' posterior (P_i) from the fit, which used the cluster's training
# values of the covformula columns; different values in newdata change nothing for them: say so.
note_known_cluster_w <- function(object, wcov, cluster) {
  if (is.null(object$cov) || !ncol(wcov)) return(invisible())
  known <- which(cluster >= 0L)
  if (!length(known)) return(invisible())
  train <- object$cov$w[cluster[known] + 1L, , drop = FALSE]
  differ <- rowSums(abs(wcov[known, , drop = FALSE] - train) > 1e-12 * (1 + abs(train)), na.rm = TRUE) > 0
  if (any(differ)) {
    lev <- unique(object$cluster_levels[cluster[known][differ] + 1L])
    warning("`newdata` gives other values of the covformula columns for ", length(lev), " cluster",
            if (length(lev) > 1L) "s", " seen in training (", format_levels(lev, max = 3L), "); their random ",
            "effects and intervals come from the fit, with the training values (use allow.new.levels with a new ",
            "level to predict a cluster with other covariates).", call. = FALSE)
  }
  invisible()
}

# predict(nrounds = k): any round up to the one the fit keeps (the best with early stopping, else the last).
check_predict_nrounds <- function(nrounds, object) {
  if (is.null(nrounds)) return(invisible(TRUE))
  check_whole(nrounds, "nrounds", min = 0)
  if (nrounds <= object$nrounds) return(invisible(TRUE))
  kept <- if (!is.null(object$best_round) && !is.null(object$control$early_stopping_rounds)) {
    paste0("the model up to round ", object$nrounds, ", the best validation round of the ", object$rounds_run %||% "?",
           " rounds run")
  } else {
    paste0("the model up to round ", object$nrounds)
  }
  stop_arg("this fit keeps ", kept, ", so it cannot predict with `nrounds` = ", nrounds, ". ",
           "Use `nrounds` <= ", object$nrounds, ", or refit with gbmixed_control(nrounds = ", nrounds, ").")
}

# The fit as it was after round k < object$nrounds: the engine takes every ensemble back to round k and recomputes
# the training clusters' BLUPs at that state (Model.atRound); cached in the fit's handle. Clusters added after the
# fit (held out by `validation`) are not part of it: their rows count as new clusters there.
object_at_round <- function(object, k) {
  if (k == object$nrounds) return(object)
  h <- object$handle
  key <- paste0("round_", k)
  if (!is.environment(h)) h <- new.env(parent = emptyenv())
  m <- max(object$cluster) + 1L
  n <- object$nobs
  cached <- h[[key]]
  if (is.null(cached) || !inherits(cached, "jobjRef") || rJava::is.jnull(cached)) {   # (null after readRDS)
    xdisp <- training_xdisp(object)
    wcov <- training_wcov(object)
    h[[key]] <- jcall(engine_model(object), .java_class$model, "atRound", jarg_int1(k), jarg_dbl(object$x),
                      jarg_int1(n), jarg_dbl(object$y - (object$offset %||% 0)), jarg_dbl(object$weights),
                      jarg_int(object$cluster), jarg_int1(m), jarg_dbl(object$z), jarg_dbl(xdisp), jarg_dbl(wcov),
                      jarg_dbl(object$treat %||% numeric(0)))
  }
  model <- h[[key]]
  out <- object
  out$handle <- new.env(parent = emptyenv())
  out$handle$model <- model
  q <- length(object$z_names)
  levels <- object$cluster_levels[seq_len(m)]
  out$cluster_levels <- levels
  out$nrounds <- as.integer(k)
  out$ranef <- matrix(jcall(model, "[D", "ranef"), m, q, dimnames = list(levels, object$z_names))
  out$ranef_cov <- array(jcall(model, "[D", "ranefCov"), c(q, q, m), dimnames = list(object$z_names, object$z_names, levels))
  out$G_cluster <- array(jcall(model, "[D", "clusterCovariance"), c(q, q, m),
                         dimnames = list(object$z_names, object$z_names, levels))
  out$G <- matrix(jcall(model, "[D", "covariance"), q, q, dimnames = list(object$z_names, object$z_names))
  out$loglik <- jcall(model, "D", "logLik")
  if (!is.null(out$cov)) out$cov$w <- object$cov$w[seq_len(m), , drop = FALSE]
  if (!is.null(out$between_means)) out$between_means <- object$between_means[seq_len(m), , drop = FALSE]
  pr <- engine_predict(out, object$x, object$cluster, object$z, training_xdisp(object), training_wcov(object),
                       object$treat)
  out$fitted_fixed <- pr$fixed + (object$offset %||% 0)
  out$fitted_random <- pr$random
  out$fitted_disp <- jcall(model, "[D", "predictDisp", jarg_dbl(training_xdisp(object)), jarg_int1(n))
  out$sigma2 <- mean(out$fitted_disp)     # as Model.sigma2(): the mean of R(x) over the training rows
  out$model_bytes <- NULL      # a view for prediction, not a fit to save
  out
}

# type = "disp": R(x) per row (training rows: R(x) / w).
predict_disp <- function(object, newdata, n) {
  if (is.null(newdata)) return(object$fitted_disp / object$weights)
  if (is.null(object$disp)) return(rep(object$sigma2, n))
  if (n == 0L) return(numeric(0))
  xdisp <- newdata_xdisp(object, newdata, n)
  out <- jcall(engine_model(object), "[D", "predictDisp", jarg_dbl(xdisp), jarg_int1(n))
  check_engine_values(list("R(x)" = out), lengths = n)
  out
}

# type = "cov": G(w) per row, a vector (q = 1) or a matrix with one column per lower-triangle entry.
predict_cov <- function(object, newdata, n, allow.new.levels) {
  if (is.null(newdata)) {
    tri <- cluster_cov_tri(object)[object$cluster + 1L, , drop = FALSE]
    return(format_cov_rows(tri, object$z_names))
  }
  if (is.null(object$cov)) {
    G <- object$G
    tri <- matrix(G[lower_tri_index(nrow(G))], n, nrow(lower_tri_index(nrow(G))), byrow = TRUE)
    return(format_cov_rows(tri, object$z_names))
  }
  if (n == 0L) return(format_cov_rows(matrix(0, 0L, length(object$z_names) * (length(object$z_names) + 1L) / 2L),
                                      object$z_names))
  wcov <- newdata_wcov(object, newdata, n, newdata_cluster_codes(object, newdata))
  tri <- engine_predict_cov(object, wcov)
  format_cov_rows(tri, object$z_names)
}

# G(w) from the engine: n x q(q+1)/2 lower-triangle entries.
engine_predict_cov <- function(object, wcov) {
  n <- nrow(wcov)
  q <- length(object$z_names)
  ntri <- q * (q + 1L) / 2L
  out <- jcall(engine_model(object), "[D", "predictCov", jarg_dbl(wcov), jarg_int1(n))
  check_engine_values(list("G(w)" = out), lengths = n * ntri)
  matrix(out, n, ntri)
}

# Covariates that the engine needs in the right shape but whose values do not matter for the result
# (the variance parts when no interval is asked for): zeros are valid codes for factors too.
placeholder_features <- function(part, n) matrix(0, n, length(part$labels))

# f(x), z'bhat and the predictive variance of a new y, from the engine (the six-argument Model.predict:
# R(x) from xdisp, P_i for existing clusters, G(w) from wcov for new ones).
# treat: the 0/1 treatment per row for a fit with a treatment-effect part (f = mu(x) + (T - c) tau(x)); NULL
# otherwise.
engine_predict <- function(object, x, cluster, z, xdisp = placeholder_features(object$disp, nrow(x)),
                           wcov = placeholder_features(object$cov, nrow(x)), treat = NULL) {
  n <- nrow(x)
  model <- engine_model(object)
  if (!is.null(object$treatment) && is.null(treat)) {
    stop("internal error: engine_predict() without the treatment of a fit with a treatment part.", call. = FALSE)
  }
  out <- jcall(model, "[D", "predict", jarg_dbl(x), jarg_int1(n), jarg_int(cluster), jarg_dbl(z),
               jarg_dbl(xdisp), jarg_dbl(wcov), jarg_dbl(if (is.null(object$treatment)) numeric(0) else treat))
  check_engine_values(list("predictions" = out), lengths = 3L * n)
  list(fixed = out[seq_len(n)], random = out[n + seq_len(n)], variance = out[2L * n + seq_len(n)])
}

# re.form -> which random effects (columns of z) predictions condition on, as lme4: NULL or the model's own term:
# all; NA, ~0: none; a term with some of the model's random effects, e.g. ~ (1 | id) for (1 + t | id): those.
re_form_columns <- function(re.form, object) {
  q <- length(object$z_names)
  if (is.null(re.form)) return(rep(TRUE, q))
  if (length(re.form) == 1L && !inherits(re.form, "formula") && is.na(re.form)) return(rep(FALSE, q))
  bad <- function(why) {
    stop_arg("`re.form` must be NULL (all random effects), NA or ~0 (population level), or a random-effects ",
             "term with some of the model's, such as ~ (1 | ", object$group, "); ", deparse1(re.form), " ", why, ".")
  }
  if (!inherits(re.form, "formula")) bad("is not a formula")
  bars <- find_bar_terms(re.form[[length(re.form)]])
  if (length(bars) == 0L) return(rep(FALSE, q))        # ~0, ~ -1, ~1: no random effects
  if (length(bars) > 1L) bad("has several terms")
  if (!identical(deparse1(bars[[1L]][[3L]]), object$group)) {
    bad(paste0("names the grouping factor `", deparse1(bars[[1L]][[3L]]), "`, the fit's is `", object$group, "`"))
  }
  sub <- stats::terms(stats::as.formula(call("~", bars[[1L]][[2L]])))
  vars <- all.vars(sub)
  unknown <- setdiff(vars, object$re_vars)
  if (length(unknown)) bad(paste0("uses ", paste0("`", unknown, "`", collapse = ", "), ", not random effects of the fit"))
  xlev <- object$z_info$xlev
  proto <- as.data.frame(lapply(stats::setNames(vars, vars), function(v) {
    if (v %in% names(xlev)) factor(xlev[[v]][1L], levels = xlev[[v]]) else 0
  }))
  if (!length(vars)) proto <- data.frame(.row = 1)
  contr <- object$z_info$contrasts[intersect(names(object$z_info$contrasts), vars)]
  cols <- colnames(stats::model.matrix(sub, proto, contrasts.arg = if (length(contr)) contr))
  missing <- setdiff(cols, object$z_names)
  if (length(missing)) bad(paste0("has random effects the fit does not: ", paste0("`", missing, "`", collapse = ", ")))
  object$z_names %in% cols
}
