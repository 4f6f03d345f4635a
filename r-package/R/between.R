# Between-cluster (Mundlak) features of the mean: the cluster means of its row-level covariates (for a factor, the
# cluster's share of each level but the first), added to the mean's covariates as "x (cluster mean)" and
# "f = b (cluster share)". A covariate varying within clusters has a within- and a between-cluster association
# with the response; with random effects the trees learn mostly the within one (the BLUPs take up what clusters
# have in common), while a new cluster is predicted from the between one. The cluster means let the trees learn
# the two apart. Columns constant within clusters (their mean is the column itself) or whose cluster means do
# not vary are left out. (A covariate whose cluster means vary little can still carry the most between-cluster
# information: PBC's follow-up time, whose patient means say who was followed long. So no column is dropped for
# varying little; `between = FALSE` drops them all where they only cost the trees time.)
#
# At prediction: a row of a cluster seen in training gets that cluster's training means; the rows of a new
# cluster get the means over its rows in `newdata` (grouped by the grouping factor; without it, each row is a
# cluster of its own).

# The between columns of the training design: which ones exist (spec), the m x k matrix of the training clusters'
# means, and the n x k columns themselves. x: the encoded row covariates (n x p), cluster: 0-based codes.
between_design <- function(features, x, cluster, m) {
  spec <- list()
  cols <- list()
  for (j in seq_along(features)) {
    info <- features[[j]]
    parts <- if (info$type == "factor") {
      if (length(info$levels) < 2L) next
      lapply(seq_along(info$levels)[-1L], function(k) list(code = k - 1L, level = info$levels[k]))
    } else {
      list(list(code = NA_integer_, level = NULL))
    }
    for (p in parts) {
      v <- between_source(x[, j], p$code)
      means <- group_means(v, cluster + 1L, m)
      at_rows <- means[cluster + 1L]
      ok <- !is.na(v)
      if (all(abs(v[ok] - at_rows[ok]) <= 1e-10 * (1 + abs(v[ok])))) next   # constant within clusters
      if (length(unique(means[!is.na(means)])) < 2L) next                    # the same in every cluster
      label <- if (is.null(p$level)) paste0(names(features)[j], " (cluster mean)")
               else paste0(names(features)[j], " = ", p$level, " (cluster share)")
      spec[[label]] <- list(source = names(features)[j], code = p$code, level = p$level)
      cols[[label]] <- means
    }
  }
  means <- if (length(cols)) do.call(cbind, cols) else matrix(0, m, 0L)
  list(spec = spec, means = means, x = means[cluster + 1L, , drop = FALSE])
}

# The values whose cluster mean a between column is: the covariate itself, or the indicator of factor code `code`.
between_source <- function(v, code) if (is.na(code)) as.double(v) else as.double(v == code)

# Mean of v in each of k groups (1-based codes g), ignoring NA; NA for a group without a value.
group_means <- function(v, g, k) {
  ok <- !is.na(v)
  s <- tabulate(g[ok], k)
  tot <- numeric(k)
  if (any(ok)) {
    sums <- rowsum(v[ok], g[ok])
    tot[as.integer(rownames(sums))] <- sums[, 1L]
  }
  out <- tot / s
  out[s == 0L] <- NA_real_
  out
}

# The features info entries of the between columns (numeric columns that remember their source).
between_features <- function(spec) {
  lapply(spec, function(s) list(type = "numeric", levels = NULL, between = s))
}

is_between <- function(info) !is.null(info$between)

# The variables a covariate label reads ("log(x)" -> "x"); none for a between column (matched by its label).
label_vars <- function(features) {
  lapply(seq_along(features), function(j) {
    if (is_between(features[[j]])) character(0)
    else all.vars(str2lang(feature_source(names(features)[j], features[[j]])))
  })
}

# The row-level covariates among a fit's (or frame's) features: those read from the data.
row_features <- function(features) features[!vapply(features, is_between, logical(1))]

# The between columns for new rows. x_rows: their encoded row covariates (columns as row_features(features)),
# known: training cluster code per row (-1 for a new cluster), group: what groups the rows of new clusters.
between_newdata <- function(object, x_rows, known, group) {
  spec <- lapply(Filter(is_between, object$features), `[[`, "between")
  n <- nrow(x_rows)
  out <- matrix(0, n, length(spec))
  if (!length(spec)) return(out)
  rows <- names(row_features(object$features))
  new <- known < 0L
  grp <- as.character(group[new])
  grp[is.na(grp)] <- paste0(".gbmixed.na.", which(is.na(grp)))   # a row of an NA cluster is a cluster of its own
  g <- as.integer(factor(grp))
  for (k in seq_along(spec)) {
    if (any(!new)) out[!new, k] <- object$between_means[known[!new] + 1L, k]
    if (any(new)) {
      v <- between_source(x_rows[new, match(spec[[k]]$source, rows)], spec[[k]]$code)
      out[new, k] <- group_means(v, g, max(g))[g]
    }
  }
  out
}
