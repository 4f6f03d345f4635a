#' Simulate responses from a gbmixed fit
#'
#' Draws new responses from the fitted model \eqn{y = \hat f(x) + z^\top b + \varepsilon}, as lme4's
#' `simulate()` does for `lmer` fits.
#'
#' With `re.form = NA` (the default, as in lme4) every cluster gets new random effects
#' \eqn{b \sim N(0, G(w))}{b ~ N(0, G(w))} (the constant \eqn{G}, or \eqn{G(w)} at the cluster's covariates
#' when it is boosted): draws from the model for new clusters with the same covariates. With `re.form = NULL`
#' the draws are conditional on the fitted clusters: \eqn{b_i \sim N(\hat b_i, P_i)}{b_i ~ N(bhat_i, P_i)},
#' the posterior of each cluster's effects (clusters not seen in training, with `allow.new.levels = TRUE`, get
#' \eqn{N(0, G(w))}). The residuals are \eqn{\varepsilon \sim N(0, R(x)/w)}{e ~ N(0, R(x)/w)}: the constant
#' \eqn{\sigma^2} or the boosted \eqn{R(x)}, divided by the precision weight of a training row (rows of
#' `newdata` have weight 1). Rows with the same level of the grouping factor share their cluster's draw of
#' \eqn{b}. The mean \eqn{\hat f} is held fixed: its estimation error is not simulated.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param nsim number of simulated responses per row.
#' @param seed `NULL`, or a whole number passed to [set.seed()] (the random number state is restored
#'   afterwards), as in [stats::simulate()].
#' @param newdata `NULL` (the training rows), or a data frame with the covariates, the random-effects columns,
#'   the grouping factor and, when boosted, the `dispformula` and `covformula` columns.
#' @param re.form `NA` (or `~0`): new random effects for every cluster; `NULL`: conditional on the fitted ones.
#' @param allow.new.levels with `re.form = NULL`, whether levels of the grouping factor not seen in training are
#'   allowed in `newdata` (they get new random effects).
#' @param ... not used.
#' @return A data frame with `nsim` columns `sim_1`, `sim_2`, ... and one row per row of the data, with
#'   attribute `"seed"` as [stats::simulate()] sets it.
#' @importFrom stats simulate
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' sims <- simulate(fit, nsim = 3, seed = 1)
#' head(sims)
#' # conditional on the fitted subjects, and for a new one
#' nd <- data.frame(Days = 0:2, Subject = c("308", "308", "new"))
#' simulate(fit, nsim = 2, seed = 1, newdata = nd, re.form = NULL, allow.new.levels = TRUE)
simulate.gbmixed <- function(object, nsim = 1, seed = NULL, newdata = NULL, re.form = NA,
                             allow.new.levels = FALSE, ...) {
  check_dots(...)
  check_whole(nsim, "nsim", min = 1)
  if (!is.null(seed)) check_whole(seed, "seed", min = -2^53, max = 2^53)
  check_flag(allow.new.levels, "allow.new.levels")
  keep_re <- re_form_columns(re.form, object)
  if (any(keep_re) && !all(keep_re)) {
    stop_arg("simulate() draws all random effects anew (re.form = NA) or conditions on all of them (re.form = ",
             "NULL); a partial `re.form` is not available.")
  }
  population <- !any(keep_re)
  parts <- simulation_parts(object, newdata, population, allow.new.levels)

  # random number state as stats:::simulate.lm handles it
  if (!exists(".Random.seed", envir = globalenv(), inherits = FALSE)) stats::runif(1)
  if (is.null(seed)) {
    rng_state <- get(".Random.seed", envir = globalenv())
  } else {
    old <- get(".Random.seed", envir = globalenv())
    on.exit(assign(".Random.seed", old, envir = globalenv()), add = TRUE)
    set.seed(as.integer(as.double(seed) %% .Machine$integer.max))
    rng_state <- structure(seed, kind = as.list(RNGkind()))
  }

  n <- length(parts$fixed)
  q <- ncol(parts$z)
  k <- dim(parts$cov)[3L]
  L <- chol_lower_array(parts$cov)
  out <- vector("list", nsim)
  for (s in seq_len(nsim)) {
    u <- matrix(stats::rnorm(k * q), k, q)
    b <- parts$mean                           # k x q
    for (a in seq_len(q)) for (c in seq_len(a)) b[, a] <- b[, a] + L[a, c, ] * u[, c]
    zb <- rowSums(parts$z * b[parts$cluster, , drop = FALSE])
    out[[s]] <- parts$fixed + zb + sqrt(parts$resid_var) * stats::rnorm(n)
  }
  names(out) <- paste0("sim_", seq_len(nsim))
  res <- as.data.frame(out, row.names = parts$row_names)
  attr(res, "seed") <- rng_state
  res
}

# The pieces of the simulation for the training rows or newdata: f(x) per row, z, the row's cluster (1..k),
# the mean (k x q) and covariance (q x q x k) of each cluster's random effects, and the residual variances.
simulation_parts <- function(object, newdata, population, allow.new.levels) {
  q <- length(object$z_names)
  if (is.null(newdata)) {
    m <- length(object$cluster_levels)
    cluster <- object$cluster + 1L
    return(list(
      fixed = object$fitted_fixed, z = object$z, cluster = cluster,
      mean = if (population) matrix(0, m, q) else object$ranef,
      cov = if (population) object$G_cluster else object$ranef_cov,
      resid_var = object$fitted_disp / object$weights,
      row_names = as.character(object$train_rows %||% seq_len(object$nobs))
    ))
  }
  check_is_data_frame(newdata, "newdata")
  n <- nrow(newdata)
  if (n == 0L) stop_arg("`newdata` has no rows.")
  if (!object$group %in% names(newdata)) {
    stop_arg("simulate() needs the grouping factor `", object$group, "` in `newdata`, to know which rows share ",
             "a cluster's random effects.")
  }
  nd <- build_newdata_frame(object, newdata, need_z = TRUE, need_cluster = FALSE, need_treatment = TRUE)
  g <- newdata[[object$group]]
  if (anyNA(g)) check_no_na(stats::setNames(sum(is.na(g)), object$group), "newdata")
  codes <- map_clusters(g, object$cluster_levels, object$group, allow.new.levels || population)
  f <- factor(as.character(g))
  cluster <- as.integer(f)
  k <- nlevels(f)
  first <- match(seq_len(k), cluster)
  known <- codes[first]                        # training code of each simulated cluster, -1 if new
  fixed <- engine_predict(object, nd$x, rep(-1L, n), matrix(0, n, q), treat = nd$treat)$fixed +
    newdata_offset(object, newdata, n)
  # G(w) of each simulated cluster, from its first row (rows of known clusters may omit the w columns)
  G <- if (is.null(object$cov)) {
    array(object$G, c(q, q, k))
  } else {
    wcov <- newdata_wcov(object, newdata[first, , drop = FALSE], k, known)
    tri_to_array(engine_predict_cov(object, wcov), object$z_names)
  }
  mean <- matrix(0, k, q)
  cov <- G
  if (!population) {
    old <- known >= 0L
    mean[old, ] <- object$ranef[known[old] + 1L, , drop = FALSE]
    cov[, , old] <- object$ranef_cov[, , known[old] + 1L]
  }
  list(fixed = fixed, z = nd$z, cluster = cluster, mean = mean, cov = cov,
       resid_var = predict_disp(object, newdata, n), row_names = row.names(newdata))
}

# Lower Cholesky factors of a q x q x k array of covariance matrices, vectorised over k (q is small). A
# non-positive pivot (a numerically singular matrix) gives a zero column.
chol_lower_array <- function(S) {
  q <- dim(S)[1L]
  k <- dim(S)[3L]
  L <- array(0, c(q, q, k))
  for (j in seq_len(q)) {
    d <- S[j, j, ]
    for (c in seq_len(j - 1L)) d <- d - L[j, c, ]^2
    d <- sqrt(pmax(d, 0))
    L[j, j, ] <- d
    if (j < q) for (i in (j + 1L):q) {
      v <- S[i, j, ]
      for (c in seq_len(j - 1L)) v <- v - L[i, c, ] * L[j, c, ]
      L[i, j, ] <- ifelse(d > 0, v / d, 0)
    }
  }
  L
}
