# plot() for gbmixed fits, in base graphics.

#' Plot a gbmixed fit
#'
#' Diagnostic and interpretation plots in base graphics:
#' \describe{
#'   \item{`"loss"`}{the training negative log-likelihood per row after each boosting round, with the
#'     validation loss when the fit held out clusters (`validation` in [gbmixed_control()]) and the round
#'     used by the model (the best validation round with early stopping) marked.}
#'   \item{`"importance"`}{one bar chart of [importance()] per boosted part (the mean, and \eqn{R(x)} and
#'     \eqn{G(w)} when they depend on covariates).}
#'   \item{`"variance"`}{the fitted variance functions: \eqn{R(x)} of the training rows against the most
#'     important covariates of `dispformula`, and the variances of \eqn{G(w_i)} of the training clusters
#'     against the most important covariates of `covformula` (log scale). When both parts are constant, a
#'     histogram of the predictive variance \eqn{z^\top G z + R} of the training rows for a new cluster.}
#'   \item{`"effects"`}{[partial_dependence()] curves (exact smooths for component-wise learners) of the
#'     covariates of each boosted part, one panel per covariate and part (for \eqn{G(w)} with several random
#'     effects, one per covariate and log-variance), with a rug of the training values, and for the mean and
#'     the treatment effect of a fit with honest folds a grey 95% jackknife band.}
#'   \item{`"ranef"`}{a caterpillar plot of the BLUPs (as lme4's `dotplot(ranef(fit, condVar = TRUE))`): one
#'     panel per random effect, the clusters sorted by their BLUP, each with its `level` interval from the
#'     conditional variance (see [ranef.gbmixed()]).}
#' }
#'
#' @param x a fitted `"gbmixed"` object.
#' @param which one or more of `"loss"`, `"importance"`, `"variance"`, `"effects"`, `"ranef"`; each is one
#'   figure.
#' @param part the parts shown by `"importance"`, `"variance"` and `"effects"`: any of `"mean"`, `"disp"`,
#'   `"cov"`, `"cate"` (the treatment-effect part); `NULL` for every boosted part.
#' @param vars `NULL`, or the covariates shown by `"effects"` (and by `"variance"`); by default the
#'   `max_vars` most important covariates of each part.
#' @param max_vars maximum number of covariates per part in `"effects"` (and, capped at 2, in `"variance"`).
#' @param n grid size of the effect curves.
#' @param level coverage of the intervals of the caterpillar plot (`"ranef"`).
#' @param ask `TRUE` to wait for a key before each new figure (the default on an interactive device when
#'   several figures are drawn).
#' @param ... further graphical parameters passed to the plotting functions (e.g. `col`).
#' @return `x`, invisibly.
#' @seealso [importance()], [partial_dependence()]
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, dispformula = ~ Days,
#'                control = gbmixed_control(nrounds = 60, learning_rate = 0.1, min_leaf = 10,
#'                                          seed = 1))
#' plot(fit, which = "loss")
#' plot(fit, which = "effects")
plot.gbmixed <- function(x, which = c("loss", "importance", "variance", "effects"), part = NULL,
                         vars = NULL, max_vars = 6L, n = 50L, ask = NULL, level = 0.95, ...) {
  which <- match.arg(which, c("loss", "importance", "variance", "effects", "ranef"), several.ok = TRUE)
  check_number(level, "level", lower = 0, upper = 1, lower_open = TRUE, upper_open = TRUE)
  check_whole(max_vars, "max_vars", min = 1)
  parts <- plot_parts(x, part)
  if (is.null(ask)) ask <- length(which) > 1L && grDevices::dev.interactive()
  if (isTRUE(ask)) {
    old_ask <- grDevices::devAskNewPage(TRUE)
    on.exit(grDevices::devAskNewPage(old_ask), add = TRUE)
  }
  for (w in which) {
    switch(w,
      loss = plot_loss(x, ...),
      importance = plot_importance(x, parts, ...),
      variance = plot_variance(x, parts, vars, max_vars, ...),
      effects = plot_effects(x, parts, vars, max_vars, n, ...),
      ranef = plot_ranef(x, level, ...)
    )
  }
  invisible(x)
}

# Boosted parts with covariates, restricted to `part` if given.
plot_parts <- function(x, part) {
  boosted <- c(mean = length(x$features) > 0L, disp = !is.null(x$disp), cov = !is.null(x$cov),
               cate = !is.null(x$treatment) && length(row_features(x$features)) > 0L)
  if (is.null(part)) return(names(boosted)[boosted])
  bad <- setdiff(part, names(boosted))
  if (length(bad)) {
    stop_arg("`part` must be among \"mean\", \"disp\", \"cov\", \"cate\", not ", show_value(bad), ".")
  }
  not <- part[!boosted[part]]
  if (length(not)) {
    stop_arg("part ", paste0("\"", not, "\"", collapse = ", "), " of this fit was not boosted on covariates; ",
             "its boosted parts are ", paste0("\"", names(boosted)[boosted], "\"", collapse = ", "), ".")
  }
  part
}

part_title <- function(part) {
  switch(part, mean = "Mean f(x)", disp = "Residual variance R(x)", cov = "Random-effects covariance G(w)",
         cate = "Treatment effect tau(x)")
}

# Set up a grid of `k` panels; returns the old par() to restore.
panel_grid <- function(k, mar = c(4, 4, 2.5, 1)) {
  graphics::par(mfrow = grDevices::n2mfrow(k), mar = mar, mgp = c(2.2, 0.7, 0))
}

# ---- loss ----

plot_loss <- function(x, ...) {
  train <- x$loss / x$nobs
  rounds <- seq_along(train) - 1L
  valid <- x$valid_loss
  best <- x$best_round %||% x$nrounds
  vn <- x$validation$nobs
  # validation NLL per row on the same axis when its number of rows is known, else on its own right axis
  same_axis <- length(valid) > 0L && !is.null(vn)
  v <- if (same_axis) valid / vn else valid
  vrounds <- seq_along(valid) - 1L
  op <- graphics::par(mar = c(4, 4, 2.5, if (length(valid) && !same_axis) 4 else 1), mgp = c(2.2, 0.7, 0))
  on.exit(graphics::par(op))
  ylim <- range(train, if (same_axis) v, finite = TRUE)
  graphics::plot(rounds, train, type = "l", lwd = 2, xlim = range(rounds, vrounds), ylim = ylim,
                 xlab = "boosting round", ylab = if (same_axis) "NLL per row" else "training NLL per row",
                 main = "Loss", ...)
  leg <- list(txt = "training", col = "black", lty = 1, lwd = 2)
  add_leg <- function(leg, txt, col, lty, lwd) {
    list(txt = c(leg$txt, txt), col = c(leg$col, col), lty = c(leg$lty, lty), lwd = c(leg$lwd, lwd))
  }
  if (length(valid)) {
    if (same_axis) {
      graphics::lines(vrounds, v, col = "firebrick", lwd = 2)
    } else {
      usr <- graphics::par("usr")
      graphics::par(new = TRUE)
      graphics::plot(vrounds, v, type = "l", col = "firebrick", lwd = 2, axes = FALSE, xlab = "", ylab = "",
                     xlim = usr[1:2], xaxs = "i")
      graphics::axis(4, col.axis = "firebrick")
      graphics::mtext("validation NLL", side = 4, line = 2.2, col = "firebrick")
    }
    leg <- add_leg(leg, "validation", "firebrick", 1, 2)
  }
  if (length(best) == 1L && !is.na(best)) {
    y_best <- if (same_axis && best + 1L <= length(v)) v[best + 1L] else train[min(best + 1L, length(train))]
    if (same_axis || !length(valid)) graphics::points(best, y_best, pch = 19, col = "grey20")
    graphics::abline(v = best, lty = 2, col = "grey40")
    leg <- add_leg(leg, paste0("round used (", best, ")"), "grey40", 2, 1)
  }
  graphics::legend("topright", leg$txt, col = leg$col, lty = leg$lty, lwd = leg$lwd, bty = "n", cex = 0.85)
  invisible()
}

# ---- ranef: caterpillar plot ----

plot_ranef <- function(x, level, ...) {
  b <- x$ranef
  pv <- x$ranef_cov
  q <- ncol(b)
  m <- nrow(b)
  zq <- stats::qnorm(1 - (1 - level) / 2)
  labels <- m <= 60L
  old <- graphics::par(mfrow = c(1L, q), mar = c(4, if (labels) 6 else 3, 2.5, 1), mgp = c(2.2, 0.7, 0))
  on.exit(graphics::par(old))
  for (k in seq_len(q)) {
    se <- sqrt(pmax(0, pv[k, k, ]))
    o <- order(b[, k])
    est <- b[o, k]
    lo <- est - zq * se[o]
    hi <- est + zq * se[o]
    graphics::plot(est, seq_len(m), xlim = range(lo, hi, 0), ylim = c(0.5, m + 0.5), pch = 19, cex = 0.6,
                   yaxt = "n", xlab = paste0("BLUP of ", colnames(b)[k], " (", format(100 * level), "% interval)"),
                   ylab = if (labels) "" else paste0(x$group, " (sorted)"),
                   main = paste0(colnames(b)[k], " | ", x$group), ...)
    graphics::segments(lo, seq_len(m), hi, seq_len(m), col = "grey40")
    graphics::abline(v = 0, lty = 2, col = "grey60")
    if (labels) graphics::axis(2, at = seq_len(m), labels = rownames(b)[o], las = 1, cex.axis = 0.7, tick = FALSE)
  }
  invisible()
}

# ---- importance ----

plot_importance <- function(x, parts, ...) {
  if (!length(parts)) {
    message("no part of this fit has covariates: nothing to show for which = \"importance\".")
    return(invisible())
  }
  labels <- unlist(lapply(parts, function(p) names(part_info(x, p)$features)))
  left <- min(12, max(4, 0.5 * max(nchar(labels))))
  op <- graphics::par(mfrow = c(1L, length(parts)), mar = c(4, left, 2.5, 1), mgp = c(2.2, 0.7, 0))
  on.exit(graphics::par(op))
  for (p in parts) {
    imp <- rev(importance.gbmixed(x, p))
    graphics::barplot(imp, horiz = TRUE, las = 1, xlab = "gain share", main = part_title(p),
                      col = "grey70", border = NA, cex.names = if (length(imp) > 12L) 0.6 else 0.85,
                      cex.main = 0.95, ...)
  }
  invisible()
}

# ---- variance functions ----

# The most important covariates of a part (or the ones asked for in `vars` that belong to it).
top_vars <- function(x, part, vars, max_vars) {
  feats <- part_info(x, part)$features
  labels <- names(feats)
  if (!is.null(vars)) {
    keep <- labels[labels %in% vars | vapply(label_vars(feats), function(v) any(vars %in% v), TRUE)]
    return(keep)
  }
  imp <- importance.gbmixed(x, part)
  ranked <- if (any(imp > 0)) names(imp) else labels
  ranked[seq_len(min(max_vars, length(ranked)))]
}

plot_variance <- function(x, parts, vars, max_vars, ...) {
  panels <- list()
  if ("disp" %in% parts) {
    info <- part_info(x, "disp")
    for (v in top_vars(x, "disp", vars, min(2L, max_vars))) {
      panels[[length(panels) + 1L]] <- list(
        x = decode_column(info, v), y = x$fitted_disp, xlab = v, ylab = "R(x)", main = "Residual variance R(x)")
    }
  }
  if ("cov" %in% parts) {
    info <- part_info(x, "cov")
    for (v in top_vars(x, "cov", vars, min(2L, max_vars))) {
      for (k in seq_along(x$z_names)) {
        panels[[length(panels) + 1L]] <- list(
          x = decode_column(info, v), y = x$G_cluster[k, k, ], xlab = v,
          ylab = paste0("var(", x$z_names[k], ")"), main = "G(w) of the clusters")
      }
    }
  }
  if (!length(panels)) {
    # constant variances: the spread of the predictive variance of the training rows for a new cluster
    zg <- rowSums((x$z %*% x$G) * x$z)
    v <- zg + x$fitted_disp / x$weights
    op <- graphics::par(mar = c(4, 4, 2.5, 1), mgp = c(2.2, 0.7, 0))
    on.exit(graphics::par(op))
    if (diff(range(v)) < 1e-8 * max(abs(v))) {
      graphics::plot.new()
      graphics::title(main = "Predictive variance (new cluster)")
      graphics::text(0.5, 0.5, paste0("constant: z'Gz + R = ", format(v[1L], digits = 4)))
    } else {
      graphics::hist(v, breaks = 30, col = "grey70", border = "white", xlab = "z'Gz + R(x)",
                     main = "Predictive variance (new cluster)", ...)
    }
    return(invisible())
  }
  op <- panel_grid(length(panels))
  on.exit(graphics::par(op))
  for (p in panels) {
    if (is.factor(p$x)) {
      graphics::boxplot(p$y ~ p$x, log = "y", xlab = p$xlab, ylab = p$ylab, main = p$main, col = "grey85", ...)
    } else {
      graphics::plot(p$x, p$y, log = "y", pch = 16, cex = 0.5, col = grDevices::adjustcolor("black", 0.4),
                     xlab = p$xlab, ylab = p$ylab, main = p$main, ...)
    }
  }
  invisible()
}

# A part's training column as the user sees it (a factor for a factor covariate).
decode_column <- function(info, label) {
  k <- match(label, names(info$features))
  feat <- info$features[[k]]
  if (feat$type == "factor") factor(feat$levels[info$x[, k] + 1L], levels = feat$levels) else info$x[, k]
}

# ---- effects ----

plot_effects <- function(x, parts, vars, max_vars, n, ...) {
  # one panel per covariate and part; for G(w), one panel per random effect's log-variance (the
  # correlations of a full G are in partial_dependence() but not drawn)
  todo <- list()
  for (p in parts) {
    for (v in top_vars(x, p, vars, max_vars)) {
      entries <- if (p == "cov" && length(x$z_names) > 1L) cov_entries(x)$labels[seq_along(x$z_names)] else NA
      for (e in entries) todo[[length(todo) + 1L]] <- list(part = p, var = v, entry = e)
    }
  }
  if (!length(todo)) {
    message("no covariates to show for which = \"effects\".")
    return(invisible())
  }
  op <- panel_grid(length(todo))
  on.exit(graphics::par(op))
  cache <- list()
  for (t in todo) {
    key <- paste(t$part, t$var)
    if (is.null(cache[[key]])) cache[[key]] <- partial_dependence.gbmixed(x, t$var, part = t$part, n = n)
    pd <- cache[[key]]
    column <- if (is.na(t$entry)) "estimate" else t$entry
    est <- pd[[column]]
    ylab <- switch(t$part, mean = "f(x)", disp = "log R(x)", cov = if (is.na(t$entry)) "log G(w)" else t$entry,
                   cate = "tau(x)")
    exact <- attr(pd, "method")[[column]] == "exact"
    main <- paste0(switch(t$part, mean = "Mean", disp = "Residual variance", cov = "G(w)", cate = "Treatment effect"),
                   if (exact) " (smooth)" else " (partial dep.)")
    g <- pd[[1L]]
    if (is.factor(g)) {
      at <- seq_along(g)
      graphics::plot(at, est, type = "b", pch = 16, lty = 3, xaxt = "n", xlab = t$var, ylab = ylab,
                     main = main, xlim = c(0.5, length(g) + 0.5), cex.main = 0.95, ...)
      graphics::axis(1, at = at, labels = as.character(g), cex.axis = 0.85)
    } else if (!is.null(pd$lwr) && column == "estimate") {
      # a 95% jackknife band over the honest folds (partial_dependence()'s lwr, upr)
      graphics::plot(g, est, type = "n", ylim = range(pd$lwr, pd$upr, finite = TRUE), xlab = t$var, ylab = ylab,
                     main = main, cex.main = 0.95, ...)
      graphics::polygon(c(g, rev(g)), c(pd$lwr, rev(pd$upr)), col = "grey85", border = NA)
      graphics::lines(g, est, lwd = 2)
    } else {
      graphics::plot(g, est, type = "l", lwd = 2, xlab = t$var, ylab = ylab, main = main, cex.main = 0.95, ...)
    }
    if (!is.factor(g)) {
      info <- part_info(x, t$part)
      raw <- info$x[, match(names(pd)[1L], names(info$features))]
      graphics::rug(if (length(raw) > 1000L) stats::quantile(raw, seq(0, 1, length.out = 1000L)) else raw,
                    col = grDevices::adjustcolor("black", 0.3))
    }
  }
  invisible()
}
