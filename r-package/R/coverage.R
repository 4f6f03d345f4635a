# interval_coverage(): how often prediction intervals cover held-out responses, and its calibration plot.

#' Coverage of prediction intervals on held-out data
#'
#' For each nominal level, the share of the rows of `newdata` whose response lies inside its prediction
#' interval ([predict.gbmixed()] with `interval = "prediction"`): the calibration table of a report. Rows of
#' clusters the fit has not seen get the interval of a new cluster (from \eqn{G(w)} and \eqn{R(x)}); rows of
#' training clusters the conditional one (from the BLUP and its conditional variance).
#'
#' Rows of one cluster are not independent, so the standard error of each coverage is computed from the cluster
#' totals (a ratio estimator over clusters): \eqn{\mathrm{se}^2 = \frac{m}{m - 1} \sum_i (c_i - \hat p\, n_i)^2
#' / (\sum_i n_i)^2}{se^2 = m / (m - 1) sum_i (c_i - p n_i)^2 / (sum_i n_i)^2}, with \eqn{c_i} the covered
#' rows of cluster \eqn{i}. `lwr` and `upr` are \eqn{\hat p \pm 1.96\,\mathrm{se}}{p +- 1.96 se}, cut to
#' \[0, 1\].
#'
#' @param object a fitted `"gbmixed"` object.
#' @param newdata held-out rows with the response and every covariate of the fit, typically of clusters that
#'   were not used in the fit.
#' @param level nominal levels, numbers in (0, 1).
#' @param nrounds passed to [predict.gbmixed()].
#' @return A data frame of class `"gbmixed_coverage"` with one row per level: `level`, `coverage` (observed),
#'   `se`, `lwr`, `upr`, `width` (mean interval width), `rows`, `clusters`, `new_clusters` (how many of them the
#'   fit had not seen). It prints as a data frame (and with [knitr::kable()] in a report); [plot()] draws the
#'   calibration plot, observed against nominal coverage.
#' @seealso [predict.gbmixed()]
#' @export
#' @examples
#' d <- lme4::sleepstudy
#' held <- d$Subject %in% c("308", "335", "351", "371")
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), d[!held, ],
#'                control = gbmixed_control(learner = "linear", learning_rate = 1))
#' cov <- interval_coverage(fit, d[held, ])
#' cov
#' plot(cov)
interval_coverage <- function(object, newdata, level = c(0.5, 0.8, 0.9, 0.95), nrounds = NULL) {
  if (!inherits(object, "gbmixed")) stop_arg("`object` must be a gbmixed fit, not ", show_value(object), ".")
  check_is_data_frame(newdata, "newdata")
  if (!nrow(newdata)) stop_arg("`newdata` has no rows.")
  if (!is.numeric(level) || !length(level) || anyNA(level) || any(level <= 0 | level >= 1)) {
    stop_arg("`level` must be numbers in (0, 1), not ", show_value(level), ".")
  }
  yname <- all.vars(object$formula[[2L]])
  check_columns_exist(newdata, yname, "newdata")
  y <- eval(object$formula[[2L]], newdata, environment(object$formula))
  if (!is.numeric(y) || anyNA(y)) {
    stop_arg("the response `", deparse(object$formula[[2L]]), "` of `newdata` must be numeric without NA.")
  }
  id <- as.character(newdata[[object$group]])
  level <- sort(unique(level))
  out <- lapply(level, function(l) {
    p <- stats::predict(object, newdata, allow.new.levels = TRUE, interval = "prediction", level = l,
                        nrounds = nrounds)
    covered <- y >= p$lwr & y <= p$upr
    c(coverage_se(covered, id), width = mean(p$upr - p$lwr))
  })
  out <- as.data.frame(do.call(rbind, out))
  clusters <- unique(id)
  res <- data.frame(level = level, coverage = out$p, se = out$se,
                    lwr = pmax(0, out$p - 1.96 * out$se), upr = pmin(1, out$p + 1.96 * out$se),
                    width = out$width, rows = length(y), clusters = length(clusters),
                    new_clusters = sum(!clusters %in% object$cluster_levels))
  class(res) <- c("gbmixed_coverage", "data.frame")
  res
}

# Share of covered rows and its standard error from the cluster totals (ratio estimator over clusters).
coverage_se <- function(covered, id) {
  n_i <- tapply(rep(1, length(id)), id, sum)
  c_i <- tapply(as.numeric(covered), id, sum)
  p <- sum(c_i) / sum(n_i)
  m <- length(n_i)
  se <- if (m > 1L) sqrt(m / (m - 1) * sum((c_i - p * n_i)^2)) / sum(n_i) else NA_real_
  c(p = p, se = se)
}

#' @rdname interval_coverage
#' @param x a `"gbmixed_coverage"` table.
#' @param main,xlab,ylab title and axis labels.
#' @param ... further graphical parameters passed to [plot()].
#' @export
plot.gbmixed_coverage <- function(x, main = "Calibration of prediction intervals",
                                  xlab = "nominal coverage", ylab = NULL, ...) {
  if (is.null(ylab)) {
    ylab <- if (all(x$new_clusters == x$clusters)) "observed coverage (held-out clusters)" else "observed coverage"
  }
  op <- graphics::par(mar = c(4, 4, 3.5, 1), mgp = c(2.2, 0.7, 0))
  on.exit(graphics::par(op))
  lim <- c(max(0, min(x$level, x$lwr, x$coverage, na.rm = TRUE) - 0.1), 1)
  graphics::plot(x$level, x$coverage, xlim = lim, ylim = lim, pch = 19, xlab = xlab, ylab = ylab, main = main,
                 ...)
  graphics::abline(0, 1, lty = 2, col = "grey40")
  ok <- is.finite(x$lwr) & x$upr > x$lwr
  if (any(ok)) {
    graphics::arrows(x$level[ok], x$lwr[ok], x$level[ok], x$upr[ok], angle = 90, code = 3, length = 0.04)
  }
  graphics::text(x$level, x$coverage, sprintf("%.0f%%", 100 * x$coverage), pos = 4, cex = 0.8, offset = 0.6)
  graphics::legend("bottomright", c("observed (+- 1.96 se, by cluster)", "nominal"), pch = c(19, NA),
                   lty = c(NA, 2), col = c("black", "grey40"), bty = "n", cex = 0.85)
  graphics::mtext(sprintf("%d rows in %d clusters (%d new to the fit)", x$rows[1L], x$clusters[1L],
                          x$new_clusters[1L]), side = 3, line = 0.2, cex = 0.75)
  invisible(x)
}

#' @export
print.gbmixed_coverage <- function(x, digits = 3L, ...) {
  cat("Coverage of prediction intervals:", x$rows[1L], "rows in", x$clusters[1L], "clusters,",
      x$new_clusters[1L], "of them new to the fit\n")
  y <- as.data.frame(unclass(x))[c("level", "coverage", "se", "lwr", "upr", "width")]
  print(format(y, digits = digits), row.names = FALSE, ...)
  invisible(x)
}
