# The covariates of the variance parts and the treatment column.
#
# dispformula = ~ x1 + x3: covariates of the residual log-variance rho(x) = log R(x), one value per row,
# encoded like the covariates of the mean (numeric as they are, factors as 0-based codes with their number of
# levels). covformula = ~ w1 + w2: cluster-level covariates of G(w); they must be constant within each
# cluster, and the engine receives one row per cluster (row i = cluster code i). `~ 1` keeps a part constant.

# Parse a one-sided side formula; returns NULL for ~ 1, else list(labels, vars, formula).
parse_side_formula <- function(f, arg, group) {
  if (is.null(f)) return(NULL)
  if (!inherits(f, "formula") || length(f) != 2L) {
    stop_arg("`", arg, "` must be a one-sided formula such as ~ 1 (constant) or ~ x1 + x2, not ",
             if (inherits(f, "formula")) deparse1(f) else show_value(f), ".")
  }
  if (length(find_bar_terms(f[[2L]]))) {
    stop_arg("`", arg, "` cannot contain random-effects terms (`|`): ", deparse1(f), ".")
  }
  if ("." %in% all.vars(f)) {
    stop_arg("`", arg, "` cannot use `.`: list its covariates, e.g. ~ x1 + x2.")
  }
  tt <- stats::terms(f)
  if (!is.null(attr(tt, "offset"))) stop_arg("offset() terms are not supported in `", arg, "`.")
  labels <- attr(tt, "term.labels")
  if (length(labels) == 0L) {
    if (attr(tt, "intercept") == 0L) {
      stop_arg("`", arg, "` = ", deparse1(f), " has no terms: use ~ 1 for a constant variance.")
    }
    return(NULL)
  }
  inter <- labels[attr(tt, "order") > 1L]
  if (length(inter)) {
    stop_arg("`", arg, "` lists covariates of a nonparametric function, not interactions; remove ",
             paste0("`", inter, "`", collapse = ", "), " (trees find interactions themselves).")
  }
  vars <- unique(all.vars(f))
  if (group %in% vars) {
    stop_arg("the grouping factor `", group, "` cannot be a covariate in `", arg, "`.")
  }
  list(labels = labels, vars = vars, formula = f)
}

# Evaluate and check the covariates of a side formula on n rows of `data` (named `arg_data` in messages).
# `allow_na`: missing values are allowed (the part's learner is "tree"); `learner` names it otherwise.
eval_side_features <- function(side, data, env, n, arg, arg_data, allow_na = FALSE, learner = NULL) {
  missing <- setdiff(side$vars, names(data))
  if (length(missing)) {
    stop_arg(if (length(missing) == 1L) "column " else "columns ", paste0("`", missing, "`", collapse = ", "),
             " of `", arg, "` not found in `", arg_data, "`.")
  }
  feats <- lapply(side$labels, function(l) eval_feature(l, data, env, n))
  names(feats) <- side$labels
  na <- vapply(feats, function(v) sum(is.na(v)), numeric(1))
  if (!allow_na && any(na > 0)) {
    bad <- na[na > 0]
    stop_arg(
      "missing values (NA) in the `", arg, "` covariates of `", arg_data, "`: ",
      paste0("`", names(bad), "` (", bad, ifelse(bad == 1, " row)", " rows)"), collapse = ", "),
      if (is.null(learner)) ". gbmixed does not drop rows silently: remove or impute them first."
      else paste0(". The \"", learner, "\" learner of this part needs complete covariates: impute them, or ",
                  "use the \"tree\" learner, which handles missing covariates natively.")
    )
  }
  for (l in names(feats)) if (is.numeric(feats[[l]])) check_finite(feats[[l]], l, paste0("`", arg, "` covariate"))
  feats
}

# Training rows -> the engine's xdisp (n x p) with nlevels and the encoding info, or NULL for ~ 1.
build_disp_frame <- function(side, data, env, n, allow_na = FALSE, learner = NULL) {
  if (is.null(side)) return(NULL)
  feats <- eval_side_features(side, data, env, n, "dispformula", "data", allow_na, learner)
  enc <- encode_features(feats, n)
  list(labels = side$labels, vars = side$vars, formula = side$formula,
       x = enc$x, nlevels = enc$nlevels, features = enc$info)
}

# Training rows -> the engine's wcov (one row per cluster, row i = cluster code i), or NULL for ~ 1.
build_cov_frame <- function(side, data, env, n, cluster, cluster_levels, group, allow_na = FALSE,
                            learner = NULL) {
  if (is.null(side)) return(NULL)
  feats <- eval_side_features(side, data, env, n, "covformula", "data", allow_na, learner)
  m <- length(cluster_levels)
  first <- match(seq_len(m) - 1L, cluster)
  for (l in names(feats)) check_constant_within(feats[[l]], l, cluster, first, cluster_levels, group)
  feats_cl <- lapply(feats, function(v) v[first])
  enc <- encode_features(feats_cl, m)
  list(labels = side$labels, vars = side$vars, formula = side$formula,
       w = enc$x, nlevels = enc$nlevels, features = enc$info)
}

# A covformula covariate must take one value per cluster; name it and count the clusters where it varies.
check_constant_within <- function(v, label, cluster, first, cluster_levels, group) {
  key <- if (is.factor(v)) as.integer(v) else as.double(v)
  ref <- key[first[cluster + 1L]]
  differs <- ifelse(is.na(key) | is.na(ref), is.na(key) != is.na(ref), key != ref)   # NA: missing in the cluster
  if (any(differs)) {
    bad <- unique(cluster[differs])
    stop_arg(
      "`covformula` covariate `", label, "` varies within ", length(bad), " of ", length(cluster_levels),
      " clusters of `", group, "` (e.g. ", format_levels(cluster_levels[bad + 1L], max = 3L), "); ",
      "covariates of G must be constant within each cluster (use `dispformula` for row-level covariates)."
    )
  }
  invisible(TRUE)
}

# ---- new data for the variance parts ----

# xdisp for the rows of newdata (n x p; 0 columns when R is constant).
newdata_xdisp <- function(object, newdata, n, arg = "newdata") {
  disp <- object$disp
  if (is.null(disp)) return(matrix(0, n, 0L))
  feats <- eval_side_features(disp, newdata, object$env %||% parent.frame(), n, "dispformula", arg,
                              part_allows_na(object$control, "disp"), part_learner(object$control, "disp"))
  encode_features_like(feats, disp$features, n, arg)
}

# wcov for the rows of newdata (n x p; 0 columns when G is constant). Rows of clusters seen in training may
# omit the covformula columns: their training values are used. `cluster`: codes (-1 new), or NULL if unknown.
newdata_wcov <- function(object, newdata, n, cluster = NULL, arg = "newdata") {
  cov <- object$cov
  if (is.null(cov)) return(matrix(0, n, 0L))
  missing <- setdiff(cov$vars, names(newdata))
  if (length(missing) && !is.null(cluster) && all(cluster >= 0L)) {
    return(cov$w[cluster + 1L, , drop = FALSE])
  }
  if (length(missing)) {
    stop_arg(if (length(missing) == 1L) "column " else "columns ", paste0("`", missing, "`", collapse = ", "),
             " of `covformula` not found in `", arg, "` (needed for G(w) of clusters not seen in training",
             " and at population level).")
  }
  feats <- eval_side_features(cov, newdata, object$env %||% parent.frame(), n, "covformula", arg,
                              part_allows_na(object$control, "cov"), part_learner(object$control, "cov"))
  encode_features_like(feats, cov$features, n, arg)
}

# Cluster codes of newdata's rows when it has the grouping column (-1 for new clusters), else NULL.
newdata_cluster_codes <- function(object, newdata) {
  if (!object$group %in% names(newdata)) return(NULL)
  codes <- match(as.character(newdata[[object$group]]), object$cluster_levels) - 1L
  codes[is.na(codes)] <- -1L
  as.integer(codes)
}

# Training rows' wcov (each row gets its cluster's covariates).
training_wcov <- function(object) {
  if (is.null(object$cov)) return(matrix(0, object$nobs, 0L))
  object$cov$w[object$cluster + 1L, , drop = FALSE]
}

training_xdisp <- function(object) {
  if (is.null(object$disp)) return(matrix(0, object$nobs, 0L))
  object$disp$x
}

# ---- lower-triangle layout of G ----

# Indices (row, col) of the lower triangle, column by column: (1,1), (2,1), ..., (q,1), (2,2), ...
# -- the engine's predictCov order.
lower_tri_index <- function(q) which(lower.tri(diag(q), diag = TRUE), arr.ind = TRUE)

lower_tri_labels <- function(z_names) {
  idx <- lower_tri_index(length(z_names))
  ifelse(idx[, 1L] == idx[, 2L], paste0("var(", z_names[idx[, 1L]], ")"),
         paste0("cov(", z_names[idx[, 1L]], ",", z_names[idx[, 2L]], ")"))
}

# n x q(q+1)/2 lower-triangle entries -> a vector (q = 1) or a matrix with named columns.
format_cov_rows <- function(tri, z_names) {
  if (length(z_names) == 1L) return(as.numeric(tri))
  tri <- matrix(as.numeric(tri), ncol = length(z_names) * (length(z_names) + 1L) / 2L)
  dimnames(tri) <- list(NULL, lower_tri_labels(z_names))
  tri
}

# Lower-triangle entries of G(w_i) per training cluster: m x q(q+1)/2.
cluster_cov_tri <- function(object) {
  q <- length(object$z_names)
  idx <- lower_tri_index(q)
  Gc <- object$G_cluster
  m <- dim(Gc)[3L]
  out <- matrix(0, m, nrow(idx))
  for (k in seq_len(nrow(idx))) out[, k] <- Gc[idx[k, 1L], idx[k, 2L], ]
  out
}

# Lower-triangle entries -> q x q x n array of symmetric matrices.
tri_to_array <- function(tri, z_names) {
  q <- length(z_names)
  tri <- matrix(as.numeric(tri), ncol = q * (q + 1L) / 2L)
  n <- nrow(tri)
  idx <- lower_tri_index(q)
  arr <- array(0, c(q, q, n), dimnames = list(z_names, z_names, NULL))
  for (k in seq_len(nrow(idx))) {
    arr[idx[k, 1L], idx[k, 2L], ] <- tri[, k]
    arr[idx[k, 2L], idx[k, 1L], ] <- tri[, k]
  }
  arr
}

# ---- the treatment column ----

# Checks the treatment argument against the parsed formula and the data; returns its description or NULL.
build_treatment <- function(treatment, parsed, data, frame) {
  if (is.null(treatment)) return(NULL)
  if (!is.character(treatment) || length(treatment) != 1L || is.na(treatment) || !nzchar(treatment)) {
    stop_arg("`treatment` must be NULL or the name of a 0/1 column, not ", show_value(treatment), ".")
  }
  check_columns_exist(data, treatment, "data")
  if (!treatment %in% parsed$features) {
    stop_arg("the treatment `", treatment, "` must appear in the fixed part of `formula` (the mean f(x, T) ",
             "needs it to estimate effects), e.g. y ~ x1 + x2 + ", treatment, " + (1 + ", treatment, " | ",
             parsed$group, ").")
  }
  v <- data[[treatment]]
  ok_type <- is.logical(v) || (is.numeric(v) && !is.factor(v))
  vals <- if (ok_type) sort(unique(as.numeric(v))) else NA
  if (!ok_type || !all(vals %in% c(0, 1))) {
    shown <- utils::head(sort(unique(if (is.factor(v)) as.character(v) else v)), 5L)
    stop_arg("the treatment column `", treatment, "` must be numeric 0/1 (or logical), but it ",
             if (!ok_type) paste0("is of class \"", class(v)[1L], "\"") else "has other values",
             ": ", paste(format(shown), collapse = ", "), if (length(unique(v)) > 5L) ", ...", ".")
  }
  if (length(vals) < 2L) {
    stop_arg("the treatment column `", treatment, "` is ", vals, " in every row; treatment effects need both ",
             "treated (1) and control (0) rows.")
  }
  z_col <- match(c(treatment, paste0(treatment, "TRUE")), frame$z_names)
  z_col <- z_col[!is.na(z_col)]
  list(name = treatment, feature = match(treatment, names(frame$features)),
       z_col = if (length(z_col)) z_col[1L] else NA_integer_, logical = is.logical(v))
}

# ---- held-out marginal log-likelihood ----

# Marginal log-likelihood of data from clusters NOT seen in training (each level of the grouping factor in
# newdata is a new cluster): sum_i log N(y_i; f(X_i), Z_i G(w_i) Z_i' + R(X_i)), via Model.logLikNew. For
# comparing variants on held-out clusters (tests, vignette); not exported.
heldout_loglik <- function(object, newdata) {
  check_is_data_frame(newdata, "newdata")
  n <- nrow(newdata)
  if (n == 0L) return(0)
  check_columns_exist(newdata, c(all.vars(str2lang(object$response)), object$group), "newdata")
  y <- eval(str2lang(object$response), newdata, object$env %||% parent.frame())
  check_response(y, object$response, n)
  if (anyNA(y) || any(!is.finite(y))) stop_arg("the response `", object$response, "` in `newdata` must be finite.")
  y <- y - newdata_offset(object, newdata, n)
  nd <- build_newdata_frame(object, newdata, need_z = TRUE, need_cluster = FALSE, new_clusters = TRUE,
                            need_treatment = TRUE)
  cl <- factor(newdata[[object$group]])
  seen <- intersect(levels(cl), object$cluster_levels)
  if (length(seen)) {
    stop_arg("heldout_loglik() is for clusters not seen in training; `newdata` has ", length(seen),
             " training clusters (", format_levels(seen, max = 3L), ").")
  }
  xdisp <- newdata_xdisp(object, newdata, n)
  wcov <- newdata_wcov(object, newdata, n, NULL)
  ll <- jcall(engine_model(object), "D", "logLikNew", jarg_dbl(nd$x), jarg_int1(n), jarg_dbl(y),
              jarg_int(as.integer(cl) - 1L), jarg_int1(nlevels(cl)), jarg_dbl(nd$z), jarg_dbl(xdisp),
              jarg_dbl(wcov), jarg_dbl(nd$treat %||% numeric(0)))
  check_engine_values(list("held-out log-likelihood" = ll))
  ll
}
