# The rest of the lme4 (and stats) verb set for fitted "gbmixed" objects: each method either means what it means
# for an lmer fit, or refuses with a sentence saying why and what to use instead. What is an lmer fit's here is the
# linear learner with constant variance parts (gbmixed_control(learner = "linear", learning_rate = 1) converges to
# lmer(..., REML = FALSE)); a boosted mean has no coefficients, so coef(), vcov(), confint(method = "Wald") and
# hatvalues() refuse for it. Everything reads the R data stored in the object (no Java), except refit() and update(),
# which fit again.

#' @importFrom lme4 getME
#' @export
lme4::getME

#' @importFrom lme4 isSingular
#' @export
lme4::isSingular

#' @importFrom lme4 refit
#' @export
lme4::refit

#' @importFrom lme4 ngrps
#' @export
lme4::ngrps

# ---- exact-match access ----

#' Exact-match field access of a gbmixed fit
#'
#' `fit$name` matches `name` exactly, as `fit[["name"]]` does, never partially: R's default `$` would answer
#' `fit$model` (which stats' [model.frame()] default and many packages read) with the engine's raw bytes in
#' `fit$model_bytes`. A field that does not exist is `NULL`.
#'
#' @param x a fitted `"gbmixed"` object.
#' @param name the name of a field.
#' @return The field, or `NULL`.
#' @keywords internal
#' @export
`$.gbmixed` <- function(x, name) .subset2(x, name)

# ---- what kind of fit ----

# The mean is linear with coefficients (fixef()): learner "linear", not component-wise.
has_linear_mean <- function(object) !is.null(object[["coefficients"]])

# The sentence for methods that need fixed effects, when the mean is a boosted ensemble.
no_fixed_effects <- function(object, what) {
  learner <- object[["control"]][["learner"]]
  how <- if (identical(learner, "linear")) "component-wise linear fits" else paste0("ensembles of ", learner, "s")
  paste0(what, " needs fixed effects, and this fit has none: its mean f(x) is boosted (", how, " have no ",
         "coefficients, only the function they add up to; learner = \"linear\" gives lmer's fixed effects).")
}

# Stop unless the mean is linear without a treatment-effect part. `what`: the method, `instead`: where to look.
require_linear_mean <- function(object, what, instead) {
  if (!has_linear_mean(object)) stop(no_fixed_effects(object, what), " ", instead, call. = FALSE)
  if (!is.null(object[["treatment"]])) {
    stop(what, " is not available for a fit with a treatment-effect part: its mean is mu(x) + (T - mean(T)) tau(x), ",
         "and fixef() holds mu's coefficients only. Use cate() for the treatment effect and its intervals.",
         call. = FALSE)
  }
  invisible(TRUE)
}

# ---- the model frame, terms and design ----

# The model formula with a `.` in its fixed part replaced by the covariates it stood for (the row covariates of the
# mean and the treatment), keeping the random-effects term.
expanded_formula <- function(object) {
  f <- object[["formula"]]
  fixed <- lme4::nobars(f)
  if (length(fixed) < 3L || !"." %in% all.vars(fixed[[3L]])) return(f)
  labels <- c(names(row_features(object[["features"]])), object[["treatment"]][["name"]])
  terms <- c(lapply(labels, str2lang), lapply(find_bar_terms(f[[3L]]), function(b) call("(", b)))
  rhs <- Reduce(function(a, b) call("+", a, b), terms)
  stats::as.formula(call("~", f[[2L]], rhs), env = environment(f))
}

#' Model frame, terms and design matrix of a gbmixed fit
#'
#' `model.frame()` returns the variables of the training rows as a data frame, as lme4's does for an `lmer` fit:
#' the response, the covariates of the mean (as the fixed part of `formula` names them, e.g. `log(x)`), the
#' random-effects columns, the grouping factor (a factor) and, when the fit has weights, `"(weights)"`; with
#' attribute `"terms"`. It is rebuilt from the fitted object, which holds the encoded data: logical and date
#' covariates come back as numbers, the grouping factor as a factor of its levels; rows held out by `validation`
#' are not training rows and are left out. `fixed.only = TRUE` keeps the response and the fixed part.
#'
#' `terms()` gives the terms of the fixed part (`fixed.only = TRUE`, the default, as lme4), of the whole formula
#' with the bars replaced by `+` (`fixed.only = FALSE`), or of the random part (`random.only = TRUE`). A `.` in the
#' formula is expanded to the covariates it stood for.
#'
#' `model.matrix()` gives, for `learner = "linear"`, the design of the linear mean: `"(Intercept)"`, the numeric
#' covariates and treatment-contrast dummies of factors, one column per coefficient of [fixef()][fixef.gbmixed]
#' (lme4's `getME(fit, "X")`). A boosted mean has no design matrix in that sense; for it `model.matrix()` gives the
#' covariate matrix the engine sees: one column per covariate of the mean (named after it), factors as 0-based
#' level codes, missing values as `NaN`, and the between-cluster features (`"x (cluster mean)"`, see `between` in
#' [gbmixed_control()]) after the row covariates. It is a description of the data, not a design to multiply
#' coefficients with.
#'
#' @param formula,x,object a fitted `"gbmixed"` object.
#' @param fixed.only `TRUE` for the fixed part only.
#' @param random.only `TRUE` (for `terms()`) for the random part only.
#' @param ... not used.
#' @return `model.frame()` a data frame with one row per training row; `terms()` a `"terms"` object;
#'   `model.matrix()` a numeric matrix with one row per training row.
#' @name model.frame.gbmixed
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' head(model.frame(fit))
#' terms(fit)
#' head(model.matrix(fit))
NULL

#' @rdname model.frame.gbmixed
#' @importFrom stats model.frame
#' @export
model.frame.gbmixed <- function(formula, fixed.only = FALSE, ...) {
  check_dots(...)
  check_flag(fixed.only, "fixed.only")
  object <- formula
  tt <- terms.gbmixed(object, fixed.only = FALSE)
  vars <- gsub("`", "", vapply(as.list(attr(tt, "variables"))[-1L], deparse1, ""))
  if (fixed.only) {
    fixed <- gsub("`", "", vapply(as.list(attr(terms.gbmixed(object), "variables"))[-1L], deparse1, ""))
    vars <- vars[vars %in% fixed]
    tt <- terms.gbmixed(object)
  }
  out <- lapply(vars, function(v) model_frame_column(object, v))
  names(out) <- vars
  if (!fixed.only && !is.null(object[["call"]][["weights"]])) out[["(weights)"]] <- object[["weights"]]
  if (!is.null(object[["call"]][["offset"]])) out[["(offset)"]] <- offset_column(object, "(offset)")
  # a list with class "data.frame", as model.frame() builds it, so that a matrix column (poly(t, 2)) stays one
  structure(out, class = "data.frame", row.names = as.character(object[["train_rows"]] %||% seq_len(object[["nobs"]])),
            terms = tt)
}

# One variable of the model frame, decoded from the object: the response, a row covariate of the mean, the
# treatment, the grouping factor, or a random-effects column (numeric, a factor rebuilt from its dummies, or a
# transformation such as log(t) whose column(s) of z it names).
model_frame_column <- function(object, v) {
  if (identical(v, gsub("`", "", object[["response"]]))) return(object[["y"]])
  if (startsWith(v, "offset(")) return(offset_column(object, v))
  if (identical(v, object[["group"]])) {
    lev <- object[["cluster_levels"]]
    return(factor(lev[object[["cluster"]] + 1L], levels = lev))
  }
  rows <- row_features(object[["features"]])
  j <- match(v, gsub("`", "", names(rows)))
  if (!is.na(j)) {
    x <- object[["x"]][, j]
    info <- rows[[j]]
    if (identical(info$type, "factor")) return(factor(info$levels[x + 1L], levels = info$levels))
    return(ifelse(is.nan(x), NA_real_, x))
  }
  poly <- Filter(function(info) identical(info$poly$source, v), rows)
  if (length(poly)) {
    # an ordered factor the linear learner took as polynomial contrasts: its level from the linear (.L) column
    k <- match(names(poly)[vapply(poly, function(info) identical(info$poly$col, 1L), logical(1))], names(rows))
    lev <- poly[[1L]]$poly$levels
    code <- match(round(object[["x"]][, k], 10), round(stats::contr.poly(length(lev))[, 1L], 10))
    return(factor(lev[code], levels = lev, ordered = TRUE))
  }
  if (identical(v, object[["treatment"]][["name"]])) return(object[["treat"]])
  z <- object[["z"]]
  zn <- object[["z_names"]]
  k <- match(v, gsub("`", "", zn))
  if (!is.na(k)) return(z[, k])
  lev <- object[["z_info"]][["xlev"]][[v]]
  if (!is.null(lev)) {
    # a factor of the random-effects term: its treatment-contrast dummies (all levels without an intercept)
    cols <- match(paste0(v, lev), zn)
    code <- rep(NA_integer_, nrow(z))
    for (l in seq_along(lev)) if (!is.na(cols[l])) code[z[, cols[l]] == 1] <- l
    code[is.na(code)] <- which(is.na(cols))[1L]
    return(factor(lev[code], levels = lev))
  }
  cols <- which(startsWith(gsub("`", "", zn), v))
  if (length(cols)) {
    m <- z[, cols, drop = FALSE]
    colnames(m) <- substring(gsub("`", "", zn[cols]), nchar(v) + 1L)
    return(if (ncol(m) == 1L) m[, 1L] else m)
  }
  stop("internal error: cannot rebuild the variable `", v, "` of the model frame from the fitted object.",
       call. = FALSE)
}

# An offset column of the model frame (an offset() term or "(offset)", the `offset` argument). The object holds the
# sum of the offsets, which is the column when there is a single source of offsets.
offset_column <- function(object, v) {
  sources <- length(object[["offset_exprs"]]) + !is.null(object[["offset_arg"]])
  if (sources == 1L && !is.null(object[["offset"]])) return(object[["offset"]])
  stop("model.frame() cannot give the offset `", v, "` on its own: this fit adds ", sources, " offsets (offset() ",
       "terms and the `offset` argument) and keeps only their sum, fit$offset.", call. = FALSE)
}

#' @rdname model.frame.gbmixed
#' @importFrom stats terms
#' @export
terms.gbmixed <- function(x, fixed.only = TRUE, random.only = FALSE, ...) {
  check_dots(...)
  check_flag(fixed.only, "fixed.only")
  check_flag(random.only, "random.only")
  if (missing(fixed.only) && random.only) fixed.only <- FALSE
  if (fixed.only && random.only) stop_arg("give fixed.only = TRUE or random.only = TRUE, not both.")
  f <- expanded_formula(x)
  env <- environment(f)
  g <- if (fixed.only) {
    lme4::nobars(f)
  } else if (random.only) {
    bars <- lapply(find_bar_terms(f[[3L]]), function(b) call("(", b))
    lme4::subbars(stats::as.formula(call("~", f[[2L]], Reduce(function(a, b) call("+", a, b), bars)), env = env))
  } else {
    lme4::subbars(f)
  }
  if (length(g) < 3L) g <- stats::as.formula(call("~", f[[2L]], 1), env = env)
  environment(g) <- env
  stats::terms(g)
}

#' @rdname model.frame.gbmixed
#' @importFrom stats model.matrix
#' @export
model.matrix.gbmixed <- function(object, ...) {
  check_dots(...)
  if (has_linear_mean(object)) return(linear_design(object))
  x <- object[["x"]]
  colnames(x) <- names(object[["features"]])
  x
}

# ---- coefficients and their covariance ----

#' Coefficients, their covariance and confidence intervals (linear learner)
#'
#' For `learner = "linear"` the mean is a linear model and these are lme4's: `coef()` the per-cluster
#' coefficients (fixed plus random effect, in lme4's layout: one data frame per grouping factor, one row per
#' cluster, one column per coefficient, coefficients without a random effect repeated), `vcov()` the covariance of
#' the fixed effects and `confint(method = "Wald")` their Wald intervals.
#'
#' `vcov()` is the generalised least squares covariance \eqn{(X^\top V^{-1} X)^{-1}}{(X'V^-1 X)^-1} with
#' \eqn{V = \mathrm{blockdiag}(Z_i G Z_i^\top + \sigma^2 W_i^{-1})}{V = blockdiag(Z_i G Z_i' + sigma^2 W_i^-1)},
#' \eqn{W_i} the precision weights of cluster \eqn{i}'s rows, at the fitted \eqn{G} and \eqn{\sigma^2}: what lme4's
#' `vcov()` gives for the maximum likelihood fit (`REML = FALSE`), conditional on the variance components. When
#' \eqn{G(w)} or \eqn{R(x)} is boosted, \eqn{V} uses each cluster's \eqn{G(w_i)} and each row's \eqn{R(x)}. With
#' `honest_folds` (off by default for the linear learner) \eqn{\sigma^2} and \eqn{G} are the cross-fitted ones, so
#' the covariance is not quite lme4's.
#'
#' `confint(method = "Wald")` gives \eqn{\hat\beta \pm z_{1-\alpha/2}} standard errors, in lme4's layout: rows
#' `.sig01`, `.sig02`, ... (one per entry of the lower triangle of \eqn{G}, column by column, as lme4's
#' `theta`), `.sigma`, then the coefficients; the variance parameters have no Wald interval and are `NA`, as in
#' lme4. `method = "boot"` is a parametric bootstrap (also of the variance parameters, and for boosted fits),
#' built on the engine's refits.
#'
#' A boosted mean (trees, splines, a component-wise linear learner) has no coefficients: these methods then stop
#' and say so. Its uncertainty is in [predict()][predict.gbmixed]`(interval = "confidence")` and [cate()], which
#' have jackknife intervals from the honest folds; its fitted random effects are [ranef()][ranef.gbmixed].
#'
#' @param object a fitted `"gbmixed"` object.
#' @param parm the rows to return: names (`".sig01"`, `".sigma"`, `"Days"`, ...), indices into all rows, or
#'   lme4's `"theta_"` (the variance parameters) or `"beta_"` (the coefficients). Missing: all.
#' @param level coverage of the intervals.
#' @param method `"Wald"` or `"boot"` (the parametric bootstrap).
#' @param nsim number of bootstrap samples for `method = "boot"`.
#' @param ... for `confint(method = "boot")`, passed on to the bootstrap (`seed`, `progress`); otherwise none
#'   is accepted (an error names them).
#' @return `coef()` an object of class `"coef.mer"` (a list of data frames named by grouping factor); `vcov()` a
#'   symmetric matrix named by coefficient; `confint()` a matrix with columns such as `"2.5 %"` and `"97.5 %"`.
#' @seealso [fixef()][fixef.gbmixed], [getME()][getME.gbmixed]
#' @name coef.gbmixed
#' @examples
#' lin <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200,
#'                                          seed = 1))
#' head(coef(lin)$Subject)
#' vcov(lin)
#' confint(lin)
NULL

#' @rdname coef.gbmixed
#' @importFrom stats coef
#' @export
coef.gbmixed <- function(object, ...) {
  check_dots(...)
  require_linear_mean(object, "coef()", paste0("Its fitted random effects are in ranef(), its mean (and ",
                                               "cluster-specific fits) in predict()."))
  fef <- data.frame(rbind(object[["coefficients"]]), check.names = FALSE)
  ref <- ranef.gbmixed(object, condVar = FALSE)
  miss <- setdiff(unlist(lapply(ref, colnames)), names(fef))
  if (length(miss)) fef <- cbind(stats::setNames(data.frame(rbind(rep(0, length(miss)))), miss), fef)
  val <- lapply(ref, function(r) {
    v <- fef[rep.int(1L, nrow(r)), , drop = FALSE]
    row.names(v) <- row.names(r)
    for (nm in colnames(r)) v[[nm]] <- v[[nm]] + r[[nm]]
    v
  })
  class(val) <- "coef.mer"
  val
}

# The generalised least squares pieces of a fit at its variance components: the design X (linear_design()), the
# rows of V^-1 X, the diagonal of V^-1, X'V^-1 X, and the residual variance R(x)/w of each row. V is block
# diagonal, V_i = Z_i G_i Z_i' + D_i^-1 with D_i = diag(w / R(x)); by Woodbury V_i^-1 = D_i - D_i Z_i M_i Z_i' D_i,
# M_i = G_i (I + Z_i' D_i Z_i G_i)^-1, which needs no inverse of G (a singular G is fine).
gls_parts <- function(object) {
  X <- linear_design(object)
  n <- nrow(X)
  Z <- object[["z"]]
  q <- ncol(Z)
  d <- object[["weights"]] / object[["fitted_disp"]]
  boosted_G <- !is.null(object[["cov"]])
  VX <- matrix(0, n, ncol(X))
  Vdiag <- numeric(n)
  for (rows in split(seq_len(n), object[["cluster"]])) {
    G <- if (boosted_G) object[["G_cluster"]][, , object[["cluster"]][rows[1L]] + 1L] else object[["G"]]
    Zi <- Z[rows, , drop = FALSE]
    DZ <- Zi * d[rows]
    M <- G %*% solve(diag(q) + crossprod(Zi, DZ) %*% G)
    VX[rows, ] <- X[rows, , drop = FALSE] * d[rows] - DZ %*% (M %*% crossprod(DZ, X[rows, , drop = FALSE]))
    Vdiag[rows] <- d[rows] - rowSums((DZ %*% M) * DZ)
  }
  XVX <- crossprod(X, VX)
  list(X = X, VX = VX, Vdiag = Vdiag, XVX = (XVX + t(XVX)) / 2, resid_var = 1 / d)
}

#' @rdname coef.gbmixed
#' @importFrom stats vcov
#' @export
vcov.gbmixed <- function(object, ...) {
  check_dots(...)
  require_linear_mean(object, "vcov()", paste0("For the uncertainty of f(x) use predict(interval = ",
                                               "\"confidence\") and, for treatment effects, cate(): both have ",
                                               "jackknife intervals."))
  V <- solve(gls_parts(object)$XVX)
  V <- (V + t(V)) / 2
  nm <- names(object[["coefficients"]])
  dimnames(V) <- list(nm, nm)
  V
}

#' @rdname coef.gbmixed
#' @importFrom stats confint
#' @export
confint.gbmixed <- function(object, parm, level = 0.95, method = c("Wald", "boot"), nsim = 200, ...) {
  method <- match_choice(method, c("Wald", "boot"), "method")
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  if (method == "boot") return(confint_boot(object, if (!missing(parm)) parm, level, nsim, ...))
  check_dots(...)
  require_linear_mean(object, "confint(method = \"Wald\")",
                      paste0("For intervals of f(x) use predict(interval = \"confidence\") and, for treatment ",
                             "effects, cate(): both have jackknife intervals."))
  beta <- object[["coefficients"]]
  se <- sqrt(diag(vcov.gbmixed(object)))
  ntheta <- length(theta_of(object))
  sig <- c(sprintf(".sig%02d", seq_len(ntheta)), ".sigma")
  a <- (1 - level) / 2
  ci <- rbind(matrix(NA_real_, length(sig), 2L), cbind(beta + stats::qnorm(a) * se, beta + stats::qnorm(1 - a) * se))
  dimnames(ci) <- list(c(sig, names(beta)), paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE,
                                                         digits = 3), "%"))
  ci[confint_rows(parm, rownames(ci), sig, names(beta)), , drop = FALSE]
}

# The rows of confint() that `parm` asks for (all when missing), as lme4 selects them.
confint_rows <- function(parm, rows, sig, beta) {
  if (missing(parm) || is.null(parm)) return(rows)
  if (is.numeric(parm)) {
    if (anyNA(parm) || any(parm != round(parm)) || any(parm < 1 | parm > length(rows))) {
      stop_arg("numeric `parm` must index the ", length(rows), " rows (", paste(rows, collapse = ", "), ").")
    }
    return(rows[parm])
  }
  if (!is.character(parm) || anyNA(parm)) stop_arg("`parm` must be names or indices of rows, not ", show_value(parm), ".")
  parm <- unlist(lapply(parm, function(p) if (p == "theta_") sig else if (p == "beta_") beta else p))
  bad <- setdiff(parm, rows)
  if (length(bad)) {
    stop_arg("`parm` names ", paste0("\"", bad, "\"", collapse = ", "), ", not rows of this fit's intervals: ",
             paste0("\"", rows, "\"", collapse = ", "), " (or \"theta_\", \"beta_\").")
  }
  parm
}

#' Diagonal of the hat matrix (linear learner)
#'
#' For `learner = "linear"`, the leverages: the diagonal of the matrix \eqn{H} that maps the response to the
#' conditional fitted values \eqn{X\hat\beta + Z\hat b}{X beta + Z b} at the fitted variance components,
#' \eqn{H = I - \sigma^2 W^{-1} (V^{-1} - V^{-1} X (X^\top V^{-1} X)^{-1} X^\top V^{-1})}{H = I - sigma^2 W^-1
#' (V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1)}, as lme4's `hatvalues()` gives for an `lmer` fit (see
#' [vcov()][coef.gbmixed] for \eqn{V}). A boosted mean is not a linear smoother of the response with a hat matrix
#' at hand, so for it `hatvalues()` stops.
#'
#' @param model a fitted `"gbmixed"` object.
#' @param ... not used.
#' @return A numeric vector with one value in \[0, 1\] per training row.
#' @importFrom stats hatvalues
#' @export
#' @examples
#' lin <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200,
#'                                          seed = 1))
#' summary(hatvalues(lin))
hatvalues.gbmixed <- function(model, ...) {
  check_dots(...)
  if (!has_linear_mean(model)) {
    stop("hatvalues() needs a mean that is linear in the response, and this fit's is boosted: its fitted values ",
         "are not a known linear map (a hat matrix) of the response. For the uncertainty of a boosted mean use ",
         "predict(interval = \"confidence\").", call. = FALSE)
  }
  require_linear_mean(model, "hatvalues()", "")
  gp <- gls_parts(model)
  B <- solve(gp$XVX)
  P <- gp$Vdiag - rowSums((gp$VX %*% B) * gp$VX)
  stats::setNames(1 - gp$resid_var * P, as.character(model[["train_rows"]] %||% seq_len(model[["nobs"]])))
}

# ---- getME ----

# theta as lme4 defines it: the lower-triangle entries, column by column, of the Cholesky factor of G / sigma^2
# (for `||`, one entry per random effect); G the constant G or, when G(w) is boosted, its average over the clusters.
theta_of <- function(object) {
  G <- object[["G"]]
  nm <- object[["z_names"]]
  grp <- object[["group"]]
  s <- sqrt(object[["sigma2"]])
  if (isTRUE(object[["diagonal"]])) return(stats::setNames(sqrt(pmax(diag(G), 0)) / s, paste(grp, nm, sep = ".")))
  q <- length(nm)
  L <- chol_lower_array(array(G, c(q, q, 1L)))[, , 1L]
  dim(L) <- c(q, q)
  idx <- lower_tri_index(q)
  stats::setNames(L[idx] / s, ifelse(idx[, 1L] == idx[, 2L], paste(grp, nm[idx[, 1L]], sep = "."),
                                     paste(grp, nm[idx[, 1L]], nm[idx[, 2L]], sep = ".")))
}

# The random-effects design in lme4's column order: level by level (q columns each) for a correlated term; for
# `||`, which lme4 splits into one term per effect, effect by effect (one column per level each).
re_design <- function(object) {
  z <- object[["z"]]
  n <- nrow(z)
  q <- ncol(z)
  lev <- object[["cluster_levels"]]
  m <- length(lev)
  cl <- object[["cluster"]] + 1L
  Z <- matrix(0, n, m * q)
  col <- if (isTRUE(object[["diagonal"]])) function(i, k) (k - 1L) * m + i else function(i, k) (i - 1L) * q + k
  for (k in seq_len(q)) Z[cbind(seq_len(n), col(cl, k))] <- z[, k]
  colnames(Z) <- if (isTRUE(object[["diagonal"]])) rep(lev, times = q) else rep(lev, each = q)
  Z
}

# lme4's labels of the random-effects terms: the bar term as written, or for `||` (which lme4 splits) "1 | g" and
# "0 + t | g", one per effect.
re_term_labels <- function(object) {
  grp <- object[["group"]]
  zn <- object[["z_names"]]
  if (isTRUE(object[["diagonal"]]) && length(zn) > 1L) {
    return(ifelse(zn == "(Intercept)", paste("1 |", grp), paste("0 +", zn, "|", grp)))
  }
  deparse1(find_bar_terms(object[["formula"]][[3L]])[[1L]])
}

getme_names <- c("X", "Z", "Zt", "y", "mu", "beta", "fixef", "b", "theta", "lower", "sigma", "flist", "cnms",
                 "n", "N", "p", "q", "k", "m", "l_i", "q_i", "REML", "is_REML")

#' Extract components of a gbmixed fit, as lme4's getME()
#'
#' The components of lme4's [lme4::getME()] that have a meaning for a gbmixed fit:
#' \describe{
#'   \item{`"X"`, `"beta"`, `"fixef"`, `"p"`}{the design of the linear mean, its coefficients and their number
#'     (`learner = "linear"` only; a boosted mean has none, see [model.matrix()][model.frame.gbmixed]).}
#'   \item{`"Z"`, `"Zt"`}{the random-effects design (dense), in lme4's column order: cluster by cluster, the
#'     effects of each next to each other; for `||`, which lme4 splits into one term per effect, effect by effect.}
#'   \item{`"b"`}{the BLUPs stacked in the order of the columns of `Z`, so that `Z %*% b` is `z'b` of the rows.}
#'   \item{`"theta"`, `"lower"`}{lme4's relative covariance parameters: the lower-triangle entries, column by
#'     column, of the Cholesky factor of \eqn{G / \sigma^2}, and their lower bounds (0 for a diagonal entry).
#'     When \eqn{G(w)} or \eqn{R(x)} is boosted these are computed from the averages that
#'     [VarCorr()][VarCorr.gbmixed] reports.}
#'   \item{`"y"`, `"mu"`, `"sigma"`}{the response, the conditional fitted values, \eqn{\sigma}.}
#'   \item{`"flist"`, `"cnms"`}{the grouping factor (a list named by it) and the names of the random effects of
#'     each term.}
#'   \item{`"n"`, `"N"`, `"q"`, `"k"`, `"m"`, `"l_i"`, `"q_i"`}{the number of rows, the number of columns of `Z`,
#'     of random-effects terms, of `theta`, the number of levels and of effects of each term.}
#'   \item{`"REML"`, `"is_REML"`}{`0` and `FALSE`: the fit maximises the likelihood, not the REML criterion.}
#' }
#' Any other name is an error that lists these. `lme4::isSingular()`, re-exported, works through `getME()`: a fit
#' is singular when a diagonal entry of `theta` is below `tol`. With a boosted \eqn{G(w)} that is a statement about
#' the average \eqn{G} over the clusters, which (being an average of positive semi-definite matrices) is singular
#' only when every cluster's \eqn{G(w_i)} is singular in a common direction; a \eqn{G(w_i)} near-singular for some
#' clusters only is not flagged (see `attr(VarCorr(fit), "cluster")`).
#'
#' @param object a fitted `"gbmixed"` object.
#' @param name one or more of the names above.
#' @param ... not used.
#' @return The component, or with several names a list of them named by name.
#' @method getME gbmixed
#' @export
#' @examples
#' lin <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200,
#'                                          seed = 1))
#' getME(lin, "theta")
#' getME(lin, c("n", "p", "q"))
#' isSingular(lin)
getME.gbmixed <- function(object, name, ...) {
  check_dots(...)
  if (missing(name) || !is.character(name) || !length(name) || anyNA(name)) {
    stop_arg("`name` must be one or more of ", paste0("\"", getme_names, "\"", collapse = ", "), ".")
  }
  if (length(name) > 1L) return(stats::setNames(lapply(name, function(nm) getME.gbmixed(object, nm)), name))
  if (!name %in% getme_names) {
    stop_arg("getME() of a gbmixed fit supports ", paste0("\"", getme_names, "\"", collapse = ", "), "; \"", name,
             "\" is ", if (name %in% lme4_only_names) "internal to lme4's fitting algorithm" else "not one of them",
             ".")
  }
  q_re <- length(object[["z_names"]])
  diag_terms <- isTRUE(object[["diagonal"]]) && q_re > 1L
  k <- if (diag_terms) q_re else 1L
  m <- length(object[["cluster_levels"]])
  if (name %in% c("X", "beta", "fixef", "p") && !has_linear_mean(object)) {
    stop(no_fixed_effects(object, paste0("getME(, \"", name, "\")")),
         " model.matrix() gives the covariate matrix the engine sees.", call. = FALSE)
  }
  switch(name,
    X = linear_design(object),
    beta = , fixef = object[["coefficients"]],
    p = length(object[["coefficients"]]),
    Z = re_design(object),
    Zt = t(re_design(object)),
    b = {
      b <- unname(object[["ranef"]])
      matrix(if (diag_terms) as.vector(b) else as.vector(t(b)), ncol = 1L)
    },
    theta = theta_of(object),
    lower = {
      th <- theta_of(object)
      if (diag_terms || q_re == 1L) stats::setNames(rep(0, length(th)), names(th)) else {
        idx <- lower_tri_index(q_re)
        stats::setNames(ifelse(idx[, 1L] == idx[, 2L], 0, -Inf), names(th))
      }
    },
    y = object[["y"]],
    mu = object[["fitted_fixed"]] + object[["fitted_random"]],
    sigma = sqrt(object[["sigma2"]]),
    flist = structure(stats::setNames(list(model_frame_column(object, object[["group"]])), object[["group"]]),
                      assign = rep(1L, k)),
    cnms = if (diag_terms) stats::setNames(as.list(object[["z_names"]]), rep(object[["group"]], q_re))
           else stats::setNames(list(object[["z_names"]]), object[["group"]]),
    n = , N = object[["nobs"]],
    q = m * q_re,
    k = k,
    m = length(theta_of(object)),
    l_i = stats::setNames(m, object[["group"]]),
    q_i = stats::setNames(rep(m * q_re %/% k, k), re_term_labels(object)),
    REML = 0L,
    is_REML = FALSE
  )
}

lme4_only_names <- c("Ztlist", "mmList", "u", "Gp", "Tp", "L", "Lambda", "Lambdat", "Lind", "Tlist", "A", "RX",
                     "RZX", "ST", "n_rtrms", "n_rfacs", "p_i", "m_i", "devcomp", "offset", "devfun",
                     "glmer.nb.theta", "ALL")

# ---- refit and update ----

#' Refit a gbmixed model to a new response, or update its call
#'
#' `refit()` fits the model again with the same formulas, data, weights, settings and seed, but the response
#' replaced by `newresp`, as lme4's `refit()` does (typically for a parametric bootstrap from [simulate()]
#' [simulate.gbmixed]). The result equals `gbmixed()` on the data with the response column replaced (with the same
#' `seed`). The data are found as lme4's [update()] finds them: the `data` argument of the call evaluated in the
#' environment of the model formula, then in the caller's; they must still be the data the model was fitted to
#' (same rows, same response). For a formula whose left side is an expression (`log(y) ~ ...`), `newresp` is on
#' the scale of that expression.
#'
#' `update()` changes arguments of the call and fits again, as lme4's `update()`: `formula.` is combined with the
#' formula by [update.formula()], other arguments replace or add to those of the call; the call is evaluated in
#' the environment of the model formula (so a fit made inside a function, whose data are local to it, can be
#' updated outside), then in the global environment, then in the caller's. A fit whose `seed` was `NULL` draws a
#' new seed.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newresp `NULL` (the fitted response), a numeric vector with one value per row of the data the model was
#'   fitted to (`nobs(object)` values unless `validation` held out clusters), or a data frame with one numeric
#'   column (such as a column of [simulate()][simulate.gbmixed]).
#' @param formula. changes to the formula, e.g. `. ~ . + x3`.
#' @param evaluate `FALSE` to return the updated call instead of fitting it.
#' @param ... for `update()`, arguments of [gbmixed()] to change; for `refit()`, not used.
#' @return A fitted `"gbmixed"` object (`update(evaluate = FALSE)`: the call).
#' @name refit.gbmixed
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 50, learning_rate = 0.2, seed = 1))
#' sim <- simulate(fit, nsim = 1, seed = 2)
#' fit2 <- refit(fit, sim)
#' fit3 <- update(fit, control = gbmixed_control(nrounds = 20, learning_rate = 0.2, seed = 1))
NULL

#' @rdname refit.gbmixed
#' @method refit gbmixed
#' @export
refit.gbmixed <- function(object, newresp = NULL, ...) {
  check_dots(...)
  call <- object[["call"]]
  if (is.null(call) || is.null(call$data)) stop_arg("refit() needs the call of the fit, with its `data`.")
  data <- find_fit_data(object, call$data, parent.frame())
  held <- identical(object[["validation"]][["source"]], "held-out clusters")
  # the fitted rows of data: after subset / na.action (data_rows), then the training rows of validation
  used <- object[["data_rows"]] %||% seq_len(nrow(data))
  rows <- used[object[["train_rows"]] %||% seq_len(object[["nobs"]])]
  resp <- object[["formula"]][[2L]]
  old <- tryCatch(eval(resp, data, object[["env"]]), error = function(e) NULL)
  if (!is.numeric(old) || length(old) != nrow(data) || !isTRUE(all.equal(as.double(old[rows]), object[["y"]]))) {
    stop_arg("refit() needs the data the model was fitted to, but `", deparse1(call$data), "` has changed since ",
             "the fit (its response `", deparse1(resp), "` differs); refit with gbmixed() on the data instead.")
  }
  if (is.null(newresp)) newresp <- old
  if (is.data.frame(newresp)) {
    if (ncol(newresp) != 1L) stop_arg("a data frame `newresp` must have one column, not ", ncol(newresp), ".")
    newresp <- newresp[[1L]]
  }
  if (!is.numeric(newresp) || is.matrix(newresp) || length(newresp) != nrow(data)) {
    stop_arg("`newresp` must be a numeric vector of length ", nrow(data), " (one value per row of the data",
             if (held) ", the clusters held out by `validation` included" else "", "), not ", show_value(newresp),
             ".")
  }
  formula <- object[["formula"]]
  if (is.name(resp)) {
    data[[as.character(resp)]] <- as.vector(newresp)
  } else {
    data[[".gbmixed_newresp"]] <- as.vector(newresp)
    formula[[2L]] <- as.name(".gbmixed_newresp")
  }
  control <- object[["control"]]
  control$seed <- object[["seed"]]
  call[[1L]] <- gbmixed
  call$formula <- formula
  call$data <- data
  call$control <- control
  fit <- eval(call, object[["env"]] %||% parent.frame())
  fit$call <- object[["call"]]
  fit$formula <- object[["formula"]]
  fit$response <- object[["response"]]
  fit
}

# The data frame of a fit's call, evaluated where lme4's update() would look: the formula's environment, then the
# caller's frame.
find_fit_data <- function(object, expr, caller) {
  for (env in list(object[["env"]], caller)) {
    if (is.null(env)) next
    d <- tryCatch(eval(expr, env), error = function(e) NULL)
    if (is.data.frame(d)) return(d)
  }
  stop_arg("refit() cannot find the data `", deparse1(expr), "` of the fit, neither from the environment of its ",
           "formula nor from the caller's; refit with gbmixed() on the data instead.")
}

#' @rdname refit.gbmixed
#' @importFrom stats update
#' @export
update.gbmixed <- function(object, formula., ..., evaluate = TRUE) {
  call <- stats::getCall(object)
  if (is.null(call)) stop_arg("update() needs the call of the fit, which this object does not have.")
  extras <- match.call(expand.dots = FALSE)$...
  if (!missing(formula.)) call$formula <- stats::update.formula(stats::formula(object), formula.)
  if (length(extras)) {
    existing <- !is.na(match(names(extras), names(call)))
    for (a in names(extras)[existing]) call[[a]] <- extras[[a]]
    if (any(!existing)) call <- as.call(c(as.list(call), extras[!existing]))
  }
  if (!evaluate) return(call)
  envs <- list(environment(stats::formula(object)), sys.frames()[[1L]], parent.frame())
  errors <- list()
  for (env in envs) {
    if (is.null(env)) next
    res <- tryCatch(list(value = eval(call, envir = env)), error = function(e) e)
    if (!inherits(res, "error")) return(res$value)
    errors[[length(errors) + 1L]] <- res
  }
  # every environment failed: report the first error that is about the fit rather than a variable not found there
  found <- Filter(function(e) !grepl("not found", conditionMessage(e), fixed = TRUE), errors)
  stop(if (length(found)) found[[1L]] else errors[[length(errors)]])
}

# ---- small methods ----

#' Small lme4 and stats methods of a gbmixed fit
#'
#' `ngrps()` the number of clusters, named by the grouping factor (clusters held out by `validation` count: they
#' are clusters of the fit). `family()` is [gaussian()]: gbmixed fits Gaussian models. `deviance()` is
#' \eqn{-2 \log L}{-2 log L} of [logLik()][gbmixed-methods] (lme4's deviance of a maximum likelihood fit).
#' `df.residual()` the number of rows minus the degrees of freedom of [logLik()][gbmixed-methods], `NA` when those
#' are (a boosted fit has no parameter count). `weights()` the precision weights (1 for a fit without weights);
#' `type = "working"` is, as in lme4, for GLMMs only.
#'
#' @param object a fitted `"gbmixed"` object.
#' @param type `"prior"`, the precision weights.
#' @param ... not used.
#' @return `ngrps()` a named integer; `family()` a `"family"` object; `deviance()` a number; `df.residual()` an
#'   integer; `weights()` a numeric vector with one value per training row.
#' @name ngrps.gbmixed
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200,
#'                                          seed = 1))
#' ngrps(fit)
#' deviance(fit)
#' df.residual(fit)
NULL

#' @rdname ngrps.gbmixed
#' @method ngrps gbmixed
#' @export
ngrps.gbmixed <- function(object, ...) {
  check_dots(...)
  stats::setNames(length(object[["cluster_levels"]]), object[["group"]])
}

#' @rdname ngrps.gbmixed
#' @importFrom stats family
#' @export
family.gbmixed <- function(object, ...) {
  check_dots(...)
  stats::gaussian()
}

#' @rdname ngrps.gbmixed
#' @importFrom stats deviance
#' @export
deviance.gbmixed <- function(object, ...) {
  check_dots(...)
  -2 * as.numeric(stats::logLik(object))
}

#' @rdname ngrps.gbmixed
#' @importFrom stats df.residual
#' @export
df.residual.gbmixed <- function(object, ...) {
  check_dots(...)
  object[["nobs"]] - attr(stats::logLik(object), "df")
}

#' @rdname ngrps.gbmixed
#' @importFrom stats weights
#' @export
weights.gbmixed <- function(object, type = c("prior", "working"), ...) {
  check_dots(...)
  type <- match_choice(type, c("prior", "working"), "type")
  if (type == "working") stop_arg("working weights are only available for GLMMs; gbmixed fits Gaussian models.")
  object[["weights"]]
}
