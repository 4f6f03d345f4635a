#' Control settings for gbmixed
#'
#' Builds the list of tuning settings used by [gbmixed()]. Every argument is checked here, so a bad value
#' fails at once with a message naming it.
#'
#' @param nrounds number of boosting rounds, a whole number >= 0 (0: no boosting, the mixed model with a constant
#'   mean, as [cv_gbmixed()] may advise when boosting does not help).
#' @param learning_rate shrinkage of each base learner of the mean, in (0, 1].
#' @param learner base learner of the mean: `"tree"` (regression trees), `"linear"` (a linear model in
#'   the covariates, with factors expanded to treatment contrasts; with `learning_rate = 1` and enough
#'   rounds the fit converges to the maximum likelihood linear mixed model) or `"spline"` (component-wise
#'   P-splines, as mboost's `bbs`: each round fits a penalised cubic spline of every numeric covariate, a
#'   ridge-penalised effect of every factor, and keeps the best one, so the fit is additive: one smooth
#'   function per covariate, see `partial_dependence()`). A list such as
#'   `list(mean = "tree", disp = "spline", cov = "spline")` sets the learner of each part at once.
#' @param max_depth maximum depth of each tree, a whole number in 1..30.
#' @param min_leaf minimum number of rows in a tree leaf, a whole number >= 1.
#' @param max_bins maximum number of histogram bins per numeric covariate, a whole number in 2..65535.
#' @param learning_rate_disp,learning_rate_cov shrinkage for the residual-variance and random-effects
#'   covariance learners. `NULL` (the default): `0.4 * learning_rate` and `0.2 * learning_rate` (0.02 and 0.01
#'   with the default `learning_rate`). Used by the RBoost, GBoost and GRBoost variants (see `dispformula` and
#'   `covformula` in [gbmixed()]). Rates below the mean's keep the variance functions from chasing the mean
#'   while it is still changing: with the mean's rate for all parts, 90% prediction intervals covered 0.85-0.87
#'   on the package's simulation (`bench/r/cate_sim.R`), with these defaults 0.89-0.90.
#' @param learner_disp,learner_cov base learner of the residual log-variance \eqn{\log R(x)} and of the
#'   log-Cholesky entries of \eqn{G(w)}: `"tree"`, `"linear"` or `"spline"` (`NULL`: same as `learner`).
#' @param spline_df,spline_knots degrees of freedom of each P-spline (and of each factor's ridge) base learner,
#'   a number >= 1 (the smoothing parameter is set so that the smoother has these df; a P-spline of a numeric
#'   covariate has at least 2, as its penalty leaves a straight line free, so values below 2 give 2 with a
#'   warning), and the number of interior knots of each cubic B-spline basis.
#' @param componentwise with `learner = "linear"`: fit one covariate at a time (component-wise linear boosting,
#'   as mboost's `bols`) instead of all covariates at once.
#' @param min_leaf_cov minimum number of clusters in a leaf of a tree of \eqn{G(w)} (which learns from one
#'   row per cluster), a whole number >= 1; `NULL`: same as `min_leaf`.
#' @param early_stopping_rounds `NULL` (no early stopping) or a whole number >= 1: stop when the
#'   validation loss has not improved for this many rounds, and keep the model of the best round. The loss is
#'   that of held-out clusters: with `validation > 0` or `validation_data` in [gbmixed()] (or the folds of
#'   [cv_gbmixed()]) those; otherwise the honest folds' (see `honest_folds`): each of the cross-fit means is
#'   scored on the clusters it did not see, so early stopping needs no data held out and every cluster stays
#'   in the fit.
#' @param early_stopping_metric the validation loss: `"mse"` (the default), the squared error of the
#'   population-level predictions \eqn{\hat f(x)} of the held-out rows (as RMSE judges predictions for new
#'   clusters); `"nll"`, the joint marginal negative log-likelihood of the held-out clusters (which weighs the
#'   fit within clusters, and stops earlier); `"rowwise"`, each held-out row's negative log density under its
#'   marginal normal \eqn{N(\hat f(x), z^\top G(w) z + R(x))}. Measured on `survival::pbcseq` and
#'   `AER::PSID7682` (held-out patients / individuals), `"mse"` on the honest folds chose 283 and 408 rounds and
#'   predicted new clusters with RMSE 0.863 and 0.305, `"nll"` on a fifth of the clusters held out 188 and 256
#'   rounds, 0.893 and 0.311.
#' @param validation fraction of clusters held out from the fit to monitor their marginal negative
#'   log-likelihood, in \[0, 1) (`0`: none). The held-out clusters are drawn from the fit's `seed`, so a fit
#'   is reproducible; at least 2 clusters must be held out and 2 kept.
#' @param subsample,colsample fraction of clusters (all rows of a sampled cluster) and of covariates sampled
#'   for each base learner of the mean, in (0, 1].
#' @param seed `NULL` (draw a seed from R's random number generator, so [set.seed()] reproduces a fit) or
#'   a whole number.
#' @param threads `NULL` (use all cores) or the number of threads, a whole number >= 1. The engine splits its
#'   work so that the result does not depend on the number of threads: a fit is identical for any `threads`.
#' @param verbose `TRUE` to report the training loss as the fit progresses.
#' @param progress `TRUE` to show a progress bar for fits projected to take more than about 2 seconds.
#' @param honest_folds number of folds of clusters for cross-fitted ("honest") residuals in the variance
#'   parts, or `0` for none. The residual variance and \eqn{G} are then estimated from residuals of auxiliary
#'   means that did not see the cluster, so that an overfitting mean does not shrink them and prediction
#'   intervals keep their level (costs `honest_folds` extra mean fits per round). The auxiliary means are kept
#'   with the fit: as a delete-a-group jackknife they give the sampling variance of \eqn{\hat f} and of the
#'   treatment effect (confidence intervals, [cate()] intervals; prediction intervals include it), they score
#'   the treatment part's own stopping and, without held-out data, early stopping. `NULL` (the default): 3 for
#'   `learner = "tree"` or `"spline"` (90% CATE intervals covered 0.90 with 3 folds, 0.82 with 5 or 10, whose
#'   narrower intervals miss the smoother's bias), 0 for `learner = "linear"` (whose fit is then exactly the
#'   maximum likelihood one). Capped at the number of clusters.
#' @param newton `TRUE` (the default) for Newton steps of the mean: each tree (spline, linear fit) is grown on the
#'   conditional residuals, but its values are set by the marginal likelihood, \eqn{c = (A^\top V^{-1} A)^{-1}
#'   A^\top V^{-1} r} for its leaves (basis) \eqn{A}, computed cluster by cluster without forming \eqn{V}
#'   (as GPBoost's `leaves_newton_update`); the mean's intercept and the average treatment effect take a full
#'   Newton step every round. An effect the random effects could absorb (a covariate constant within
#'   clusters, the treatment under a random treatment slope) then gets its full value at once, as a fixed
#'   effect does in `lmer`. `FALSE`: plain gradient steps (leaf means of the conditional residuals). With the
#'   linear learner either converges to `lmer`'s fit; Newton steps in fewer rounds.
#' @param between `TRUE` to add between-cluster features to the mean: the cluster means of its numeric
#'   covariates that vary within clusters, `"x (cluster mean)"`, and the clusters' shares of each factor level
#'   but the first, `"f = b (cluster share)"`. The trees can then learn a covariate's within- and
#'   between-cluster associations apart (the Mundlak device): with random effects the mean otherwise learns
#'   mostly the within-cluster one, while a new cluster is predicted from the between-cluster one. Rows of a
#'   cluster seen in training get its training means; the rows of a new cluster in `newdata` the means over its
#'   rows there (without the grouping factor, each row is a cluster of its own). They appear in [importance()]
#'   and [partial_dependence()] under those names. `NULL` (the default): `TRUE` for trees and splines,
#'   `FALSE` for `learner = "linear"` (so that it stays `lmer`'s model). Measured on held-out patients of
#'   `survival::pbcseq`: RMSE 0.862 with, 0.981 without them and Newton steps.
#' @param cluster_splits `TRUE` to score tree splits on covariates constant within clusters by their exact
#'   marginal-likelihood gain (with Newton steps). Such splits then come early; on the package's real data sets
#'   the fits converged faster but then overfitted the between-cluster noise, so the default is `FALSE`.
#' @param min_leaf_clusters with `cluster_splits = TRUE`: the fewest clusters on each side of such a split.
#' @param learner_cate,learning_rate_cate,max_depth_cate the learner, learning rate and tree depth of the
#'   treatment-effect part \eqn{\tau(x)} (with `treatment` in [gbmixed()]). `NULL`: for `learner_cate`,
#'   `"spline"` (smooth additive effects of the covariates, which measured 2-3 times lower CATE MSE than trees,
#'   `bench/r/cate_sim.R`) unless the covariates have missing values (then `"tree"`), `"linear"` for a linear
#'   mean; otherwise as for the mean.
#' @param cate_stopping_rounds with honest folds: the treatment part stops learning its shape (its level keeps
#'   its Newton steps) once the out-of-fold likelihood of its steps, scored by the cross-fit means on the
#'   clusters they did not see, has not improved for this many rounds; `0`: never. This keeps \eqn{\hat\tau}
#'   from overfitting when the mean needs many rounds (CATE MSE 0.008 at 150 rounds, 0.012 at 1200).
#' @param tol convergence tolerance, a number in \[0, 1): boosting stops (converged) after a round that moves no
#'   fitted mean by more than `tol` times the standard deviation of the response and no log residual variance
#'   or log-Cholesky entry of \eqn{G} by more than `tol`, as an optimiser stops at its fixed point. The linear
#'   learner with `learning_rate = 1` converges within a few rounds (to lmer's estimates); tree rounds move the
#'   mean by far more and run to `nrounds`. `0`: never stop on convergence.
#' @param exact_splits `TRUE` to search every distinct value of a numeric covariate for tree splits instead of
#'   histogram bins (slower; mainly for testing).
#'
#' @return A list of class `"gbmixed_control"`.
#' @seealso [gbmixed()]
#' @export
#' @examples
#' gbmixed_control(nrounds = 200, learning_rate = 0.1, max_depth = 3)
#' gbmixed_control(learner = "linear", learning_rate = 1)
#' # hold out a fifth of the clusters and stop after 20 rounds without improvement
#' gbmixed_control(nrounds = 2000, validation = 0.2, early_stopping_rounds = 20)
#' # slower variance parts, as recommended for the RBoost, GBoost and GRBoost variants
#' gbmixed_control(nrounds = 300, learning_rate = 0.05, learning_rate_disp = 0.02,
#'                 learning_rate_cov = 0.01, max_depth = 3, min_leaf_cov = 40)
gbmixed_control <- function(nrounds = 500, learning_rate = 0.05,
                            learner = c("tree", "linear", "spline"),
                            max_depth = 4, min_leaf = 20, max_bins = 256,
                            learning_rate_disp = NULL, learning_rate_cov = NULL,
                            early_stopping_rounds = NULL, validation = 0,
                            subsample = 1, colsample = 1,
                            seed = NULL,
                            threads = NULL,
                            verbose = FALSE, progress = interactive(),
                            honest_folds = NULL, exact_splits = FALSE,
                            learner_disp = NULL, learner_cov = NULL, min_leaf_cov = NULL,
                            spline_df = 4, spline_knots = 20, componentwise = FALSE,
                            newton = TRUE, between = NULL, cluster_splits = FALSE, min_leaf_clusters = 1,
                            learner_cate = NULL, learning_rate_cate = NULL, max_depth_cate = NULL,
                            cate_stopping_rounds = 50, early_stopping_metric = c("mse", "nll", "rowwise"),
                            tol = 1e-8) {
  if (is.list(learner)) {
    parts <- learner_list(learner, learner_disp, learner_cov)
    learner <- parts$mean
    learner_disp <- parts$disp
    learner_cov <- parts$cov
  }
  learner <- check_learner(learner)
  if (!is.null(learner_disp)) learner_disp <- check_part_learner(learner_disp, "learner_disp")
  if (!is.null(learner_cov)) learner_cov <- check_part_learner(learner_cov, "learner_cov")
  check_number(spline_df, "spline_df", lower = 1, upper = 1000)
  if (spline_df < 2)
    warning(sprintf(paste0("spline_df = %g is below 2: a P-spline of a numeric covariate leaves a straight line ",
                           "unpenalised, so it keeps 2 df; only a factor's ridge gets %g"), spline_df, spline_df),
            call. = FALSE)
  check_whole(spline_knots, "spline_knots", min = 1, max = 1000)
  check_flag(componentwise, "componentwise")
  check_flag(newton, "newton")
  if (!is.null(between)) check_flag(between, "between")
  if (!is.null(learner_cate)) learner_cate <- check_part_learner(learner_cate, "learner_cate")
  if (!is.null(learning_rate_cate)) check_fraction(learning_rate_cate, "learning_rate_cate")
  if (!is.null(max_depth_cate)) check_whole(max_depth_cate, "max_depth_cate", min = 1, max = 30)
  check_whole(cate_stopping_rounds, "cate_stopping_rounds", min = 0)
  early_stopping_metric <- match_choice(early_stopping_metric, c("mse", "nll", "rowwise"), "early_stopping_metric")
  check_flag(cluster_splits, "cluster_splits")
  check_whole(min_leaf_clusters, "min_leaf_clusters", min = 1)
  if (!is.null(min_leaf_cov)) check_whole(min_leaf_cov, "min_leaf_cov", min = 1)
  check_whole(nrounds, "nrounds", min = 0)
  check_number(tol, "tol", lower = 0, upper = 1, upper_open = TRUE)
  check_fraction(learning_rate, "learning_rate")
  check_whole(max_depth, "max_depth", min = 1, max = 30)
  check_whole(min_leaf, "min_leaf", min = 1)
  check_whole(max_bins, "max_bins", min = 2, max = 65535)
  if (!is.null(learning_rate_disp)) check_fraction(learning_rate_disp, "learning_rate_disp")
  if (!is.null(learning_rate_cov)) check_fraction(learning_rate_cov, "learning_rate_cov")
  if (!is.null(early_stopping_rounds)) check_whole(early_stopping_rounds, "early_stopping_rounds", min = 1)
  check_number(validation, "validation", lower = 0, upper = 1, upper_open = TRUE)
  check_fraction(subsample, "subsample")
  check_fraction(colsample, "colsample")
  if (!is.null(seed)) check_whole(seed, "seed", min = -2^53, max = 2^53)
  if (!is.null(threads)) check_whole(threads, "threads", min = 1)
  check_flag(verbose, "verbose")
  check_flag(progress, "progress")
  check_flag(exact_splits, "exact_splits")
  if (!is.null(honest_folds)) {
    check_whole(honest_folds, "honest_folds", min = 0)
    if (honest_folds == 1) stop_arg("`honest_folds` must be 0 (off) or at least 2, not 1.")
  }
  if (is.null(honest_folds)) honest_folds <- if (learner == "linear") 0L else 3L

  structure(
    list(
      nrounds = as.integer(nrounds), learning_rate = as.double(learning_rate), learner = learner,
      max_depth = as.integer(max_depth), min_leaf = as.integer(min_leaf), max_bins = as.integer(max_bins),
      learning_rate_disp = learning_rate_disp, learning_rate_cov = learning_rate_cov,
      early_stopping_rounds = if (is.null(early_stopping_rounds)) NULL else as.integer(early_stopping_rounds),
      validation = as.double(validation),
      subsample = as.double(subsample), colsample = as.double(colsample),
      seed = if (is.null(seed)) NULL else as.double(seed),
      threads = if (is.null(threads)) NULL else as.integer(threads),
      verbose = verbose, progress = progress, honest_folds = as.integer(honest_folds),
      exact_splits = exact_splits,
      learner_disp = learner_disp, learner_cov = learner_cov,
      spline_df = as.double(spline_df), spline_knots = as.integer(spline_knots), componentwise = componentwise,
      newton = newton, between = between, cluster_splits = cluster_splits,
      min_leaf_clusters = as.integer(min_leaf_clusters),
      learner_cate = learner_cate, learning_rate_cate = learning_rate_cate,
      max_depth_cate = if (is.null(max_depth_cate)) NULL else as.integer(max_depth_cate),
      cate_stopping_rounds = as.integer(cate_stopping_rounds), early_stopping_metric = early_stopping_metric,
      min_leaf_cov = if (is.null(min_leaf_cov)) NULL else as.integer(min_leaf_cov),
      tol = as.double(tol)
    ),
    class = "gbmixed_control"
  )
}

#' @export
print.gbmixed_control <- function(x, ...) {
  check_dots(...)
  cat("gbmixed control settings\n")
  show <- vapply(unclass(x), function(v) if (is.null(v)) "NULL" else format(v), character(1))
  print(noquote(show), ...)
  invisible(x)
}

# The learner of a model part ("mean", "disp" or "cov"); NULL settings of the variance parts mean "as the mean".
part_learner <- function(control, part = c("mean", "disp", "cov")) {
  part <- match.arg(part)
  switch(part,
    mean = control$learner,
    disp = control$learner_disp %||% control$learner,
    cov = control$learner_cov %||% control$learner
  )
}

# The learning rate of a variance part: NULL settings mean 0.4 (R(x)) and 0.2 (G(w)) times the mean's rate, the
# ratios that gave calibrated intervals (bench/r/cate_sim.R, vignette("heteroscedastic")).
part_rate <- function(control, part = c("disp", "cov")) {
  part <- match.arg(part)
  if (part == "disp") control$learning_rate_disp %||% (0.4 * control$learning_rate)
  else control$learning_rate_cov %||% (0.2 * control$learning_rate)
}

# Missing covariate values are allowed in a part whose learner is "tree" (the engine learns a default side per
# split); the linear and spline learners need complete covariates.
part_allows_na <- function(control, part) identical(part_learner(control, part), "tree")

# ---- checks, one small function each; messages name the argument and the offending value ----

stop_arg <- function(...) stop(..., call. = FALSE)

show_value <- function(x) {
  if (is.null(x)) return("NULL")
  if (length(x) != 1L) return(paste0("a ", class(x)[1L], " of length ", length(x)))
  if (is.character(x)) return(paste0("\"", x, "\""))
  format(x)
}

check_learner <- function(learner) {
  choices <- c("tree", "linear", "spline")
  if (identical(learner, choices)) return("tree")
  if (!is.character(learner) || length(learner) != 1L || is.na(learner) || !learner %in% choices) {
    stop_arg("`learner` must be one of \"tree\", \"linear\" or \"spline\", not ", show_value(learner), ".")
  }
  learner
}

check_part_learner <- function(learner, name) {
  choices <- c("tree", "linear", "spline")
  if (!is.character(learner) || length(learner) != 1L || is.na(learner) || !learner %in% choices) {
    stop_arg("`", name, "` must be NULL, \"tree\", \"linear\" or \"spline\", not ", show_value(learner), ".")
  }
  learner
}

# learner = list(mean = , disp = , cov = ): one learner per model part.
learner_list <- function(learner, learner_disp, learner_cov) {
  nm <- names(learner)
  if (is.null(nm) || any(!nzchar(nm)) || any(!nm %in% c("mean", "disp", "cov")) || anyDuplicated(nm)) {
    stop_arg("a `learner` list must be named by model part: list(mean = , disp = , cov = ), not names ",
             paste0("\"", nm, "\"", collapse = ", "), ".")
  }
  if (!is.null(learner$disp) && !is.null(learner_disp)) stop_arg("give the disp learner once: in `learner` or in `learner_disp`.")
  if (!is.null(learner$cov) && !is.null(learner_cov)) stop_arg("give the cov learner once: in `learner` or in `learner_cov`.")
  list(mean = learner$mean %||% "tree", disp = learner$disp %||% learner_disp, cov = learner$cov %||% learner_cov)
}

# One of `choices` (the first when the default vector is passed), or an error naming them.
match_choice <- function(x, choices, name) {
  if (identical(x, choices)) return(choices[1L])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !x %in% choices) {
    stop_arg("`", name, "` must be one of ", paste0("\"", choices, "\"", collapse = ", "), ", not ", show_value(x), ".")
  }
  x
}

check_whole <- function(x, name, min = -Inf, max = .Machine$integer.max) {
  ok <- is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x) && x == round(x) && x >= min && x <= max
  if (!ok) {
    range <- if (is.finite(max) && max < .Machine$integer.max) paste0(" between ", min, " and ", max)
             else paste0(" >= ", min)
    stop_arg("`", name, "` must be a single whole number", range, ", not ", show_value(x), ".")
  }
  invisible(x)
}

check_number <- function(x, name, lower, upper, lower_open = FALSE, upper_open = FALSE) {
  ok <- is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x) &&
    (if (lower_open) x > lower else x >= lower) && (if (upper_open) x < upper else x <= upper)
  if (!ok) {
    stop_arg("`", name, "` must be a single number in ", if (lower_open) "(" else "[", lower, ", ", upper,
             if (upper_open) ")" else "]", ", not ", show_value(x), ".")
  }
  invisible(x)
}

check_fraction <- function(x, name) check_number(x, name, lower = 0, upper = 1, lower_open = TRUE)

check_flag <- function(x, name) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    stop_arg("`", name, "` must be TRUE or FALSE, not ", show_value(x), ".")
  }
  invisible(x)
}
