# Interpreting a fit: importance of the covariates of each part, and the fitted functions of one covariate
# (partial dependence for trees, the exact additive smooth for component-wise learners).

#' Importance of the covariates of a gbmixed fit
#'
#' Gain-based importance of the covariates of one part of the model: the mean \eqn{f(x)} (`"mean"`), the
#' residual log-variance \eqn{\log R(x)} (`"disp"`, the covariates of `dispformula`) or the random-effects
#' covariance \eqn{G(w)} (`"cov"`, the covariates of `covformula`, averaged over the entries of \eqn{G}).
#'
#' The importance of a covariate is the total reduction of the learner's weighted squared error over all the
#' base learners that used it (tree splits on it, or component-wise smooths of it), as a share of the total,
#' so the values sum to 1. A plain (not component-wise) linear learner fits all covariates in every round and
#' has no gain to share out: its importances are all 0.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param part `"mean"`, `"disp"`, `"cov"` or `"cate"` (the treatment-effect part \eqn{\tau(x)} of a fit with a
#'   `treatment`). A part the model did not boost on covariates (e.g. `"disp"` for a fit with `dispformula = ~ 1`)
#'   is an error.
#' @param ... not used.
#' @return A named numeric vector, sorted decreasingly, with one entry per covariate of the part.
#' @seealso [partial_dependence()], [plot.gbmixed()]
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, dispformula = ~ Days,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' importance(fit)
#' importance(fit, "disp")
importance <- function(object, ...) UseMethod("importance")

#' @rdname importance
#' @export
importance.gbmixed <- function(object, part = c("mean", "disp", "cov", "cate"), ...) {
  check_dots(...)
  part <- match.arg(part)
  info <- part_info(object, part)
  imp <- switch(part, mean = object$importance, disp = object$importance_disp, cov = object$importance_cov,
                cate = object$importance_cate[seq_along(info$features)])
  imp <- stats::setNames(as.numeric(imp), names(info$features))
  sort(imp, decreasing = TRUE)
}

#' Partial dependence and fitted smooth functions of a gbmixed fit
#'
#' How one part of the model changes with one of its covariates: the mean \eqn{f(x)} (`part = "mean"`), the
#' residual log-variance \eqn{\log R(x)} (`"disp"`), or the log-variances of the random effects,
#' \eqn{\log G_{kk}(w)} (`"cov"`).
#'
#' **Trees (and the plain linear learner).** The classic partial dependence (Friedman, 2001): the average,
#' over the training data, of the part's prediction with `var` set to each grid value and the other
#' covariates left at their observed values. For `"mean"` and `"disp"` the average runs over the training
#' rows; for `"cov"` over the training clusters (one row per cluster, as \eqn{G(w)} is fitted).
#'
#' **Component-wise learners** (`learner = "spline"`, or `"linear"` with `componentwise = TRUE`, for the
#' part in question). The part is then additive, \eqn{g_0 + \sum_k g_k(x_k)}, and the function returns
#' \eqn{g_k} itself, exactly (from the engine, not by averaging predictions): centred to mean zero over the
#' training data, plus the part's average level over the training data (the mean of \eqn{\hat f} over the
#' rows, of \eqn{\log R(x)} over the rows, or of \eqn{\log G_{kk}(w_i)} over the clusters). For an additive
#' part this equals the partial dependence, so both methods give curves on the same scale. For \eqn{G}, the
#' log-variance of a random effect is additive in the log-Cholesky parameters when it is the first random
#' effect or \eqn{G} is diagonal (`||`); other entries of a full \eqn{G} are not, and are computed by partial
#' dependence.
#'
#' For a factor covariate the result has one row per level.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param var the name of a covariate of the part, as written in its formula (e.g. `"x1"` or `"log(x1)"`).
#' @param part `"mean"`, `"disp"` (the covariates of `dispformula`), `"cov"` (those of `covformula`) or
#'   `"cate"` (the treatment effect \eqn{\tau(x)} of a fit with a `treatment`, on the mean's row covariates).
#' @param grid `NULL` (an even grid of `n` values over the training range of a numeric covariate, all
#'   levels of a factor), or the values at which to evaluate.
#' @param n number of grid values for a numeric covariate when `grid` is `NULL`.
#' @param ... not used.
#' @return A data frame with the grid in a column named `var` (a factor for a factor covariate) and the
#'   estimate in column `estimate`: \eqn{f}, \eqn{\log R(x)}, or \eqn{\log G(w)} when there is one random
#'   effect. With several random effects, `"cov"` gives one column per entry of \eqn{G}: `log var(<effect>)`
#'   for the variances and, for a full \eqn{G}, `cor(<effect>,<effect>)` for the correlations (by partial
#'   dependence). For the mean and `"cate"` of a fit with honest folds (the default for trees), also `se`,
#'   the delete-a-group jackknife standard error of the partial dependence over the folds' cross-fit means,
#'   and `lwr`, `upr`, a 95% band (t with K - 1 degrees of freedom, as [cate()]'s intervals): the sampling
#'   variability of the curve, not of the data. Attributes: `part`, `method` (`"exact"`, `"partial
#'   dependence"` or, for the band, `"jackknife"`, per column) and `scale`.
#' @references Friedman, J. H. (2001). Greedy function approximation: a gradient boosting machine. The
#'   Annals of Statistics 29(5), 1189-1232.
#' @seealso [importance()], [plot.gbmixed()]
#' @export
#' @examples
#' set.seed(1)
#' m <- 60
#' id <- rep(seq_len(m), each = 8)
#' d <- data.frame(id = factor(id), x1 = runif(8 * m, -2, 2), x2 = runif(8 * m, -2, 2))
#' d$y <- sin(2 * d$x1) + d$x2^2 / 2 + rnorm(m)[id] + rnorm(8 * m, sd = 0.5)
#' tree <- gbmixed(y ~ x1 + x2 + (1 | id), d,
#'                 control = gbmixed_control(nrounds = 100, learning_rate = 0.1, seed = 1))
#' head(partial_dependence(tree, "x1", n = 20))
#' spl <- gbmixed(y ~ x1 + x2 + (1 | id), d,
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, learner = "spline",
#'                                          seed = 1))
#' pd <- partial_dependence(spl, "x2", n = 20)   # the fitted smooth of x2, exactly
#' plot(pd$x2, pd$estimate, type = "l")
partial_dependence <- function(object, ...) UseMethod("partial_dependence")

#' @rdname partial_dependence
#' @export
partial_dependence.gbmixed <- function(object, var, part = c("mean", "disp", "cov", "cate"), grid = NULL,
                                       n = 50, ...) {
  check_dots(...)
  part <- match.arg(part)
  info <- part_info(object, part)
  k <- resolve_part_var(var, info, part)
  check_whole(n, "n", min = 2, max = 1e5)
  feat <- info$features[[k]]
  g <- make_pd_grid(grid, feat, info$x[, k], n, names(info$features)[k])
  ngrid <- length(g$codes)

  est <- if (part == "cov") {
    cov_dependence(object, info, k, g$codes)
  } else {
    part_dependence(object, info, k, g$codes)
  }
  out <- data.frame(g$values, stringsAsFactors = FALSE)
  names(out) <- names(info$features)[k]
  method <- character()
  for (nm in names(est)) {
    out[[nm]] <- as.numeric(est[[nm]]$value)
    method[nm] <- est[[nm]]$method
  }
  attr(out, "part") <- part
  attr(out, "method") <- method
  attr(out, "scale") <- switch(part, mean = "f(x)", disp = "log R(x)", cov = "log G(w)", cate = "tau(x)")
  out
}

# ---- internals ----

# What a part of the fit is made of: its training covariates (x: rows for mean/disp, clusters for cov),
# their encoding info and number of levels, its learner and whether that is component-wise. A part without
# covariates is an error that says how to boost it.
part_info <- function(object, part) {
  ctl <- object$control
  learner <- switch(part, mean = ctl$learner, disp = ctl$learner_disp %||% ctl$learner,
                    cov = ctl$learner_cov %||% ctl$learner, cate = ctl$learner_cate %||% ctl$learner)
  componentwise <- learner == "spline" || (learner == "linear" && isTRUE(ctl$componentwise))
  if (part == "cate") {
    if (is.null(object$treatment)) {
      stop_arg("part = \"cate\" needs a treatment-effect part: refit with gbmixed(..., treatment = \"<0/1 column>\").")
    }
    feats <- row_features(object$features)
    if (!length(feats)) stop_arg("the treatment-effect part of this fit has no covariates (tau is a constant).")
    return(list(x = object$x[, seq_along(feats), drop = FALSE], features = feats, nlevels = object$nlevels,
                learner = learner, componentwise = componentwise, index = 3L))
  }
  if (part == "mean") {
    if (!length(object$features)) {
      stop_arg("the mean of this fit has no covariates (the fixed part of `formula` is empty), so ",
               "part = \"mean\" has nothing to show.")
    }
    return(list(x = object$x, features = object$features, nlevels = object$nlevels, learner = learner,
                componentwise = componentwise, index = 0L))
  }
  side <- if (part == "disp") object$disp else object$cov
  if (is.null(side)) {
    what <- if (part == "disp") {
      paste("the residual variance of this fit is constant (dispformula = ~ 1); boost it with e.g.",
            "dispformula = ~ x1 + x2")
    } else {
      paste("the random-effects covariance of this fit is constant (covformula = ~ 1); boost it with e.g.",
            "covformula = ~ w1 + w2")
    }
    stop_arg("part = \"", part, "\" was not boosted: ", what, ".")
  }
  list(x = if (part == "disp") side$x else side$w, features = side$features, nlevels = side$nlevels,
       learner = learner, componentwise = componentwise, index = if (part == "disp") 1L else 2L)
}

# var -> the 1-based column of the part's covariates. Accepts the label ("log(x)") or, when unambiguous, the
# variable inside it ("x").
resolve_part_var <- function(var, info, part) {
  labels <- names(info$features)
  if (!is.character(var) || length(var) != 1L || is.na(var)) {
    stop_arg("`var` must be the name of one covariate of part \"", part, "\", not ", show_value(var), ".")
  }
  k <- match(var, labels)
  if (is.na(k)) {
    hits <- which(vapply(label_vars(info$features), function(v) var %in% v, logical(1)))
    if (length(hits) == 1L) k <- hits
  }
  if (is.na(k)) {
    stop_arg("`var` = \"", var, "\" is not a covariate of part \"", part, "\"; its covariates are ",
             paste0("\"", labels, "\"", collapse = ", "), ".")
  }
  k
}

# Grid values (as shown to the user) and their engine codes (numeric values, or 0-based factor codes).
make_pd_grid <- function(grid, feat, column, n, label) {
  if (feat$type == "factor") {
    lev <- feat$levels
    if (is.null(grid)) {
      chosen <- lev
    } else {
      chosen <- as.character(grid)
      unseen <- setdiff(unique(chosen), lev)
      if (length(unseen)) {
        stop_arg("`grid` has ", if (length(unseen) == 1L) "a level" else "levels", " of factor `", label,
                 "` not seen in training: ", format_levels(unseen), ".")
      }
    }
    return(list(values = factor(chosen, levels = lev), codes = match(chosen, lev) - 1L))
  }
  if (is.null(grid)) {
    r <- range(column)
    grid <- if (r[1L] == r[2L]) r[1L] else seq(r[1L], r[2L], length.out = n)
  }
  if (!is.numeric(grid) || !length(grid) || anyNA(grid) || any(!is.finite(grid))) {
    stop_arg("`grid` for the numeric covariate `", label, "` must be finite numbers, not ", show_value(grid), ".")
  }
  list(values = as.double(grid), codes = as.double(grid))
}

# The additive function of covariate k (0-based in the engine) of a part at `codes`, or NULL when the part
# has no component-wise function at all (never updated by a component-wise learner).
engine_effect <- function(object, index, entry, k, codes) {
  tryCatch(
    jcall(engine_model(object), "[D", "effect", jarg_int1(index), jarg_int1(entry), jarg_int1(k - 1L),
          jarg_dbl(codes)),
    gbmixed_engine_error = function(e) {
      if (grepl("not fitted with a component-wise learner", conditionMessage(e), fixed = TRUE)) NULL else stop(e)
    }
  )
}

# Exact centred smooth: g_k(codes) - mean_train g_k + level. A part whose function was never updated is flat.
exact_effect <- function(object, index, entry, k, codes, train_column, level, scale = 1) {
  g <- engine_effect(object, index, entry, k, codes)
  if (is.null(g)) return(rep(level, length(codes)))
  g_train <- engine_effect(object, index, entry, k, train_column)
  scale * (g - mean(g_train)) + level
}

# Averages of a part's prediction over the training data with column k set to each code. The stacked copies
# are sent to the engine in chunks of about `cells` numbers.
pd_average <- function(x, k, codes, predict_rows, cells = 2e6) {
  n <- nrow(x)
  per_chunk <- max(1L, floor(cells / max(1, n * ncol(x))))
  out <- NULL
  for (start in seq(1L, length(codes), by = per_chunk)) {
    idx <- start:min(length(codes), start + per_chunk - 1L)
    xs <- x[rep(seq_len(n), length(idx)), , drop = FALSE]
    xs[, k] <- rep(codes[idx], each = n)
    pr <- as.matrix(predict_rows(xs))
    grp <- rep(seq_along(idx), each = n)
    avg <- rowsum(pr, grp, reorder = TRUE) / n
    out <- rbind(out, avg)
  }
  out
}

# mean and disp parts: list(estimate = list(value, method)).
part_dependence <- function(object, info, k, codes) {
  if (info$componentwise && (info$index != 0L || is.null(object$treatment))) {
    level <- switch(as.character(info$index), "0" = mean(object$fitted_fixed), "1" = mean(log(object$fitted_disp)),
                    "3" = mean(engine_cate(object, object$x)))
    value <- exact_effect(object, info$index, 0L, k, codes, info$x[, k], level)
    return(list(estimate = list(value = value, method = "exact")))
  }
  # the mean and tau(x) with honest folds: the curve of every jackknife replicate too, for a band
  groups <- if (info$index %in% c(0L, 3L)) jcall(engine_model(object), "I", "jackknifeGroups") else 0L
  band <- groups >= 2L
  predict_rows <- if (info$index == 3L) {
    function(xs) {
      full <- matrix(object$x[1L, ], nrow(xs), ncol(object$x), byrow = TRUE)
      full[, seq_len(ncol(xs))] <- xs
      out <- engine_cate(object, full)
      if (band) cbind(out, jackknife_reps(object, 1L, full)) else out
    }
  } else if (info$index == 0L) {
    function(xs) {
      nr <- nrow(xs)
      treat <- if (!is.null(object$treat)) rep_len(object$treat, nr)
      out <- engine_predict(object, xs, rep(-1L, nr), matrix(0, nr, length(object$z_names)), treat = treat)$fixed
      if (band) cbind(out, jackknife_reps(object, 0L, xs, treat)) else out
    }
  } else {
    function(xs) {
      out <- jcall(engine_model(object), "[D", "predictDisp", jarg_dbl(xs), jarg_int1(nrow(xs)))
      check_engine_values(list("R(x)" = out), lengths = nrow(xs))
      log(out)
    }
  }
  avg <- pd_average(info$x, k, codes, predict_rows)
  out <- list(estimate = list(value = avg[, 1L], method = "partial dependence"))
  if (band) {
    # delete-a-group jackknife over the honest folds' curves, a t interval with K - 1 df (as cate())
    se <- jackknife_spread(avg[, -1L, drop = FALSE])
    half <- jackknife_quantile(object, 0.95) * se
    out$se <- list(value = se, method = "jackknife")
    out$lwr <- list(value = avg[, 1L] - half, method = "jackknife")
    out$upr <- list(value = avg[, 1L] + half, method = "jackknife")
  }
  out
}

# The entries of G reported by partial_dependence(part = "cov"): the log-variances, and the correlations of
# a full G. Returns their labels and a function turning n x q(q+1)/2 lower-triangle rows into them.
cov_entries <- function(object) {
  q <- length(object$z_names)
  idx <- lower_tri_index(q)
  diag_k <- which(idx[, 1L] == idx[, 2L])
  off_k <- if (isTRUE(object$diagonal)) integer() else which(idx[, 1L] != idx[, 2L])
  nm <- sub("^\\(Intercept\\)$", "Intercept", object$z_names)
  labels <- paste0("log var(", nm[idx[diag_k, 1L]], ")")
  if (length(off_k)) labels <- c(labels, paste0("cor(", nm[idx[off_k, 2L]], ",", nm[idx[off_k, 1L]], ")"))
  transform <- function(tri) {
    tri <- matrix(tri, ncol = nrow(idx))
    out <- log(tri[, diag_k, drop = FALSE])
    for (t in off_k) {
      a <- diag_k[idx[diag_k, 1L] == idx[t, 1L]]
      b <- diag_k[idx[diag_k, 1L] == idx[t, 2L]]
      out <- cbind(out, tri[, t] / sqrt(tri[, a] * tri[, b]))
    }
    out
  }
  list(labels = labels, transform = transform, diag_k = diag_k, idx = idx)
}

# Position of theta_kk among the log-Cholesky parameters (column by column over the lower triangle; only the
# diagonal for a diagonal G).
theta_index <- function(k, q, diagonal) {
  if (diagonal) return(k - 1L)
  idx <- lower_tri_index(q)
  which(idx[, 1L] == k & idx[, 2L] == k) - 1L
}

# cov part: one estimate per entry (see cov_entries()).
cov_dependence <- function(object, info, k, codes) {
  ent <- cov_entries(object)
  q <- length(object$z_names)
  exact_ok <- info$componentwise & (seq_along(ent$labels) <= length(ent$diag_k)) &
    (isTRUE(object$diagonal) | seq_along(ent$labels) == 1L)
  out <- stats::setNames(vector("list", length(ent$labels)), if (q == 1L) "estimate" else ent$labels)
  if (!all(exact_ok)) {
    pd <- pd_average(info$x, k, codes, function(ws) ent$transform(engine_predict_cov(object, ws)))
  }
  for (e in seq_along(ent$labels)) {
    if (exact_ok[e]) {
      kk <- ent$idx[ent$diag_k[e], 1L]
      level <- mean(log(object$G_cluster[kk, kk, ]))
      # log G_kk = 2 theta_kk when G_kk = L_kk^2 = exp(2 theta_kk)
      value <- exact_effect(object, 2L, theta_index(kk, q, isTRUE(object$diagonal)), k, codes, info$x[, k],
                            level, scale = 2)
      out[[e]] <- list(value = value, method = "exact")
    } else {
      out[[e]] <- list(value = pd[, e], method = "partial dependence")
    }
  }
  out
}
