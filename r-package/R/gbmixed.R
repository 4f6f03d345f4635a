#' Fit a gradient boosted mixed model
#'
#' Fits \deqn{y_{ij} = f(x_{ij}) + z_{ij}^\top b_i + \varepsilon_{ij}, \quad b_i \sim N_q(0, G(w_i)),
#' \quad \varepsilon_{ij} \sim N(0, R(x_{ij}) / w_{ij})}{y_ij = f(x_ij) + z_ij' b_i + e_ij,
#' b_i ~ N_q(0, G(w_i)), e_ij ~ N(0, R(x_ij) / w_ij)}
#' where the mean \eqn{f} is an additive ensemble of base learners (regression trees, or a linear
#' learner) boosted on the marginal Gaussian log-likelihood, and the random-effects covariance \eqn{G} and
#' residual variance \eqn{R} are estimated along with it: as constants (the Base variant), or as functions
#' boosted on their own covariates. With `learner = "linear"`, constant variances and enough rounds the fit
#' converges to the maximum likelihood (not REML) linear mixed model that [lme4::lmer()] fits with
#' `REML = FALSE`.
#'
#' The fixed part of `formula` lists the covariates of \eqn{f}: they are features of a nonparametric mean,
#' not linear terms, so interactions are not written (trees find them). `y ~ . + (1 | id)` uses every column
#' except the response and the grouping factor. The random-effects term gives the design \eqn{z} and the
#' grouping factor: `(1 | id)` random intercept, `(1 + t | id)` correlated intercept and slope (full
#' \eqn{G}), `(1 + t || id)` uncorrelated effects (diagonal \eqn{G}), `(0 + t | id)` slope only. Exactly one
#' random-effects term with one grouping factor is supported.
#'
#' **Variants.** `dispformula = ~ x1 + x3` boosts the residual log-variance \eqn{\rho(x) = \log R(x)} on
#' those covariates (RBoost); `covformula = ~ w1 + w2` boosts the log-Cholesky entries of \eqn{G(w)} on
#' cluster-level covariates (GBoost); both together give GRBoost; `~ 1` keeps a part constant (Base). The
#' variant is shown by `print()` and `summary()`. Covariates of `covformula` must be constant within each
#' cluster. The variance parts learn best somewhat slower than the mean (`learning_rate_disp`,
#' `learning_rate_cov` in [gbmixed_control()]), and from cross-fitted residuals (`honest_folds`, on by
#' default for trees) so that an overfitting mean does not shrink them and prediction intervals keep their
#' level.
#'
#' **The mean.** Every step of the mean is a Newton step of the marginal likelihood: the base learner's
#' structure (a tree's splits) is grown on the conditional residuals, its values solve the GLS problem given that
#' structure, so an effect the random effects could absorb (a covariate constant within clusters, a treatment
#' under a random treatment slope) is learned at its full size, as `lmer` estimates a fixed effect
#' (`newton` in [gbmixed_control()]). The mean also gets between-cluster features, the cluster means of its
#' covariates (`between`), so that it can tell a covariate's within-cluster association from its between-cluster
#' one, which is what predicts a new cluster.
#'
#' **Treatment effects.** `treatment = "T"` names a 0/1 column that is a covariate of the mean. The mean then
#' becomes \eqn{f(x, T) = \mu(x) + (T - \bar T)\,\tau(x)}{f(x, T) = mu(x) + (T - mean(T)) tau(x)} with the
#' conditional average treatment effect \eqn{\tau(x)} a part of its own (smooth by default, its own learner, rate
#' and depth: `learner_cate`, `learning_rate_cate`, `max_depth_cate`), its level set by a full Newton step every
#' round and its shape stopping on its own (`cate_stopping_rounds`). \eqn{\tau(x)} uses the row covariates, not
#' the between-cluster features. With a random treatment slope, `y ~ x + T + (1 + T | id)`, [cate()] gives
#' population and cluster-specific effects with intervals; `importance(fit, "cate")`,
#' `partial_dependence(fit, var, part = "cate")` describe \eqn{\tau}.
#'
#' **Missing values.** Rows are never dropped silently. A missing value (`NA`) in a covariate of a part whose
#' learner is `"tree"` (the default) is allowed: each split learns on which side missing values go, and
#' [predict()][predict.gbmixed] treats `NA` in `newdata` the same way. `NA` in the response, the grouping
#' factor, the random-effects columns, the weights, the treatment, or a covariate of a `"linear"` or
#' `"spline"` part is an error naming the columns and counts. Character covariates are treated as factors;
#' factors are handled natively by the tree learner and expanded to treatment contrasts by the linear learner.
#'
#' **Validation and early stopping.** `validation = 0.2` in [gbmixed_control()] holds out a fifth of the
#' clusters (drawn from the fit's seed), or `validation_data` gives held-out data; the fit is on the other
#' clusters only, and a loss of the held-out clusters -- scored as new clusters, \eqn{b_i \sim N(0, G(w_i))}{b_i ~
#' N(0, G(w_i))} -- is recorded after every round (`fit$valid_loss`, next to the training NLL `fit$loss`; both are
#' sums over rows, round 0 first): by default the squared error of the population-level predictions
#' (`early_stopping_metric`: also the joint marginal NLL or a row-wise log score). Without held-out data,
#' `early_stopping_rounds` watches the honest folds instead: each cross-fit mean scored on the clusters it did not
#' see, so that every cluster stays in the fit. With `early_stopping_rounds = k` the fit stops once that loss has
#' not improved for `k` rounds and keeps the model of the best round (`fit$best_round`), which
#' [predict()][predict.gbmixed] then uses. Clusters held out by `validation` get their random effects from the
#' kept model and are clusters of the fit like the others. Without early stopping the curve is still recorded and
#' the model of the last round is kept. [cv_gbmixed()] cross-validates the number of rounds over folds of
#' clusters.
#'
#' **Progress and interruption.** Rounds run in short chunks between which R can be interrupted; with
#' `progress = TRUE` a progress bar appears once the fit is projected to take more than about 2 seconds. On an
#' interrupt (Ctrl-C, Esc) the fit stops at the end of the current chunk (within about a quarter of a second)
#' and `gbmixed()` returns the model of the rounds done so far, with a warning; the session and the Java engine
#' stay usable.
#'
#' The engine runs in Java. Its heap is fixed when the Java virtual machine starts: for large data call
#' `options(java.parameters = "-Xmx4g")` before gbmixed (or any other package using rJava) is loaded.
#'
#' @param formula a two-sided formula with one random-effects term, e.g. `y ~ x1 + x2 + (1 + t | id)`.
#' @param data a data frame containing the variables of `formula`, `dispformula` and `covformula`.
#' @section Numerical safety:
#' The variance functions are clamped: \eqn{R(x)} stays within a factor \eqn{10^8} of the variance of the
#' response (either way), each diagonal entry of \eqn{G(w)} within a factor \eqn{10^8} of
#' \eqn{\mathrm{var}(y) / \mathrm{mean}(z_k^2)}, and the off-diagonal Cholesky entries within \eqn{10^4} times
#' the square root of that scale. A variance step that would raise the training negative log-likelihood by more
#' than \eqn{10^{-6}} per observation is halved (up to 8 times) and otherwise skipped for that round, so no NaN or
#' infinite value reaches the fitted object.
#'
#' @param dispformula a one-sided formula: the covariates of the residual log-variance \eqn{\log R(x)}
#'   (RBoost), or `~ 1` for a constant residual variance. Factors and character columns are allowed.
#' @param covformula a one-sided formula: cluster-level covariates of the random-effects covariance
#'   \eqn{G(w)} (GBoost), constant within each cluster, or `~ 1` for a constant \eqn{G}.
#' @param treatment `NULL`, or the name of a 0/1 (or logical) column that appears in the fixed part of
#'   `formula`: enables [cate()].
#' @param weights `NULL`, the name of a column of `data`, or a numeric vector of positive precision weights
#'   (the residual variance of row \eqn{j} is \eqn{R(x_j) / w_j}, as in [lme4::lmer()]).
#' @param control settings made by [gbmixed_control()].
#' @param subset an optional condition on the rows of `data` (evaluated in it, as in [stats::lm()] and
#'   [lme4::lmer()]): a logical vector (`NA` counts as `FALSE`) or row numbers.
#' @param na.action `NULL` (the default): no row is dropped -- a missing response, grouping factor, random-effects
#'   column, weight or treatment is an error, and a missing covariate of a tree part is learned as missing.
#'   `na.omit` drops the rows with a missing value in any variable of the model, with a message saying how many
#'   and where; `na.fail` refuses any missing value; `na.pass` is the default. `na.exclude` is refused (fitted
#'   values are not padded with `NA`).
#' @param offset `NULL`, or a known part of the mean added to \eqn{f}: the name of a column of `data` (bare or
#'   quoted) or a numeric vector with one value per row. `offset(x)` terms in `formula` do the same and add up
#'   with it. Predictions for `newdata` add the offset of its rows (a vector offset cannot be predicted: give a
#'   column then); fitted values and residuals are about the response itself, as in [lme4::lmer()].
#' @param validation_data `NULL`, or a data frame of held-out data (with the response, covariates, grouping
#'   factor and, if `weights` names a column, that column) whose marginal negative log-likelihood is recorded
#'   every round, as LightGBM's `valids` or xgboost's `watchlist`; used for early stopping with
#'   `early_stopping_rounds` in [gbmixed_control()]. Its clusters are scored as new clusters (a warning says
#'   so when some of them also appear in `data`). Give either this or `validation` in the control settings.
#'
#' @return An object of class `"gbmixed"`, with methods [tidy()][tidy.gbmixed], [glance()][glance.gbmixed],
#'   [augment()][augment.gbmixed], [simulate()][simulate.gbmixed], [print()][print.gbmixed],
#'   [summary()][summary.gbmixed], [predict()][predict.gbmixed], [cate()], [ranef()][ranef.gbmixed],
#'   [VarCorr()][VarCorr.gbmixed], [fixef()][fixef.gbmixed], [sigma()][sigma.gbmixed], `fitted()`,
#'   `residuals()`, `logLik()` and `nobs()`. The fitted engine model is stored as raw bytes, so the object
#'   survives [saveRDS()] and [readRDS()] in a new R session.
#' @references Prevett, Hui, Tho, Welsh and Westveld (2025). Gradient Boosted Mixed Models: Flexible Joint
#'   Estimation of Mean and Variance Components for Clustered Data. arXiv:2511.00217.
#' @seealso [gbmixed_control()], [predict.gbmixed()], [cate()], [cv_gbmixed()], [gbmixed_sitrep()],
#'   `vignette("heteroscedastic", "gbmixed")`
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' fit
#' head(predict(fit))
#'
#' # GRBoost: residual variance depending on x, random-intercept variance on a cluster covariate w
#' set.seed(1)
#' m <- 80
#' w <- runif(m)
#' id <- rep(seq_len(m), each = 10)
#' d <- data.frame(id = factor(id), w = w[id], x = runif(10 * m))
#' d$y <- sin(4 * d$x) + rnorm(m, sd = exp(w))[id] + rnorm(10 * m, sd = exp(1.5 * d$x - 1.5))
#' gr <- gbmixed(y ~ x + (1 | id), d, dispformula = ~ x, covformula = ~ w,
#'               control = gbmixed_control(nrounds = 60, learning_rate = 0.1,
#'                                         learning_rate_disp = 0.05, learning_rate_cov = 0.05,
#'                                         min_leaf_cov = 10, seed = 1))
#' gr
#' head(predict(gr, type = "disp"))
#'
#' # early stopping on a fifth of the clusters held out
#' es <- gbmixed(y ~ x + (1 | id), d,
#'               control = gbmixed_control(nrounds = 300, learning_rate = 0.2, validation = 0.2,
#'                                         early_stopping_rounds = 10, seed = 1))
#' c(rounds_run = es$rounds_run, best_round = es$best_round)
gbmixed <- function(formula, data, dispformula = ~1, covformula = ~1, treatment = NULL, weights = NULL,
                    control = gbmixed_control(), validation_data = NULL, subset = NULL, na.action = NULL,
                    offset = NULL) {
  call <- match.call()
  require_engine()
  check_is_data_frame(data, "data")
  all_rows <- rownames(data)
  # subset, as lm()/lmer(): evaluated in data
  sub <- eval(substitute(subset), data, parent.frame())
  if (!is.null(sub)) data <- subset_rows(data, sub)
  offset <- column_or_value(substitute(offset), data, parent.frame(), "offset")
  # bare column names, as lme4 and glmmTMB take them: weights = wt, treatment = trt
  weights <- column_or_value(substitute(weights), data, parent.frame(), "weights")
  treatment <- column_or_value(substitute(treatment), data, parent.frame(), "treatment")
  control <- as_gbmixed_control(control)
  if (!is.null(validation_data) && control$validation > 0) {
    stop_arg("give held-out clusters one way: `validation` = ", control$validation, " in the control settings ",
             "or `validation_data`, not both.")
  }
  if (!is.null(control$early_stopping_rounds) && control$validation == 0 && is.null(validation_data) &&
      honest_folds_of(control) < 2L) {
    stop_arg("`early_stopping_rounds` needs held-out clusters: honest folds (honest_folds >= 2), `validation` > 0 ",
             "(e.g. 0.2) in the control ",
             "settings, or pass `validation_data`.")
  }
  data <- apply_na_action(na.action, data, formula, dispformula, covformula, treatment, weights, offset)
  prep <- prepare_gbmixed(formula, data, dispformula, covformula, treatment, weights, control, offset)
  seed <- control$seed %||% sample.int(.Machine$integer.max, 1L)
  frame <- prep$frame
  train <- frame
  valid <- NULL
  if (control$validation > 0) {
    held <- holdout_clusters(frame, control$validation, seed, prep$parsed$group)
    train <- subset_frame(frame, which(!frame$cluster %in% held))
    valid <- subset_frame(frame, which(frame$cluster %in% held))
    valid$source <- "held-out clusters"
  } else if (!is.null(validation_data)) {
    valid <- build_validation_frame(prep, validation_data, weights, control)
    valid$source <- "validation_data"
  }
  fit <- fit_gbmixed_frames(prep, train, valid, control, seed, call)
  # the rows of the caller's `data` that entered the fit (after subset and na.action), for refit() and update()
  if (nrow(data) < length(all_rows)) fit$data_rows <- match(rownames(data), all_rows)
  fit
}

# `subset` as lm() takes it: a logical vector (NA = FALSE) or row indices.
subset_rows <- function(data, sub) {
  n <- nrow(data)
  if (is.logical(sub)) {
    if (length(sub) != n) stop_arg("`subset` is a logical vector of length ", length(sub), ", not ", n, " (the rows).")
    return(data[!is.na(sub) & sub, , drop = FALSE])
  }
  if (is.numeric(sub) && all(is.finite(sub)) && all(sub == round(sub)) && all(abs(sub) <= n)) {
    return(data[sub, , drop = FALSE])
  }
  stop_arg("`subset` must be a logical condition on the rows of `data` or row numbers, not ", show_value(sub), ".")
}

# na.action: NULL (the default) keeps every row -- a missing response, grouping factor, random-effects column,
# weight or treatment is an error, a missing covariate of a tree part is learned as missing; na.omit drops the
# rows with a missing value in any variable of the model (with a message saying how many); na.fail refuses any.
# na.exclude is refused: it would pad fitted() and residuals(), which this package does not.
apply_na_action <- function(na.action, data, formula, dispformula, covformula, treatment, weights, offset) {
  if (is.null(na.action)) return(data)
  name <- if (is.function(na.action)) {
    hit <- vapply(list(stats::na.omit, stats::na.fail, stats::na.exclude, stats::na.pass),
                  function(f) identical(f, na.action), logical(1))
    c("na.omit", "na.fail", "na.exclude", "na.pass")[hit][1L]
  } else if (is.character(na.action) && length(na.action) == 1L) na.action else NA_character_
  if (is.na(name) || !name %in% c("na.omit", "na.fail", "na.pass", "na.exclude")) {
    stop_arg("`na.action` must be NULL, na.omit, na.fail or na.pass, not ", show_value(na.action), ".")
  }
  if (name == "na.exclude") {
    stop_arg("na.action = na.exclude is not supported (gbmixed's fitted() and residuals() are not padded ",
             "with NA); use na.omit, which drops the rows and says how many.")
  }
  if (name == "na.pass") return(data)
  vars <- unique(c(all.vars(formula), all.vars(dispformula), all.vars(covformula),
                   if (is.character(treatment)) treatment, if (is.character(weights)) weights,
                   if (is.character(offset)) offset))
  vars <- intersect(vars, names(data))
  bad <- !stats::complete.cases(data[vars])
  if (!any(bad)) return(data)
  counts <- vapply(vars, function(v) sum(is.na(data[[v]])), numeric(1))
  counts <- counts[counts > 0]
  what <- paste0("`", names(counts), "` (", counts, ")", collapse = ", ")
  if (name == "na.fail") stop_arg("missing values (na.action = na.fail): ", what, ".")
  message("gbmixed: dropped ", sum(bad), " of ", nrow(data), " rows with missing values (na.action = na.omit): ",
          what, ".")
  data[!bad, , drop = FALSE]
}

# Parse the formulas and build the frame of all rows of `data` (clusters coded over all of them).
prepare_gbmixed <- function(formula, data, dispformula, covformula, treatment, weights, control, offset = NULL) {
  parsed <- parse_gbmixed_formula(formula, data,
                                  exclude = if (is.character(weights) && length(weights) == 1L) weights)
  disp_side <- parse_side_formula(dispformula, "dispformula", parsed$group)
  cov_side <- parse_side_formula(covformula, "covformula", parsed$group)
  frame <- build_training_frame(parsed, data, weights, na_ok = part_allows_na(control, "mean"),
                                learner = part_learner(control, "mean"))
  cl <- encode_clusters(frame$group, parsed$group)
  frame$cluster <- cl$codes
  frame$cluster_levels <- cl$levels
  frame$group <- NULL
  frame$disp <- build_disp_frame(disp_side, data, parsed$env, frame$nobs, part_allows_na(control, "disp"),
                                 part_learner(control, "disp"))
  frame$cov <- build_cov_frame(cov_side, data, parsed$env, frame$nobs, frame$cluster, frame$cluster_levels,
                               parsed$group, part_allows_na(control, "cov"), part_learner(control, "cov"))
  if (!is.null(treatment) && is.character(treatment) && length(treatment) == 1L && treatment %in% names(data)) {
    k <- sum(is.na(data[[treatment]]))
    if (k > 0) stop_arg("missing values (NA) in the treatment column `", treatment, "` (", k,
                        if (k == 1) " row" else " rows", "); every row needs its treatment 0 or 1.")
  }
  frame$treatment <- build_treatment(treatment, parsed, data, frame)
  if (!is.null(frame$treatment)) frame <- split_treatment(frame)
  frame$offset <- evaluate_offset(parsed, offset, data, frame$nobs, "data")
  frame$offset_arg <- if (is.character(offset) && length(offset) == 1L) offset else if (!is.null(offset)) "<vector>"
  if (!is.null(frame$offset)) frame$y <- frame$y - frame$offset   # the engine fits y - offset
  if (use_between(control)) frame <- add_between(frame)
  if (length(unique(frame$y)) == 1L) {
    warning("the response `", frame$response, "` is constant (", format(frame$y[1L]), "): there is no variance ",
            "to split between clusters and residuals, so both stay at their lower bounds.", call. = FALSE)
  }
  list(parsed = parsed, frame = frame, disp_side = disp_side, cov_side = cov_side)
}

# The offset of newdata's rows for a fit with one (0 otherwise): its offset() terms and its `offset` column; a
# vector given as `offset` has no values for new rows.
newdata_offset <- function(object, newdata, n, arg = "newdata") {
  if (is.null(object$offset)) return(0)
  if (identical(object$offset_arg, "<vector>")) {
    stop_arg("this fit's `offset` was given as a vector, which has no values for the rows of `", arg, "`; refit ",
             "with the offset as a column name or an offset() term in the formula.")
  }
  arg_col <- if (!is.null(object$offset_arg)) object$offset_arg
  evaluate_offset(list(offsets = object$offset_exprs, env = object$env), arg_col, newdata, n, arg)
}

# The offset of each row: the offset() terms of the formula plus the `offset` argument (a column name or a
# numeric vector), or NULL when there is none.
evaluate_offset <- function(parsed, offset, data, n, arg) {
  parts <- lapply(parsed$offsets, function(e) eval(e, data, parsed$env))
  if (!is.null(offset)) {
    parts <- c(parts, list(if (is.character(offset) && length(offset) == 1L) {
      if (!offset %in% names(data)) stop_arg("offset column `", offset, "` not found in `", arg, "`.")
      data[[offset]]
    } else offset))
  }
  if (!length(parts)) return(NULL)
  total <- numeric(n)
  for (p in parts) {
    if (!is.numeric(p) || length(p) != n) {
      stop_arg("an offset must be numeric with one value per row of `", arg, "` (", n, "), not ", show_value(p), ".")
    }
    k <- sum(!is.finite(p))
    if (k > 0) stop_arg("the offset has ", k, " missing or infinite values in `", arg, "`.")
    total <- total + p
  }
  total
}

# An argument given as a bare name: the name of a column of data if there is one (weights = wt), else its value in
# the caller's environment; a clear error when it is neither (R's own would be "object 'wt' not found").
column_or_value <- function(expr, data, env, arg) {
  if (is.name(expr) && is.data.frame(data) && as.character(expr) %in% names(data)) return(as.character(expr))
  tryCatch(eval(expr, env), error = function(e) {
    if (is.name(expr)) {
      stop_arg("`", arg, " = ", deparse1(expr), "`: `", deparse1(expr), "` is neither a column of `data` nor an ",
               "object; give the column name, e.g. ", arg, " = \"", deparse1(expr), "\".")
    }
    stop(e)
  })
}

# With a treatment the mean is f(x, T) = mu(x) + (T - c) tau(x): T leaves the mean's covariates and goes to the
# engine as a column of its own (frame$treat, 0/1).
split_treatment <- function(frame) {
  k <- frame$treatment$feature
  frame$treat <- as.double(frame$x[, k])
  frame$x <- frame$x[, -k, drop = FALSE]
  frame$nlevels <- frame$nlevels[-k]
  frame$features <- frame$features[-k]
  frame$treatment$feature <- NULL
  frame
}

# The between-cluster features (R/between.R) appended to the mean's covariates.
add_between <- function(frame) {
  bd <- between_design(frame$features, frame$x, frame$cluster, length(frame$cluster_levels))
  frame$x <- cbind(frame$x, unname(bd$x))
  frame$nlevels <- c(frame$nlevels, rep(0L, ncol(bd$x)))
  frame$features <- c(frame$features, between_features(bd$spec))
  frame$between_means <- unname(bd$means)
  frame
}

# learner_cate = NULL: smooth (component-wise P-splines) for a tree or spline mean, as measured best for
# treatment effects (bench/r/cate_sim.R), unless the covariates have missing values (then trees); linear for a
# linear mean (f is then the linear model with treatment interactions).
resolve_learner_cate <- function(control, frame) {
  if (!is.null(control$learner_cate)) return(control$learner_cate)
  if (control$learner == "linear") return("linear")
  k <- length(row_features(frame$features))
  if (k > 0L && anyNA(frame$x[, seq_len(k)])) "tree" else "spline"
}

# between = NULL: on for trees and splines, off for the linear learner (whose fit stays lmer's).
use_between <- function(control) {
  if (!is.null(control$between)) return(isTRUE(control$between))
  control$learner != "linear"
}

# Codes (0-based, of frame$cluster) of the clusters held out with `validation` = fraction, drawn from the fit's
# seed without touching the caller's random number stream.
holdout_clusters <- function(frame, fraction, seed, group) {
  m <- length(frame$cluster_levels)
  k <- round(fraction * m)
  if (k < 2L || m - k < 2L) {
    stop_arg("`validation` = ", fraction, " holds out ", k, " of the ", m, " clusters of `", group, "`; ",
             "the validation loss needs at least 2 held-out clusters and the fit at least 2 others. ",
             if (k < 2L) "Use a larger fraction, or pass `validation_data`." else "Use a smaller fraction.")
  }
  with_seed(seed, sort(sample.int(m, k)) - 1L)
}

# Evaluate expr with R's RNG seeded from `seed` (any whole number), restoring the caller's RNG state.
with_seed <- function(seed, expr) {
  genv <- globalenv()
  old <- if (exists(".Random.seed", genv, inherits = FALSE)) get(".Random.seed", genv) else NULL
  on.exit(if (is.null(old)) rm(".Random.seed", envir = genv) else assign(".Random.seed", old, envir = genv))
  set.seed(as.integer(as.double(seed) %% .Machine$integer.max))
  expr
}

# A user-given validation data frame -> a frame encoded like the training rows (factor levels, z columns); its
# clusters are coded 0..k-1 on their own, and count as new clusters for the validation loss.
build_validation_frame <- function(prep, vdata, weights, control) {
  check_is_data_frame(vdata, "validation_data")
  parsed <- prep$parsed
  frame <- prep$frame
  n <- nrow(vdata)
  if (n == 0L) stop_arg("`validation_data` has no rows.")
  if (!is.null(weights) && !(is.character(weights) && length(weights) == 1L)) {
    stop_arg("with `validation_data`, give `weights` as the name of a column (present in both data frames), ",
             "not a vector.")
  }
  check_columns_exist(vdata, c(all.vars(parsed$response), parsed$group, weights), "validation_data")
  proto <- list(features = frame$features, re_vars = parsed$re_vars, group = parsed$group, env = parsed$env,
                z_info = frame$z_info, z_names = frame$z_names, cluster_levels = frame$cluster_levels,
                between_means = frame$between_means, treatment = frame$treatment,
                disp = frame$disp, cov = frame$cov, control = control)
  y <- eval(parsed$response, vdata, parsed$env)
  check_response(y, frame$response, n)
  if (!is.null(frame$offset)) {
    y <- y - newdata_offset(list(offset_exprs = parsed$offsets, offset_arg = frame$offset_arg, env = parsed$env,
                                 offset = frame$offset), vdata, n, "validation_data")
  }
  group <- vdata[[parsed$group]]
  w <- if (is.null(weights)) rep(1, n) else vdata[[weights]]
  na_counts <- c(stats::setNames(sum(is.na(y)), frame$response), stats::setNames(sum(is.na(group)), parsed$group),
                 if (!is.null(weights)) stats::setNames(sum(is.na(w)), weights))
  check_no_na(na_counts[!duplicated(names(na_counts))], "validation_data")
  check_finite(y, frame$response, "the response")
  check_magnitude(y, frame$response, "the response")
  w <- check_weights(w, if (is.null(weights)) "weights" else weights)
  nd <- build_newdata_frame(proto, vdata, need_z = TRUE, need_cluster = FALSE, arg = "validation_data",
                            new_clusters = TRUE, need_treatment = TRUE)
  f <- factor(group)
  k <- nlevels(f)
  shared <- intersect(levels(f), frame$cluster_levels)
  if (length(shared)) {
    warning("`validation_data` has ", length(shared), " of its ", k, " clusters of `", parsed$group,
            "` also in `data` (",
            format_levels(shared, max = 3L), "); the validation loss treats every validation cluster as new ",
            "(b ~ N(0, G)), so it measures prediction for new clusters.", call. = FALSE)
  }
  codes <- as.integer(f) - 1L
  out <- list(y = as.double(y), x = nd$x, z = nd$z, weights = as.double(w), cluster = codes,
              cluster_levels = levels(f), nobs = n, treat = nd$treat)
  if (!is.null(frame$disp)) out$disp <- list(x = newdata_xdisp(proto, vdata, n, "validation_data"))
  if (!is.null(frame$cov)) {
    wrow <- newdata_wcov(proto, vdata, n, NULL, "validation_data")
    first <- match(seq_len(k) - 1L, codes)
    for (j in seq_len(ncol(wrow))) {
      check_constant_within(wrow[, j], frame$cov$labels[j], codes, first, levels(f), parsed$group)
    }
    out$cov <- list(w = wrow[first, , drop = FALSE])
  }
  out
}

# Fit the engine on the training frame, watching the validation frame (or NULL), and build the object.
fit_gbmixed_frames <- function(prep, train, valid, control, seed, call, warn_interrupt = TRUE) {
  parsed <- prep$parsed
  if (length(train$cluster_levels) < 2L) {
    stop_arg("the training rows have ", length(train$cluster_levels), " cluster of `", parsed$group,
             "`; a mixed model needs at least 2.")
  }
  if (control$learner == "linear" && !isTRUE(control$componentwise)) check_linear_design(train)
  if (!is.null(train$treat)) control$learner_cate <- resolve_learner_cate(control, train)
  check_heap(train)
  config <- make_config(control, seed, nclusters = length(train$cluster_levels))
  booster <- new_booster(train, parsed$diagonal, config)
  es <- !is.null(control$early_stopping_rounds)
  if (!is.null(valid)) {
    set_validation(booster, valid)
  } else if (es) {
    # early stopping on the honest folds: each cross-fit mean scored on the clusters it did not see
    jcall(booster, "V", "setValidationHonest")
    valid <- list(source = "honest folds", nobs = train$nobs, cluster_levels = train$cluster_levels)
  }
  run <- run_booster(booster, control)
  model <- jcall(booster, .java_class$model, if (es) "bestModel" else "model")
  known <- train
  if (!is.null(valid) && identical(valid$source, "held-out clusters")) {
    # clusters of `data` held out for early stopping stay clusters of the fit: BLUPs from the final model
    model <- add_clusters(model, valid)
    known$cluster_levels <- c(train$cluster_levels, valid$cluster_levels)
    if (!is.null(train$cov)) known$cov$w <- rbind(train$cov$w, valid$cov$w)
    if (!is.null(train$between_means)) known$between_means <- rbind(train$between_means, valid$between_means)
  }
  fit <- new_gbmixed(model, parsed, known, control, seed, call)
  fit$rounds_run <- jcall(model, "I", "roundsRun")
  fit$stopped_early <- jcall(booster, "Z", "stoppedEarly")
  fit$converged <- jcall(booster, "Z", "converged")
  if (!is.null(train$treat)) fit$cate_stop_round <- jcall(booster, "I", "cateStopRound")
  fit$interrupted <- run$interrupted
  if (!is.null(valid)) {
    vl <- jcall(model, "[D", "validLoss")
    check_engine_values(list("validation loss" = vl), lengths = fit$rounds_run + 1L)
    fit$valid_loss <- vl
    fit$best_round <- jcall(booster, "I", "bestRound")
    fit$validation <- list(source = valid$source, nobs = valid$nobs, nclusters = length(valid$cluster_levels),
                           clusters = if (identical(valid$source, "held-out clusters")) valid$cluster_levels)
  }
  fit$train_rows <- if (!is.null(train$rows)) train$rows
  if (isTRUE(run$interrupted) && warn_interrupt) {
    warning("interrupted after ", run$done, " of ", control$nrounds, " rounds: returning the model after ",
            fit$nrounds, " rounds (rerun to fit all rounds).", call. = FALSE)
  }
  fit
}

# The model with the clusters of frame `valid` added after its training clusters (Model.withClusters).
add_clusters <- function(model, valid) {
  n <- valid$nobs
  xdisp <- valid$disp$x %||% matrix(0, n, 0L)
  wcov <- if (is.null(valid$cov)) matrix(0, n, 0L) else valid$cov$w[valid$cluster + 1L, , drop = FALSE]
  jcall(model, .java_class$model, "withClusters", jarg_dbl(valid$x), jarg_int1(n), jarg_dbl(valid$y),
        jarg_dbl(valid$weights), jarg_int(valid$cluster), jarg_int1(length(valid$cluster_levels)), jarg_dbl(valid$z),
        jarg_dbl(xdisp), jarg_dbl(wcov), jarg_dbl(valid$treat %||% numeric(0)))
}

set_validation <- function(booster, valid) {
  n <- valid$nobs
  xdisp <- valid$disp$x %||% matrix(0, n, 0L)
  wcov <- valid$cov$w %||% matrix(0, length(valid$cluster_levels), 0L)
  jcall(booster, "V", "setValidation", jarg_dbl(valid$x), jarg_int1(n), jarg_dbl(valid$y), jarg_dbl(valid$weights),
        jarg_int(valid$cluster), jarg_int1(length(valid$cluster_levels)), jarg_dbl(valid$z), jarg_dbl(xdisp),
        jarg_dbl(wcov), jarg_dbl(valid$treat %||% numeric(0)))
  invisible(booster)
}

as_gbmixed_control <- function(control) {
  if (inherits(control, "gbmixed_control")) return(control)
  if (inherits(control, "merControl")) {
    stop_arg("`control` must be made by gbmixed_control(): the settings of lme4's lmerControl() (optimizer, ",
             "checks) do not apply to boosting. See ?gbmixed_control for the number of rounds, learning rates and ",
             "trees.")
  }
  if (is.list(control)) return(do.call(gbmixed_control, control))
  stop_arg("`control` must be made by gbmixed_control(), not ", show_value(control), ".")
}

honest_folds_of <- function(control) control$honest_folds %||% 0L

# Build the immutable Java Config.
make_config <- function(control, seed, nclusters) {
  b <- jnew(.java_class$builder)
  set <- function(b, method, value) jcall(b, .java_class$builder_sig, method, value)
  b <- set(b, "nrounds", jarg_int1(control$nrounds))
  b <- set(b, "learningRate", as.double(control$learning_rate))
  b <- set(b, "learner", control$learner)
  b <- set(b, "maxDepth", jarg_int1(control$max_depth))
  b <- set(b, "minLeaf", jarg_int1(control$min_leaf))
  b <- set(b, "maxBins", jarg_int1(control$max_bins))
  b <- set(b, "exactSplits", isTRUE(control$exact_splits))
  b <- set(b, "seed", jarg_long(seed))
  b <- set(b, "threads", jarg_int1(control$threads %||% 0L))
  b <- set(b, "honestFolds", jarg_int1(min(honest_folds_of(control), nclusters)))
  # NULL settings of the variance parts mean "as for the mean" (gbmixed_control()); resolved here, in R
  b <- set(b, "learningRateDisp", as.double(part_rate(control, "disp")))
  b <- set(b, "learningRateCov", as.double(part_rate(control, "cov")))
  b <- set(b, "learnerDisp", part_learner(control, "disp"))
  b <- set(b, "learnerCov", part_learner(control, "cov"))
  b <- set(b, "minLeafCov", jarg_int1(control$min_leaf_cov %||% control$min_leaf))
  b <- set(b, "componentwise", isTRUE(control$componentwise))
  b <- set(b, "splineDf", as.double(control$spline_df %||% 4))
  b <- set(b, "splineKnots", jarg_int1(control$spline_knots %||% 20L))
  b <- set(b, "earlyStoppingRounds", jarg_int1(control$early_stopping_rounds %||% 0L))
  b <- set(b, "earlyStoppingMetric", control$early_stopping_metric %||% "mse")
  b <- set(b, "subsample", as.double(control$subsample %||% 1))
  b <- set(b, "colsample", as.double(control$colsample %||% 1))
  b <- set(b, "newton", !isFALSE(control$newton))
  b <- set(b, "clusterSplits", isTRUE(control$cluster_splits))
  b <- set(b, "minLeafClusters", jarg_int1(control$min_leaf_clusters %||% 1L))
  b <- set(b, "learningRateCate", as.double(control$learning_rate_cate %||% control$learning_rate))
  b <- set(b, "maxDepthCate", jarg_int1(control$max_depth_cate %||% control$max_depth))
  b <- set(b, "learnerCate", control$learner_cate %||% control$learner)
  b <- set(b, "cateStoppingRounds", jarg_int1(control$cate_stopping_rounds %||% 50L))
  b <- set(b, "tol", as.double(control$tol %||% 1e-8))
  jcall(b, .java_class$config, "build")
}

new_booster <- function(frame, diagonal, config) {
  xdisp <- frame$disp$x %||% matrix(0, nrow(frame$x), 0L)
  wcov <- frame$cov$w %||% matrix(0, length(frame$cluster_levels), 0L)
  jcall(.java_class$gbmixed, .java_class$booster, "booster",
        jarg_dbl(frame$x), jarg_int1(nrow(frame$x)), jarg_int1(ncol(frame$x)), jarg_int(frame$nlevels),
        jarg_dbl(frame$y), jarg_dbl(frame$weights), jarg_int(frame$cluster),
        jarg_int1(length(frame$cluster_levels)),
        jarg_dbl(frame$z), jarg_int1(ncol(frame$z)), isTRUE(diagonal),
        jarg_dbl(xdisp), jarg_int1(ncol(xdisp)), jarg_int(frame$disp$nlevels %||% integer()),
        jarg_dbl(wcov), jarg_int1(ncol(wcov)), jarg_int(frame$cov$nlevels %||% integer()),
        jarg_dbl(frame$treat %||% numeric(0)), jarg_int1(length(row_features(frame$features))), config)
}

# Boosting rounds run in chunks, so that R can be interrupted (Ctrl-C) between them and show progress. A chunk
# is sized to take about `seconds` (between 1 and `max_chunk` rounds), judged from the previous chunk. The Java
# engine cannot be interrupted inside a chunk: Ctrl-C takes effect when the chunk ends (within about `seconds`),
# leaving the booster whole; the loop then stops and reports `interrupted`, and the caller keeps the model of the
# rounds done. The progress bar appears only once the fit is projected to take more than
# getOption("gbmixed.progress_after", 2) seconds. getOption("gbmixed.chunk_hook") (internal, for tests) is a
# function called with the rounds done after every chunk.
run_booster <- function(booster, control, max_chunk = 50L, seconds = 0.25) {
  total <- control$nrounds
  show_after <- getOption("gbmixed.progress_after", 2)
  hook <- getOption("gbmixed.chunk_hook")
  bar <- NULL
  on.exit(if (!is.null(bar)) close(bar), add = TRUE)
  t0 <- proc.time()[["elapsed"]]
  done <- 0L
  chunk <- 1L
  interrupted <- FALSE
  tryCatch({
    while (done < total && !jcall(booster, "Z", "finished")) {
      k <- min(chunk, total - done)
      started <- proc.time()[["elapsed"]]
      done <- jcall(booster, "I", "iterate", jarg_int1(k))
      now <- proc.time()[["elapsed"]]
      per_round <- max(now - started, 1e-3) / k
      chunk <- as.integer(max(1, min(max_chunk, floor(seconds / per_round))))
      if (isTRUE(control$progress) && is.null(bar) && done < total &&
          (now - t0) + (total - done) * per_round > show_after) {
        bar <- utils::txtProgressBar(min = 0, max = total, style = 3)
      }
      if (!is.null(bar)) utils::setTxtProgressBar(bar, done)
      if (isTRUE(control$verbose)) {
        loss <- jcall(jcall(booster, .java_class$model, "model"), "[D", "trainLoss")
        message(sprintf("round %5d  training loss %.6g", done, loss[length(loss)]))
      }
      if (is.function(hook)) hook(done)
    }
  }, interrupt = function(e) interrupted <<- TRUE)
  list(done = jcall(booster, "I", "roundsDone"), interrupted = interrupted)
}

# Warn when the data alone may not fit in the Java heap.
check_heap <- function(frame) {
  need <- 8 * 3 * (length(frame$x) + length(frame$z) + 4 * length(frame$y))
  max_mem <- tryCatch(java_max_memory(), error = function(e) NA_real_)
  if (!is.na(max_mem) && need > 0.5 * max_mem) {
    warning(sprintf(
      paste("the data need about %.0f MB of the Java heap, which has %.0f MB; if the fit runs out of memory,",
            "set options(java.parameters = \"-Xmx4g\") before loading gbmixed in a fresh R session",
            "(see gbmixed_sitrep())."),
      need / 2^20, max_mem / 2^20), call. = FALSE)
  }
  invisible(TRUE)
}

# ---- the fitted object ----

new_gbmixed <- function(model, parsed, frame, control, seed, call) {
  q <- ncol(frame$z)
  m <- length(frame$cluster_levels)
  z_names <- frame$z_names
  G <- matrix(jcall(model, "[D", "covariance"), q, q, dimnames = list(z_names, z_names))
  G_cluster <- array(jcall(model, "[D", "clusterCovariance"), c(q, q, m),
                     dimnames = list(z_names, z_names, frame$cluster_levels))
  fitted_disp <- jcall(model, "[D", "fittedDisp")
  b <- matrix(jcall(model, "[D", "ranef"), m, q, dimnames = list(frame$cluster_levels, z_names))
  P <- array(jcall(model, "[D", "ranefCov"), c(q, q, m), dimnames = list(z_names, z_names, frame$cluster_levels))
  fixed <- jcall(model, "[D", "fittedFixed")
  random <- jcall(model, "[D", "fittedRandom")
  imp <- jcall(model, "[D", "importance")
  names(imp) <- names(frame$features)
  imp_disp <- stats::setNames(jcall(model, "[D", "importanceDisp"), frame$disp$labels)
  imp_cov <- stats::setNames(jcall(model, "[D", "importanceCov"), frame$cov$labels)
  coef <- if (control$learner == "linear" && !isTRUE(control$componentwise)) {
    stats::setNames(jcall(model, "[D", "linearCoefficients"), linear_design_names(frame$features))
  } else {
    NULL
  }
  handle <- new.env(parent = emptyenv())
  handle$model <- model
  sigma2 <- jcall(model, "D", "sigma2")
  loglik <- jcall(model, "D", "logLik")
  loss <- jcall(model, "[D", "trainLoss")
  check_engine_values(list(
    "f(x) of the training rows" = fixed, "z'b of the training rows" = random,
    "R(x) of the training rows" = fitted_disp, "G" = G, "G(w) of the training clusters" = G_cluster,
    "residual variance" = sigma2, "random effects" = b, "posterior covariances of the random effects" = P,
    "log-likelihood" = loglik, "training loss" = loss
  ), lengths = c(frame$nobs, frame$nobs, frame$nobs, q * q, q * q * m, 1L, m * q, q * q * m, 1L, NA))

  structure(list(
    call = call,
    formula = parsed$formula,
    response = frame$response,
    features = frame$features,
    feature_vars = parsed$feature_vars,
    re_formula = parsed$re_formula,
    re_vars = parsed$re_vars,
    z_names = z_names,
    z_info = frame$z_info,
    group = parsed$group,
    diagonal = parsed$diagonal,
    cluster_levels = frame$cluster_levels,
    env = parsed$env,
    control = control,
    seed = seed,
    variant = jcall(model, "S", "variant"),
    disp = frame$disp,
    cov = frame$cov,
    treatment = frame$treatment,
    treat = frame$treat,
    between_means = frame$between_means,
    importance_cate = if (!is.null(frame$treat)) stats::setNames(jcall(model, "[D", "importanceCate"), names(frame$features)),
    nrounds = jcall(model, "I", "nrounds"),
    nobs = frame$nobs,
    y = frame$y + (frame$offset %||% 0),
    offset = frame$offset,
    offset_arg = frame$offset_arg,
    offset_exprs = parsed$offsets,
    weights = frame$weights,
    x = frame$x,
    nlevels = frame$nlevels,
    z = frame$z,
    cluster = frame$cluster,
    fitted_fixed = fixed + (frame$offset %||% 0),
    fitted_random = random,
    loss = loss,
    loglik = loglik,
    G = G,
    G_cluster = G_cluster,
    sigma2 = sigma2,
    fitted_disp = fitted_disp,
    ranef = b,
    ranef_cov = P,
    importance = imp,
    importance_disp = imp_disp,
    importance_cov = imp_cov,
    coefficients = coef,
    engine_version = engine_version(),
    model_bytes = jcall(model, "[B", "toBytes"),
    handle = handle
  ), class = "gbmixed")
}

# The engine clamps the variance functions and halves steps, so a NaN or infinite value should never come
# back; if one does, stop with a clear message rather than store or return it. `lengths` (NA: any) also
# guards against a facade that returns arrays of an unexpected size.
check_engine_values <- function(values, lengths = NULL) {
  for (k in seq_along(values)) {
    v <- values[[k]]
    if (!is.null(lengths) && !is.na(lengths[k]) && length(v) != lengths[k]) {
      stop("internal error: the engine returned ", length(v), " values for ", names(values)[k], ", expected ",
           lengths[k], ".", call. = FALSE)
    }
    bad <- sum(!is.finite(v))
    if (bad > 0L) {
      stop("the engine returned ", bad, " non-finite value", if (bad > 1L) "s", " (NaN or Inf) for ",
           names(values)[k], "; the fit is not usable. Try a smaller learning rate for the variance parts ",
           "(learning_rate_disp, learning_rate_cov) or larger min_leaf / min_leaf_cov, and please report ",
           "this as a bug.", call. = FALSE)
    }
  }
  invisible(TRUE)
}

# The Java model behind a fitted object, rebuilt from its bytes when the handle is missing -- e.g. after
# readRDS() in a new session, where the stored reference is a null pointer.
engine_model <- function(object) {
  require_engine()
  h <- object$handle
  if (!is.environment(h)) h <- new.env(parent = emptyenv())
  if (is.null(h$model) || !inherits(h$model, "jobjRef") || rJava::is.jnull(h$model)) {
    h$model <- jcall(.java_class$gbmixed, .java_class$model, "fromBytes", jarg_raw(object$model_bytes))
  }
  h$model
}
