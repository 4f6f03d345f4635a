#' Fit a gradient boosted mixed model
#'
#' Fits \deqn{y_{ij} = f(x_{ij}) + z_{ij}^\top b_i + \varepsilon_{ij}, \quad b_i \sim N_q(0, G),
#' \quad \varepsilon_{ij} \sim N(0, \sigma^2 / w_{ij})}{y_ij = f(x_ij) + z_ij' b_i + e_ij,
#' b_i ~ N_q(0, G), e_ij ~ N(0, sigma^2 / w_ij)}
#' where the mean \eqn{f} is an additive ensemble of base learners (regression trees, or a linear
#' learner) boosted on the marginal Gaussian log-likelihood, and the random-effects covariance \eqn{G} and
#' residual variance \eqn{\sigma^2} are updated along with it. With `learner = "linear"` and enough rounds
#' the fit converges to the maximum likelihood (not REML) linear mixed model that [lme4::lmer()] fits with
#' `REML = FALSE`.
#'
#' The fixed part of `formula` lists the covariates of \eqn{f}: they are features of a nonparametric mean,
#' not linear terms, so interactions are not written (trees find them). `y ~ . + (1 | id)` uses every column
#' except the response and the grouping factor. The random-effects term gives the design \eqn{z} and the
#' grouping factor: `(1 | id)` random intercept, `(1 + t | id)` correlated intercept and slope (full
#' \eqn{G}), `(1 + t || id)` uncorrelated effects (diagonal \eqn{G}), `(0 + t | id)` slope only. Exactly one
#' random-effects term with one grouping factor is supported.
#'
#' Missing values are an error (rows are never dropped silently). Character covariates are treated as
#' factors; factors are handled natively by the tree learner and expanded to treatment contrasts by the
#' linear learner.
#'
#' The engine runs in Java. Its heap is fixed when the Java virtual machine starts: for large data call
#' `options(java.parameters = "-Xmx4g")` before gbmixed (or any other package using rJava) is loaded.
#'
#' @param formula a two-sided formula with one random-effects term, e.g. `y ~ x1 + x2 + (1 + t | id)`.
#' @param data a data frame containing the variables of `formula`.
#' @param dispformula covariates of the residual log-variance; only `~ 1` (constant residual variance) is
#'   available in this version.
#' @param covformula cluster-level covariates of \eqn{G}; only `~ 1` (constant \eqn{G}) is available in this
#'   version.
#' @param treatment name of a 0/1 treatment column for conditional average treatment effects; not yet
#'   available (must be `NULL`).
#' @param weights `NULL`, the name of a column of `data`, or a numeric vector of positive precision weights
#'   (the residual variance of row \eqn{j} is \eqn{\sigma^2 / w_j}, as in [lme4::lmer()]).
#' @param control settings made by [gbmixed_control()].
#'
#' @return An object of class `"gbmixed"`, with methods [print()][print.gbmixed],
#'   [summary()][summary.gbmixed], [predict()][predict.gbmixed], [ranef()][ranef.gbmixed],
#'   [VarCorr()][VarCorr.gbmixed], [fixef()][fixef.gbmixed], [sigma()][sigma.gbmixed], `fitted()`,
#'   `residuals()`, `logLik()` and `nobs()`. The fitted engine model is stored as raw bytes, so the object
#'   survives [saveRDS()] and [readRDS()] in a new R session.
#' @references Prevett, Hui, Tho, Welsh and Westveld (2025). Gradient Boosted Mixed Models: Flexible Joint
#'   Estimation of Mean and Variance Components for Clustered Data. arXiv:2511.00217.
#' @seealso [gbmixed_control()], [predict.gbmixed()]
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 100, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' fit
#' head(predict(fit))
gbmixed <- function(formula, data, dispformula = ~1, covformula = ~1, treatment = NULL, weights = NULL,
                    control = gbmixed_control()) {
  call <- match.call()
  require_engine()
  check_variant_args(dispformula, covformula, treatment)
  control <- as_gbmixed_control(control)

  parsed <- parse_gbmixed_formula(formula, data,
                                  exclude = if (is.character(weights) && length(weights) == 1L) weights)
  frame <- build_training_frame(parsed, data, weights)
  if (control$learner == "linear") check_linear_design(frame)
  check_heap(frame)

  seed <- control$seed %||% sample.int(.Machine$integer.max, 1L)
  config <- make_config(control, seed, nclusters = length(frame$cluster_levels))
  booster <- new_booster(frame, parsed$diagonal, config)
  run_booster(booster, control)
  model <- jcall(booster, .java_class$model, "model")
  new_gbmixed(model, parsed, frame, control, seed, call)
}

# Arguments of the variants not yet implemented by the engine.
check_variant_args <- function(dispformula, covformula, treatment) {
  if (!is_constant_formula(dispformula)) {
    stop_arg("`dispformula` other than ~ 1 (the RBoost variant, covariate-dependent residual variance) ",
             "is not yet available.")
  }
  if (!is_constant_formula(covformula)) {
    stop_arg("`covformula` other than ~ 1 (the GBoost variant, covariate-dependent G) is not yet available.")
  }
  if (!is.null(treatment)) {
    stop_arg("`treatment` (treatment effects) is not yet available; leave it NULL.")
  }
  invisible(TRUE)
}

as_gbmixed_control <- function(control) {
  if (inherits(control, "gbmixed_control")) return(control)
  if (is.list(control)) return(do.call(gbmixed_control, control))
  stop_arg("`control` must be made by gbmixed_control(), not ", show_value(control), ".")
}

# Build the immutable Java Config. Settings the Base engine does not have yet are rejected when they are
# not at their defaults, rather than silently ignored.
make_config <- function(control, seed, nclusters) {
  unsupported <- c(
    if (control$validation > 0) "validation",
    if (!is.null(control$early_stopping_rounds)) "early_stopping_rounds",
    if (control$subsample < 1) "subsample",
    if (control$colsample < 1) "colsample"
  )
  if (length(unsupported)) {
    stop_arg("not yet supported by the engine: ", paste0("`", unsupported, "`", collapse = ", "),
             " (leave ", if (length(unsupported) == 1L) "it" else "them", " at the default).")
  }
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
  b <- set(b, "honestFolds", jarg_int1(min(control$honest_folds %||% 0L, nclusters)))
  jcall(b, .java_class$config, "build")
}

new_booster <- function(frame, diagonal, config) {
  jcall(.java_class$gbmixed, .java_class$booster, "booster",
        jarg_dbl(frame$x), jarg_int1(nrow(frame$x)), jarg_int1(ncol(frame$x)), jarg_int(frame$nlevels),
        jarg_dbl(frame$y), jarg_dbl(frame$weights), jarg_int(frame$cluster),
        jarg_int1(length(frame$cluster_levels)),
        jarg_dbl(frame$z), jarg_int1(ncol(frame$z)), isTRUE(diagonal), config)
}

# Boosting rounds run in chunks, so R can be interrupted (Ctrl-C) between them and show progress. A chunk
# is sized to take about `seconds` (between 1 and `max_chunk` rounds), judged from the previous chunk.
run_booster <- function(booster, control, max_chunk = 50L, seconds = 0.25) {
  total <- control$nrounds
  bar <- if (isTRUE(control$progress)) utils::txtProgressBar(min = 0, max = total, style = 3) else NULL
  if (!is.null(bar)) on.exit(close(bar), add = TRUE)
  done <- 0L
  chunk <- 1L
  while (done < total && !jcall(booster, "Z", "finished")) {
    k <- min(chunk, total - done)
    started <- proc.time()[["elapsed"]]
    done <- jcall(booster, "I", "iterate", jarg_int1(k))
    per_round <- max(proc.time()[["elapsed"]] - started, 1e-3) / k
    chunk <- as.integer(max(1, min(max_chunk, floor(seconds / per_round))))
    if (!is.null(bar)) utils::setTxtProgressBar(bar, done)
    if (isTRUE(control$verbose)) {
      loss <- jcall(jcall(booster, .java_class$model, "model"), "[D", "trainLoss")
      message(sprintf("round %5d  training loss %.6g", done, loss[length(loss)]))
    }
  }
  invisible(done)
}

# Warn when the data alone may not fit in the Java heap.
check_heap <- function(frame) {
  need <- 8 * 3 * (length(frame$x) + length(frame$z) + 4 * length(frame$y))
  max_mem <- tryCatch(java_max_memory(), error = function(e) NA_real_)
  if (!is.na(max_mem) && need > 0.5 * max_mem) {
    warning(sprintf(
      "the data need about %.0f MB of the Java heap, which has %.0f MB; if the fit runs out of memory, set options(java.parameters = \"-Xmx4g\") before loading gbmixed in a fresh R session.",
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
  b <- matrix(jcall(model, "[D", "ranef"), m, q, dimnames = list(frame$cluster_levels, z_names))
  P <- array(jcall(model, "[D", "ranefCov"), c(q, q, m), dimnames = list(z_names, z_names, frame$cluster_levels))
  fixed <- jcall(model, "[D", "fittedFixed")
  random <- jcall(model, "[D", "fittedRandom")
  imp <- jcall(model, "[D", "importance")
  names(imp) <- names(frame$features)
  coef <- if (control$learner == "linear") {
    stats::setNames(jcall(model, "[D", "linearCoefficients"), linear_design_names(frame$features))
  } else {
    NULL
  }
  handle <- new.env(parent = emptyenv())
  handle$model <- model

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
    nrounds = jcall(model, "I", "nrounds"),
    nobs = frame$nobs,
    y = frame$y,
    weights = frame$weights,
    x = frame$x,
    nlevels = frame$nlevels,
    z = frame$z,
    cluster = frame$cluster,
    fitted_fixed = fixed,
    fitted_random = random,
    loss = jcall(model, "[D", "trainLoss"),
    loglik = jcall(model, "D", "logLik"),
    G = G,
    sigma2 = jcall(model, "D", "sigma2"),
    ranef = b,
    ranef_cov = P,
    importance = imp,
    coefficients = coef,
    engine_version = engine_version(),
    model_bytes = jcall(model, "[B", "toBytes"),
    handle = handle
  ), class = "gbmixed")
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
