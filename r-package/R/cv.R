#' Cross-validate the number of boosting rounds of a gbmixed model
#'
#' Splits the clusters into folds, fits the model once per fold on the other folds and records, after every
#' round, the validation loss of the held-out fold (its clusters scored as new clusters, as for `validation` in
#' [gbmixed_control()]; by default the squared error of its population-level predictions, see
#' `early_stopping_metric`). The mean of these curves over the folds gives the number of rounds to use. (Early
#' stopping on the honest folds, `early_stopping_rounds` without `validation`, does the same within one fit.)
#'
#' Folds are groups of whole clusters, so the loss measures prediction for new clusters. They are drawn from
#' the seed of `control` (or, when it is `NULL`, from R's random number generator, so [set.seed()] reproduces
#' them), or given by `folds`. Every fold is fitted with the same settings and seed; folds run one after the
#' other (the engine uses several threads within a fit, see `threads` in [gbmixed_control()]). With
#' `early_stopping_rounds` in `control` each fold stops on its own loss, and the mean curve covers the rounds
#' every fold ran. To fit the final model, pass the best number of rounds to [gbmixed()]:
#' `gbmixed(..., control = gbmixed_control(nrounds = cv$best_nrounds, ...))`.
#'
#' @param formula,data as for [gbmixed()].
#' @param ... further arguments of [gbmixed()]: `dispformula`, `covformula`, `treatment`, `weights` and
#'   `control` (whose `validation` must be 0: the folds are the validation data).
#' @param nfolds number of folds, a whole number from 2 to the number of clusters (ignored when `folds` is
#'   given).
#' @param folds `NULL`, or the folds: a vector with one fold id per row of `data` that is constant within each
#'   cluster, or a list of character vectors of cluster levels (disjoint; clusters in no fold are always used
#'   for training).
#' @return An object of class `"cv_gbmixed"`: a list with `loss`, a data frame with one row per round
#'   (`round`, from 0; `mean` and `sd` over the folds of the validation loss per row; `train`, the mean
#'   training loss per row), `fold_loss` and `fold_train_loss` (one column per fold; `NA` after a fold stopped
#'   early), `best_nrounds` and `best_loss` (the round with the lowest mean validation loss and that loss),
#'   `folds` (the cluster levels of each fold), `fold_nobs`, `seed` and `control`. It has `print()` and
#'   `plot()` methods.
#' @seealso [gbmixed()], [plot.cv_gbmixed()]
#' @export
#' @examples
#' cv <- cv_gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, nfolds = 3,
#'                  control = gbmixed_control(nrounds = 60, learning_rate = 0.2, min_leaf = 10,
#'                                            seed = 1))
#' cv
#' plot(cv)
#' cv$best_nrounds
cv_gbmixed <- function(formula, data, ..., nfolds = 5, folds = NULL) {
  call <- match.call()
  require_engine()
  env <- parent.frame()
  dots <- match.call(expand.dots = FALSE)$...
  args <- lapply(seq_along(dots), function(i) {
    nm <- names(dots)[i]
    if (!is.null(nm) && nm %in% c("weights", "treatment")) column_or_value(dots[[i]], data, env, nm)
    else eval(dots[[i]], env)
  })
  names(args) <- names(dots)
  allowed <- c("dispformula", "covformula", "treatment", "weights", "control")
  nm <- names(args) %||% rep("", length(args))
  bad <- nm[!nm %in% allowed]
  if (length(bad)) {
    stop_arg("cv_gbmixed() passes only ", paste0("`", allowed, "`", collapse = ", "), " on to gbmixed(), not ",
             paste0(ifelse(nzchar(bad), paste0("`", bad, "`"), "an unnamed argument"), collapse = ", "), ".")
  }
  control <- as_gbmixed_control(args$control %||% gbmixed_control())
  if (control$validation > 0) {
    stop_arg("cv_gbmixed() holds out each fold in turn: leave `validation` at 0 in the control settings.")
  }
  prep <- prepare_gbmixed(formula, data, args$dispformula %||% ~1, args$covformula %||% ~1, args$treatment,
                          args$weights, control)
  frame <- prep$frame
  group <- prep$parsed$group
  seed <- control$seed %||% sample.int(.Machine$integer.max, 1L)
  fold_of <- make_cluster_folds(frame, folds, nfolds, seed, group, nrow(data))   # fold (1..K or 0) per cluster
  K <- max(fold_of)

  curves <- train_curves <- vector("list", K)
  fold_nobs <- integer(K)
  for (k in seq_len(K)) {
    in_fold <- fold_of[frame$cluster + 1L] == k
    train <- subset_frame(frame, which(!in_fold))
    valid <- subset_frame(frame, which(in_fold))
    valid$source <- paste0("fold ", k, " of ", K)
    if (isTRUE(control$verbose)) message("fold ", k, " of ", K)
    fit <- fit_gbmixed_frames(prep, train, valid, control, seed, call, warn_interrupt = FALSE)
    if (isTRUE(fit$interrupted)) stop("cv_gbmixed() was interrupted in fold ", k, " of ", K, ".", call. = FALSE)
    curves[[k]] <- fit$valid_loss / valid$nobs
    train_curves[[k]] <- fit$loss / train$nobs
    fold_nobs[k] <- valid$nobs
  }
  len <- max(lengths(curves))
  pad <- function(v) c(v, rep(NA_real_, len - length(v)))
  fold_loss <- vapply(curves, pad, numeric(len))
  fold_train <- vapply(train_curves, pad, numeric(len))
  fold_loss <- matrix(fold_loss, len, K, dimnames = list(NULL, paste0("fold", seq_len(K))))
  fold_train <- matrix(fold_train, len, K, dimnames = list(NULL, paste0("fold", seq_len(K))))
  complete <- seq_len(min(lengths(curves)))
  mean_loss <- rowMeans(fold_loss)
  sd_loss <- apply(fold_loss, 1L, stats::sd)
  mean_loss[-complete] <- NA_real_
  sd_loss[-complete] <- NA_real_
  best <- which.min(mean_loss)
  structure(list(
    call = call,
    formula = prep$parsed$formula,
    group = group,
    nfolds = K,
    loss = data.frame(round = seq_len(len) - 1L, mean = mean_loss, sd = sd_loss,
                      train = rowMeans(fold_train)),
    fold_loss = fold_loss,
    fold_train_loss = fold_train,
    best_nrounds = best - 1L,
    best_loss = mean_loss[best],
    folds = lapply(seq_len(K), function(k) frame$cluster_levels[fold_of == k]),
    fold_nobs = fold_nobs,
    seed = seed,
    control = control
  ), class = "cv_gbmixed")
}

# The fold (1..K) of every cluster of the frame (0: in no fold, always trained on).
make_cluster_folds <- function(frame, folds, nfolds, seed, group, nrow_data) {
  levels <- frame$cluster_levels
  m <- length(levels)
  if (is.null(folds)) {
    check_whole(nfolds, "nfolds", min = 2, max = m)
    fold_of <- with_seed(seed, sample(rep_len(seq_len(nfolds), m)))
  } else if (is.list(folds)) {
    sets <- lapply(folds, function(s) as.character(s))
    if (length(sets) < 2L) stop_arg("`folds` must list at least 2 sets of clusters, not ", length(sets), ".")
    all_ids <- unlist(sets)
    unknown <- setdiff(all_ids, levels)
    if (length(unknown)) {
      stop_arg("`folds` names ", length(unknown), if (length(unknown) == 1L) " level" else " levels", " of `",
               group, "` not in `data`: ", format_levels(unknown), ".")
    }
    dup <- unique(all_ids[duplicated(all_ids)])
    if (length(dup)) stop_arg("the sets of `folds` must be disjoint; ", format_levels(dup), " appear in several.")
    empty <- which(lengths(sets) == 0L)
    if (length(empty)) stop_arg("fold ", empty[1L], " of `folds` is empty.")
    fold_of <- integer(m)
    for (k in seq_along(sets)) fold_of[match(sets[[k]], levels)] <- k
  } else {
    if (length(folds) != nrow_data || anyNA(folds)) {
      stop_arg("`folds` must be NULL, a list of sets of clusters, or a vector of fold ids with one value per ",
               "row of `data` (", nrow_data, ") and no NA; not ", show_value(folds), ".")
    }
    f <- factor(folds)
    ids <- as.integer(f)
    first <- match(seq_len(m) - 1L, frame$cluster)
    per_cluster <- ids[first]
    varies <- unique(frame$cluster[ids != per_cluster[frame$cluster + 1L]])
    if (length(varies)) {
      stop_arg("`folds` must be constant within each cluster of `", group, "`; it varies within ",
               length(varies), " (e.g. ", format_levels(levels[varies + 1L], max = 3L), ").")
    }
    if (nlevels(f) < 2L) stop_arg("`folds` has ", nlevels(f), " fold; cross-validation needs at least 2.")
    fold_of <- per_cluster
  }
  K <- max(fold_of)
  for (k in seq_len(K)) {
    if (sum(fold_of != k) < 2L) {
      stop_arg("fold ", k, " leaves ", sum(fold_of != k), " cluster of `", group, "` to train on; each fit ",
               "needs at least 2.")
    }
  }
  as.integer(fold_of)
}

#' @rdname cv_gbmixed
#' @param x a `"cv_gbmixed"` object.
#' @param digits number of significant digits.
#' @export
print.cv_gbmixed <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  check_dots(...)
  cat(x$nfolds, "-fold cross-validation of a gbmixed model (folds of clusters of ", x$group, ")\n", sep = "")
  cat(" Formula:", deparse1(x$formula), "\n")
  sizes <- lengths(x$folds)
  cat(" Clusters per fold: ", paste(sizes, collapse = ", "), "; rows per fold: ", paste(x$fold_nobs, collapse = ", "),
      "\n", sep = "")
  cat(" Learner: ", x$control$learner, ", learning rate ", format(x$control$learning_rate), ", up to ",
      x$control$nrounds, " rounds (seed ", format(x$seed, scientific = FALSE), ")\n", sep = "")
  l <- x$loss
  b <- x$best_nrounds + 1L
  metric <- switch(x$control$early_stopping_metric %||% "nll", mse = "squared error", nll = "NLL",
                   rowwise = "row-wise NLL")
  cat(" Validation loss (", metric, " per row): ", format(l$mean[1L], digits = digits + 2L), " at round 0, ",
      format(l$mean[b], digits = digits + 2L), " (sd over folds ", format(l$sd[b], digits = digits), ") at the ",
      "best round\n", sep = "")
  cat(" Best nrounds: ", x$best_nrounds,
      if (x$best_nrounds == 0L) " (boosting did not improve on the constant-mean mixed model; nrounds = 0 fits that)",
      "\n", sep = "")
  invisible(x)
}

#' Plot the cross-validated loss curve
#'
#' The validation loss (negative log-likelihood per row) of every fold (thin lines), their mean (thick line)
#' with a band of plus and minus one standard deviation over the folds, and the best number of rounds
#' (dashed vertical line); base graphics.
#'
#' @param x a `"cv_gbmixed"` object.
#' @param train `TRUE` to add the mean training loss (dotted line).
#' @param ... further graphical parameters passed to [graphics::plot()].
#' @return `x`, invisibly.
#' @seealso [cv_gbmixed()]
#' @export
#' @examples
#' cv <- cv_gbmixed(Reaction ~ Days + (1 | Subject), lme4::sleepstudy, nfolds = 3,
#'                  control = gbmixed_control(nrounds = 40, learning_rate = 0.2, seed = 1))
#' plot(cv, train = TRUE)
plot.cv_gbmixed <- function(x, train = FALSE, ...) {
  l <- x$loss
  r <- l$round
  band <- cbind(l$mean - l$sd, l$mean + l$sd)
  ylim <- range(c(x$fold_loss, band, if (train) l$train), na.rm = TRUE, finite = TRUE)
  args <- utils::modifyList(list(x = r, y = l$mean, type = "n", ylim = ylim, xlab = "boosting round",
                                 ylab = "validation loss (NLL per row)",
                                 main = paste0(x$nfolds, "-fold cross-validation")), list(...))
  do.call(graphics::plot, args)
  ok <- !is.na(band[, 1L])
  if (any(ok)) {
    graphics::polygon(c(r[ok], rev(r[ok])), c(band[ok, 1L], rev(band[ok, 2L])),
                      col = grDevices::adjustcolor("steelblue", alpha.f = 0.2), border = NA)
  }
  graphics::matlines(r, x$fold_loss, col = "grey60", lty = 1, lwd = 1)
  graphics::lines(r, l$mean, col = "steelblue4", lwd = 2)
  if (train) graphics::lines(r, l$train, col = "black", lty = 3, lwd = 1.5)
  graphics::abline(v = x$best_nrounds, lty = 2)
  graphics::legend("topright", bty = "n",
                   legend = c("folds", "mean +- sd", if (train) "training", paste0("best: ", x$best_nrounds)),
                   col = c("grey60", "steelblue4", if (train) "black", "black"),
                   lty = c(1, 1, if (train) 3, 2), lwd = c(1, 2, if (train) 1.5, 1))
  invisible(x)
}
