# Validating and encoding data before it crosses into Java. Each check is its own small function; every
# message names the argument or column and the counts involved. The engine sees only numbers: a
# column-major double matrix x (factor covariates as 0-based codes, with their number of levels), the
# response, weights, 0-based cluster codes and the random-effects design z.

# Training data -> list(y, x, nlevels, features, z, z_info, group, weights, ...). The grouping factor is
# returned as it is (`group`); encode_clusters() turns it into codes once the rows to fit are known.
# `na_ok`: whether the covariates of the mean may have missing values (learner "tree": the engine routes them
# to a learned side of each split); `learner` names the mean's learner in the message when they may not.
build_training_frame <- function(parsed, data, weights = NULL, na_ok = FALSE, learner = "tree") {
  check_is_data_frame(data, "data")
  weights_col <- if (is.character(weights) && length(weights) == 1L) weights else NULL
  check_columns_exist(data, c(all.vars(parsed$response), parsed$feature_vars, parsed$re_vars, parsed$group,
                              weights_col), "data")
  n <- nrow(data)
  if (n == 0L) stop_arg("`data` has no rows.")

  response_label <- deparse1(parsed$response)
  y <- eval(parsed$response, data, parsed$env)
  check_response(y, response_label, n)
  feats <- lapply(parsed$features, function(l) eval_feature(l, data, parsed$env, n))
  names(feats) <- parsed$features
  w <- resolve_weights(weights, data, n)
  group <- data[[parsed$group]]
  re_frame <- stats::model.frame(stats::terms(parsed$re_formula), data, na.action = stats::na.pass)
  # unused levels of a factor in the random-effects design would be phantom random effects (lme4 drops them)
  re_frame <- droplevels(re_frame)

  # NA in the response, the random-effects columns, the group or the weights is an error (no silent row
  # dropping), reported for all columns at once
  na_counts <- c(
    stats::setNames(sum(is.na(y)), response_label),
    vapply(parsed$re_vars, function(v) sum(is.na(data[[v]])), numeric(1)),
    stats::setNames(sum(is.na(group)), parsed$group),
    if (!is.null(w)) stats::setNames(sum(is.na(w)), if (is.null(weights_col)) "weights" else weights_col)
  )
  check_no_na(na_counts[!duplicated(names(na_counts))], "data")
  if (!na_ok) check_no_na_covariates(feats, "data", learner, "learner")

  check_finite(y, response_label, "the response")
  check_magnitude(y, response_label, "the response")
  for (l in names(feats)) if (is.numeric(feats[[l]])) check_finite(feats[[l]], l, "covariate")
  w <- check_weights(if (is.null(w)) rep(1, n) else w, if (is.null(weights_col)) "weights" else weights_col)

  if (identical(learner, "linear")) feats <- expand_ordered(feats)
  enc <- encode_features(feats, n)
  z_info <- make_z_info(parsed$re_formula, re_frame)
  for (v in parsed$re_vars) {
    if (is.numeric(data[[v]])) {
      check_finite(data[[v]], v, "random-effects column")
      check_magnitude(data[[v]], v, "the random-effects column", limit = 1e100)
    }
  }
  z <- stats::model.matrix(z_info$terms, re_frame, contrasts.arg = z_info$contrasts)

  list(
    y = as.double(y), response = response_label, x = enc$x, nlevels = enc$nlevels, features = enc$info,
    z = unname_matrix(z), z_names = colnames(z), z_info = z_info,
    group = group, weights = as.double(w), nobs = n
  )
}

# The rows `rows` of a frame whose clusters are coded over all its rows (frame$cluster, frame$cluster_levels):
# clusters re-coded 0..k-1 (in the order of the levels), G's covariates kept for the clusters present. Factor
# encodings (levels, nlevels) stay those of the whole data, so training and validation rows share them.
subset_frame <- function(frame, rows) {
  rows <- as.integer(rows)
  codes <- frame$cluster[rows]
  used <- sort(unique(codes))
  out <- frame
  out$y <- frame$y[rows]
  out$x <- frame$x[rows, , drop = FALSE]
  out$z <- frame$z[rows, , drop = FALSE]
  out$weights <- frame$weights[rows]
  out$cluster <- match(codes, used) - 1L
  out$cluster_levels <- frame$cluster_levels[used + 1L]
  out$nobs <- length(rows)
  out$rows <- if (is.null(frame$rows)) rows else frame$rows[rows]
  if (!is.null(frame$disp)) out$disp$x <- frame$disp$x[rows, , drop = FALSE]
  if (!is.null(frame$cov)) out$cov$w <- frame$cov$w[used + 1L, , drop = FALSE]
  if (!is.null(frame$treatment)) out$treatment <- frame$treatment
  if (!is.null(frame$treat)) out$treat <- frame$treat[rows]
  if (!is.null(frame$offset)) out$offset <- frame$offset[rows]
  if (!is.null(frame$between_means)) out$between_means <- frame$between_means[used + 1L, , drop = FALSE]
  out
}

# New data for predict(): the same encoding, with the training levels, so unseen levels are caught here. The
# mean's design x has the row covariates then the between-cluster columns (R/between.R): rows of training
# clusters get their training means, the rows of a new cluster (all rows with new_clusters) the means over its
# rows here. treat: the 0/1 treatment of a fit with a treatment-effect part (NULL otherwise); with
# need_treatment its column must be present, else a missing column gives 0.
build_newdata_frame <- function(object, newdata, need_z = TRUE, need_cluster = TRUE,
                                allow.new.levels = FALSE, arg = "newdata", new_clusters = FALSE,
                                need_treatment = FALSE) {
  check_is_data_frame(newdata, arg)
  n <- nrow(newdata)
  rows <- row_features(object$features)
  trt <- if (!is.null(object$treatment)) object$treatment$name
  feature_vars <- unique(unlist(lapply(names(rows), function(l) all.vars(str2lang(feature_source(l, rows[[l]]))))))
  check_columns_exist(newdata, c(feature_vars, if (need_z) object$re_vars, if (need_cluster) object$group,
                                 if (need_treatment) trt), arg)
  env <- object$env %||% parent.frame()
  feats <- eval_row_features(rows, newdata, env, n, arg)
  if (need_z) {
    na_counts <- vapply(object$re_vars, function(v) sum(is.na(newdata[[v]])), numeric(1))
    check_no_na(na_counts, arg)
  }
  if (!part_allows_na(object$control, "mean")) {
    check_no_na_covariates(feats, arg, part_learner(object$control, "mean"), "learner")
  }
  for (l in names(feats)) if (is.numeric(feats[[l]])) check_finite(feats[[l]], l, "covariate")

  x <- encode_features_like(feats, rows, n, arg)
  if (length(rows) < length(object$features)) {
    has_group <- object$group %in% names(newdata)
    known <- if (has_group && !new_clusters) newdata_cluster_codes(object, newdata) else rep(-1L, n)
    x <- cbind(x, between_newdata(object, x, known, if (has_group) newdata[[object$group]] else seq_len(n)))
  }
  treat <- if (!is.null(trt)) newdata_treatment(newdata, trt, n, arg)
  z <- if (need_z) {
    check_new_levels_z(newdata, object$z_info, arg)
    re_frame <- stats::model.frame(object$z_info$terms, newdata, na.action = stats::na.pass,
                                   xlev = object$z_info$xlev)
    for (v in object$re_vars) if (is.numeric(newdata[[v]])) check_finite(newdata[[v]], v, "random-effects column")
    zz <- stats::model.matrix(object$z_info$terms, re_frame, contrasts.arg = object$z_info$contrasts)
    unname_matrix(zz)
  } else {
    matrix(0, n, length(object$z_names))
  }
  cluster <- if (need_cluster) {
    map_clusters(newdata[[object$group]], object$cluster_levels, object$group, allow.new.levels, arg)
  } else {
    rep(-1L, n)
  }
  list(x = x, z = z, cluster = cluster, nobs = n, treat = treat)
}

# The 0/1 treatment of newdata rows (0 when the column is absent: only where f(x, T) is not needed).
newdata_treatment <- function(newdata, name, n, arg) {
  if (!name %in% names(newdata)) return(rep(0, n))
  v <- newdata[[name]]
  if (is.logical(v)) v <- as.numeric(v)
  bad <- is.na(v) | !(v %in% c(0, 1))
  if (!is.numeric(v) || any(bad)) {
    stop_arg("the treatment `", name, "` in `", arg, "` must be 0/1 (or logical) in every row",
             if (is.numeric(v)) paste0("; ", sum(bad), " rows are not") else "", ".")
  }
  as.double(v)
}

# ---- checks ----

check_is_data_frame <- function(data, arg) {
  if (!is.data.frame(data)) stop_arg("`", arg, "` must be a data frame, not ", show_value(data), ".")
  invisible(data)
}

check_columns_exist <- function(data, vars, arg) {
  vars <- unique(as.character(vars))
  missing <- setdiff(vars, names(data))
  if (length(missing)) {
    stop_arg(if (length(missing) == 1L) "column " else "columns ", paste0("`", missing, "`", collapse = ", "),
             " not found in `", arg, "`.")
  }
  invisible(TRUE)
}

check_response <- function(y, label, n) {
  if (is.factor(y) || is.character(y) || is.logical(y) || !is.numeric(y) || is.matrix(y)) {
    what <- if (is.matrix(y)) "a matrix" else paste0("of class \"", class(y)[1L], "\"")
    stop_arg("the response `", label, "` must be a numeric vector (gbmixed fits a Gaussian model), but it is ",
             what, ".")
  }
  if (length(y) != n) stop_arg("the response `", label, "` has length ", length(y), ", not ", n, ".")
  invisible(y)
}

check_no_na <- function(counts, arg) {
  bad <- counts[counts > 0]
  if (length(bad)) {
    stop_arg(
      "missing values (NA) in `", arg, "`: ",
      paste0("`", names(bad), "` (", bad, ifelse(bad == 1, " row)", " rows)"),
             collapse = ", "),
      ". gbmixed does not drop rows silently: remove or impute them first."
    )
  }
  invisible(TRUE)
}

# Covariates of a part whose learner cannot use missing values: name the columns and counts, and say how.
check_no_na_covariates <- function(feats, arg, learner, learner_arg) {
  na <- vapply(feats, function(v) sum(is.na(v)), numeric(1))
  bad <- na[na > 0]
  if (length(bad)) {
    stop_arg(
      "missing values (NA) in covariates of `", arg, "`: ",
      paste0("`", names(bad), "` (", bad, ifelse(bad == 1, " row)", " rows)"), collapse = ", "),
      ". ", learner_arg, " = \"", learner, "\" needs complete covariates: impute them, or use ", learner_arg,
      " = \"tree\", which handles missing covariates natively."
    )
  }
  invisible(TRUE)
}

# Values so large that squaring them (variances, likelihoods) overflows double precision.
check_magnitude <- function(x, label, what, limit = 1e140) {
  k <- sum(abs(x) > limit, na.rm = TRUE)
  if (k > 0) {
    stop_arg("values of ", what, " `", label, "` are too large for the variance computations (", k,
             if (k == 1) " row" else " rows", " above ", format(limit), " in absolute value); rescale it.")
  }
  invisible(TRUE)
}

check_finite <- function(x, label, what) {
  k <- sum(is.infinite(x))
  if (k > 0) stop_arg("infinite values in ", what, " `", label, "` (", k, if (k == 1) " row)." else " rows).")
  invisible(TRUE)
}

resolve_weights <- function(weights, data, n) {
  if (is.null(weights)) return(NULL)
  if (is.character(weights) && length(weights) == 1L) return(data[[weights]])
  if (!is.numeric(weights) || length(weights) != n) {
    stop_arg("`weights` must be NULL, the name of a column of `data`, or a numeric vector of length ", n,
             " (the number of rows), not ", show_value(weights), ".")
  }
  weights
}

check_weights <- function(w, label) {
  if (!is.numeric(w)) stop_arg("weights `", label, "` must be numeric.")
  check_finite(w, label, "weights")
  k <- sum(w <= 0)
  if (k > 0) stop_arg("weights `", label, "` must be positive; ", k, " are <= 0.")
  w
}

# ---- encoding ----

eval_feature <- function(label, data, env, n) {
  v <- tryCatch(eval(str2lang(label), data, env),
                error = function(e) stop_arg("cannot evaluate covariate `", label, "`: ", conditionMessage(e)))
  if (is.matrix(v) || is.data.frame(v)) {
    stop_arg("covariate `", label, "` gives a matrix; list plain columns in the fixed part of `formula`.")
  }
  if (length(v) != n) stop_arg("covariate `", label, "` has length ", length(v), ", not ", n, ".")
  if (is.character(v)) v <- structure(factor(v), was_character = TRUE)
  if (is.logical(v)) v <- as.numeric(v)
  if (inherits(v, c("Date", "POSIXt"))) v <- as.numeric(v)
  if (!is.factor(v) && !is.numeric(v)) {
    stop_arg("covariate `", label, "` has unsupported class \"", class(v)[1L],
             "\"; use numeric, logical, factor or character columns.")
  }
  v
}

# Numeric columns pass as they are; factors become 0-based codes. A factor with one observed level is a
# constant (nlevels 0). Returns x (matrix), nlevels, and per-feature info to encode new data alike.
encode_features <- function(feats, n) {
  x <- matrix(0, n, length(feats))
  nlev <- integer(length(feats))
  info <- vector("list", length(feats))
  names(info) <- names(feats)
  for (j in seq_along(feats)) {
    v <- feats[[j]]
    if (is.factor(v)) {
      v <- droplevels(v)
      lev <- levels(v)
      x[, j] <- as.integer(v) - 1L      # NA (missing) stays NA: NaN for the engine
      nlev[j] <- if (length(lev) >= 2L) length(lev) else 0L
      info[[j]] <- list(type = "factor", levels = lev)
    } else {
      x[, j] <- as.double(v)
      info[[j]] <- list(type = "numeric", levels = NULL, poly = attr(v, "poly"))
    }
  }
  list(x = x, nlevels = nlev, info = info)
}

# For the linear learner, an ordered factor enters as lmer has it: polynomial contrasts (contr.poly), one numeric
# column per degree named as lme4 names them ("dose.L", "dose.Q", "dose.C", "dose^4", ...). Each column remembers
# its source and levels (attribute "poly") so that newdata is encoded alike.
expand_ordered <- function(feats) {
  out <- list()
  for (l in names(feats)) {
    v <- feats[[l]]
    if (!is.ordered(v)) { out[[l]] <- v; next }
    v <- droplevels(v)
    lev <- levels(v)
    if (length(lev) < 2L) { out[[l]] <- v; next }
    cp <- stats::contr.poly(length(lev))
    for (j in seq_len(ncol(cp))) {
      out[[paste0(l, colnames(cp)[j])]] <- structure(cp[as.integer(v), j],
                                                      poly = list(source = l, levels = lev, col = j))
    }
  }
  out
}

# The label a feature is evaluated from in data: its own, or for a polynomial-contrast column its factor's.
feature_source <- function(label, info) if (!is.null(info$poly)) info$poly$source else label

# Evaluate the row features of a fit (names(rows), infos rows) in newdata: polynomial-contrast columns from their
# ordered factor, with the training levels.
eval_row_features <- function(rows, newdata, env, n, arg) {
  feats <- list()
  for (l in names(rows)) {
    info <- rows[[l]]
    if (is.null(info$poly)) { feats[[l]] <- eval_feature(l, newdata, env, n); next }
    v <- eval_feature(info$poly$source, newdata, env, n)
    chr <- as.character(v)
    unseen <- setdiff(unique(chr[!is.na(chr)]), info$poly$levels)
    if (length(unseen)) {
      stop_arg("covariate `", info$poly$source, "` in `", arg, "` has ", if (length(unseen) == 1L) "a level" else "levels",
               " not seen in training: ", format_levels(unseen), ".")
    }
    cp <- stats::contr.poly(length(info$poly$levels))
    feats[[l]] <- cp[match(chr, info$poly$levels), info$poly$col]
  }
  feats
}

encode_features_like <- function(feats, info, n, arg = "newdata") {
  x <- matrix(0, n, length(feats))
  for (j in seq_along(feats)) {
    v <- feats[[j]]
    label <- names(info)[j]
    if (info[[j]]$type == "factor") {
      if (!is.factor(v) && !is.character(v) && !is.numeric(v)) {
        stop_arg("covariate `", label, "` was a factor in training; `", arg, "` has class \"", class(v)[1L], "\".")
      }
      lev <- info[[j]]$levels
      chr <- as.character(v)
      unseen <- setdiff(unique(chr[!is.na(chr)]), lev)
      if (length(unseen)) {
        stop_arg("covariate `", label, "` in `", arg, "` has ", if (length(unseen) == 1L) "a level" else "levels",
                 " not seen in training: ", format_levels(unseen), ".")
      }
      x[, j] <- match(chr, lev) - 1L
    } else {
      if (is.factor(v)) {
        stop_arg("covariate `", label, "` was numeric in training but is ",
                 if (isTRUE(attr(v, "was_character"))) "character (text)" else "a factor", " in `", arg, "`",
                 if (isTRUE(attr(v, "was_character"))) "; convert it with as.numeric()" else "", ".")
      }
      x[, j] <- as.double(v)
    }
  }
  x
}

make_z_info <- function(re_formula, re_frame) {
  tt <- stats::terms(re_formula)
  xlev <- stats::.getXlevels(tt, re_frame)
  contr <- lapply(xlev, function(l) "contr.treatment")
  list(terms = tt, xlev = xlev, contrasts = if (length(contr)) contr else NULL)
}

check_new_levels_z <- function(newdata, z_info, arg = "newdata") {
  for (v in names(z_info$xlev)) {
    if (!v %in% names(newdata)) next
    unseen <- setdiff(unique(as.character(newdata[[v]])), z_info$xlev[[v]])
    if (length(unseen)) {
      stop_arg("random-effects column `", v, "` in `", arg, "` has ", if (length(unseen) == 1L) "a level" else "levels",
               " not seen in training: ", format_levels(unseen), ".")
    }
  }
  invisible(TRUE)
}

encode_clusters <- function(group, name) {
  f <- factor(group)
  m <- nlevels(f)
  if (m < 2L) {
    stop_arg("the grouping factor `", name, "` has ", m, if (m == 1L) " cluster" else " clusters",
             "; a mixed model needs at least 2.")
  }
  # clusters of one row are ordinary (lme4 does not warn); only when every cluster has one row are the random
  # effects and the residual not told apart (lme4 refuses such a fit)
  sizes <- tabulate(f, m)
  if (all(sizes == 1L)) {
    warning("all ", m, " clusters of `", name, "` have a single row: the random effects and the residual ",
            "variance are not separately identified.", call. = FALSE)
  }
  list(codes = as.integer(f) - 1L, levels = levels(f))
}

map_clusters <- function(group, levels, name, allow.new.levels, arg = "newdata") {
  chr <- as.character(group)
  codes <- match(chr, levels) - 1L
  new <- is.na(codes)
  if (anyNA(chr) && !allow.new.levels) {
    k <- sum(is.na(chr))
    stop_arg("missing values (NA) in the grouping factor `", name, "` of `", arg, "` (", k,
             if (k == 1L) " row" else " rows", "). Use allow.new.levels = TRUE for population-level predictions ",
             "for them.")
  }
  if (any(new) && !allow.new.levels) {
    unseen <- unique(chr[new])
    stop_arg("`", arg, "` has ", if (length(unseen) == 1L) "a level" else "levels", " of `", name,
             "` not seen in training: ", format_levels(unseen),
             ". Use allow.new.levels = TRUE for population-level predictions for new clusters.")
  }
  codes[new] <- -1L
  as.integer(codes)
}

format_levels <- function(lev, max = 10L) {
  lev <- ifelse(is.na(lev), "NA", paste0("\"", lev, "\""))
  if (length(lev) > max) {
    paste0(paste(lev[seq_len(max)], collapse = ", "), " and ", length(lev) - max, " more")
  } else {
    paste(lev, collapse = ", ")
  }
}

unname_matrix <- function(m) {
  m <- unclass(m)
  attr(m, "assign") <- NULL
  attr(m, "contrasts") <- NULL
  dimnames(m) <- NULL
  m
}

# ---- the linear learner's design ----

# Expanded design of learner "linear": intercept, numeric columns, factor dummies for levels 2..K.
linear_design_names <- function(features) {
  nm <- "(Intercept)"
  for (l in names(features)) {
    info <- features[[l]]
    if (info$type == "factor" && length(info$levels) >= 2L) {
      nm <- c(nm, paste0(l, info$levels[-1L]))
    } else {
      nm <- c(nm, l)
    }
  }
  nm
}

linear_design <- function(frame) {
  cols <- list(rep(1, nrow(frame$x)))
  for (j in seq_along(frame$features)) {
    info <- frame$features[[j]]
    if (info$type == "factor" && length(info$levels) >= 2L) {
      for (k in seq_along(info$levels)[-1L]) cols[[length(cols) + 1L]] <- as.double(frame$x[, j] == k - 1L)
    } else {
      cols[[length(cols) + 1L]] <- frame$x[, j]
    }
  }
  X <- do.call(cbind, cols)
  colnames(X) <- linear_design_names(frame$features)
  X
}

# learner = "linear" needs a full-rank expanded design; name the aliased columns otherwise. A column is aliased
# when it keeps less than 1e-5 of its norm after the columns before it: the engine's own test (its Cholesky
# pivot below 1e-10 of the diagonal), so that every design the engine would refuse is refused here, with the
# column's name. qr(X, tol = 1e-5) decides; it costs n p^2 with a copy of X, so a cross-product screens first:
# the Cholesky factor of the cross-product scaled to unit diagonal holds, on its diagonal, each column's share
# of its norm left after the columns before it (qr's |R_jj| / |x_j| without pivoting). When every share is
# above 1e-3 the design has full rank by a wide margin (the cross-product's rounding, about 1e-13 of a share
# squared, cannot move a share across 1e-5), and the QR is not needed.
check_linear_design <- function(frame) {
  if (design_well_conditioned(frame)) return(invisible(linear_design_names(frame$features)))
  X <- linear_design(frame)
  qrx <- qr(X, tol = 1e-5)
  if (qrx$rank < ncol(X)) {
    aliased <- colnames(X)[qrx$pivot[seq.int(qrx$rank + 1L, ncol(X))]]
    stop_arg(
      "the design of learner = \"linear\" is singular or nearly so (rank ", qrx$rank, " < ", ncol(X), " columns): ",
      paste0("`", aliased, "`", collapse = ", "),
      if (length(aliased) == 1L) " is constant or (nearly) a linear combination of the other columns"
      else " are constant or (nearly) linear combinations of the other columns",
      ". Drop or recode them, or use learner = \"tree\"."
    )
  }
  invisible(colnames(X))
}

# The screen of check_linear_design(): TRUE when every column of the expanded design keeps more than 1e-3 of its
# norm after the columns before it. Numeric-only designs skip building X (the cross-product from x's own).
design_well_conditioned <- function(frame) {
  numeric_only <- all(vapply(frame$features, function(f) f$type != "factor" || length(f$levels) < 2L, TRUE))
  A <- if (numeric_only) {
    x <- frame$x
    s <- colSums(x)
    rbind(c(nrow(x), s), cbind(s, crossprod(x)))
  } else {
    crossprod(linear_design(frame))
  }
  d <- diag(A)
  if (!all(is.finite(A)) || any(d <= 0)) return(FALSE)
  A <- A / sqrt(outer(d, d))
  R <- tryCatch(chol(A), error = function(e) NULL)
  !is.null(R) && all(diag(R) > 1e-3)
}

`%||%` <- function(a, b) if (is.null(a)) b else a
