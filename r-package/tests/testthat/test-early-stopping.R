# Validation data, early stopping and the kept (best) model.

es_data <- sim_clustered(40, 8, seed = 71)
es_valid <- sim_clustered(15, 8, seed = 72, prefix = "v")
es_ctl <- function(...) gbmixed_control(nrounds = 300, learning_rate = 0.3, min_leaf = 10, seed = 3,
                                        progress = FALSE, ...)
es_fit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), es_data, validation_data = es_valid,
                  control = es_ctl(early_stopping_rounds = 5, early_stopping_metric = "nll"))

test_that("early stopping on validation_data stops, keeps the best round and records both curves", {
  expect_true(es_fit$stopped_early)
  expect_lt(es_fit$rounds_run, 300L)
  expect_identical(es_fit$nrounds, es_fit$best_round)
  expect_identical(es_fit$rounds_run - es_fit$best_round, 5L)
  expect_length(es_fit$loss, es_fit$rounds_run + 1L)
  expect_length(es_fit$valid_loss, es_fit$rounds_run + 1L)
  # the best round is where the validation loss is lowest
  expect_identical(which.min(es_fit$valid_loss) - 1L, es_fit$best_round)
  expect_identical(es_fit$validation$nobs, nrow(es_valid))
  expect_identical(es_fit$validation$nclusters, 15L)
  expect_identical(es_fit$validation$source, "validation_data")
  # training uses every row of data
  expect_identical(es_fit$nobs, nrow(es_data))
  expect_null(es_fit$train_rows)
})

test_that("the kept model is the model of the best round: the same as a fit with nrounds = best_round", {
  refit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), es_data,
                   control = gbmixed_control(nrounds = es_fit$best_round, learning_rate = 0.3, min_leaf = 10,
                                             seed = 3, progress = FALSE))
  expect_equal(predict(es_fit, es_data), predict(refit, es_data), tolerance = 1e-12)
  expect_equal(fitted(es_fit), fitted(refit), tolerance = 1e-12)
  expect_equal(es_fit$ranef, refit$ranef, tolerance = 1e-12)
  expect_equal(as.numeric(logLik(es_fit)), as.numeric(logLik(refit)), tolerance = 1e-12)
  # the training loss of the refit is the start of the early-stopped fit's curve
  expect_equal(refit$loss, es_fit$loss[seq_len(es_fit$best_round + 1L)], tolerance = 1e-12)
  # the validation curve is the held-out marginal NLL: -heldout_loglik - N/2 log(2 pi) at the kept round
  ll <- gbmixed:::heldout_loglik(es_fit, es_valid)
  expect_equal(es_fit$valid_loss[es_fit$best_round + 1L], -ll - nrow(es_valid) / 2 * log(2 * pi),
               tolerance = 1e-8)
})

test_that("predict uses the best round, or an earlier one; a later one is a clear error", {
  expect_identical(predict(es_fit, es_data, nrounds = es_fit$best_round), predict(es_fit, es_data))
  expect_error(predict(es_fit, es_data, nrounds = es_fit$rounds_run),
               paste0("keeps the model up to round ", es_fit$best_round, ", the best validation round of the ",
                      es_fit$rounds_run, " rounds run"))
  expect_error(predict(es_fit, nrounds = 1.5), "`nrounds` must be a single whole number")
})

test_that("print, summary and glance show the rounds run, the best round and both losses", {
  out <- capture.output(print(es_fit))
  expect_match(out, paste0("Rounds: ", es_fit$rounds_run, " of 300 run \\(stopped early: 5 rounds"), all = FALSE)
  expect_match(out, paste0("lowest loss at round ", es_fit$best_round, ", the model kept"), all = FALSE)
  expect_match(out, "Loss per row at round [0-9]+: training NLL -?[0-9.]+, validation NLL -?[0-9.]+", all = FALSE)
  expect_output(print(summary(es_fit)), "stopped early")
  g <- glance(es_fit)
  expect_identical(g$best_round, es_fit$best_round)
  expect_identical(g$rounds_run, es_fit$rounds_run)
  expect_equal(g$valid_loss, es_fit$valid_loss[es_fit$best_round + 1L] / nrow(es_valid))
})

test_that("validation = fraction holds out clusters drawn from the seed, without touching R's RNG", {
  ctl <- gbmixed_control(nrounds = 20, learning_rate = 0.2, min_leaf = 10, seed = 9, validation = 0.25,
                         progress = FALSE)
  set.seed(5)
  before <- .Random.seed
  f1 <- gbmixed(y ~ x1 + x2 + (1 | id), es_data, control = ctl)
  expect_identical(.Random.seed, before)
  f2 <- gbmixed(y ~ x1 + x2 + (1 | id), es_data, control = ctl)
  expect_identical(f1$validation$clusters, f2$validation$clusters)
  expect_identical(f1$model_bytes, f2$model_bytes)
  expect_length(f1$validation$clusters, 10L)
  expect_identical(f1$validation$source, "held-out clusters")
  # held-out clusters are not in the fit but stay clusters of it: they come after the training clusters, with
  # BLUPs from the final model, here G / (G + sigma^2 / n_i) times their mean residual
  expect_identical(tail(f1$cluster_levels, 10L), f1$validation$clusters)
  expect_length(f1$cluster_levels, 40L)
  for (h in f1$validation$clusters[c(1, 10)]) {
    rows <- es_data[es_data$id == h, ]
    r <- rows$y - predict(f1, rows, type = "fixed")
    G <- VarCorr(f1)$id[1, 1]
    expect_equal(ranef(f1)$id[h, 1], G / (G + sigma(f1)^2 / nrow(rows)) * mean(r), tolerance = 1e-10)
    expect_equal(predict(f1, rows), predict(f1, rows, type = "fixed") + ranef(f1)$id[h, 1], tolerance = 1e-12)
  }
  expect_identical(f1$nobs, 30L * 8L)
  expect_identical(f1$train_rows, which(!es_data$id %in% f1$validation$clusters))
  # without early stopping the curve is recorded and the last round is kept
  expect_identical(f1$nrounds, 20L)
  expect_length(f1$valid_loss, 21L)
  expect_false(f1$stopped_early)
  expect_output(print(f1), "model kept: round 20, as early stopping is off")
  # the same held-out clusters given as validation_data give the same fit
  held <- es_data$id %in% f1$validation$clusters
  f3 <- gbmixed(y ~ x1 + x2 + (1 | id), droplevels(es_data[!held, ]), validation_data = es_data[held, ],
                control = gbmixed_control(nrounds = 20, learning_rate = 0.2, min_leaf = 10, seed = 9,
                                          progress = FALSE))
  expect_equal(f3$valid_loss, f1$valid_loss, tolerance = 1e-10)
  expect_equal(fitted(f3), fitted(f1), tolerance = 1e-12)
  # another seed holds out other clusters
  f4 <- gbmixed(y ~ x1 + x2 + (1 | id), es_data,
                control = gbmixed_control(nrounds = 5, seed = 10, validation = 0.25, progress = FALSE))
  expect_false(identical(f4$validation$clusters, f1$validation$clusters))
})

test_that("the default metric is the squared error of population predictions; honest folds need no held-out data", {
  fm <- gbmixed(y ~ x1 + x2 + (1 | id), es_data, validation_data = es_valid, control = es_ctl(early_stopping_rounds = 5))
  expect_identical(fm$control$early_stopping_metric, "mse")
  sse <- sum((es_valid$y - predict(fm, es_valid, allow.new.levels = TRUE))^2)
  expect_equal(fm$valid_loss[fm$best_round + 1L], sse, tolerance = 1e-10)
  fr <- gbmixed(y ~ x1 + x2 + (1 | id), es_data, validation_data = es_valid,
                control = es_ctl(early_stopping_rounds = 5, early_stopping_metric = "rowwise", honest_folds = 0))
  p <- predict(fr, es_valid, allow.new.levels = TRUE, interval = "prediction", level = 0.5)
  v <- ((p$upr - p$fit) / qnorm(0.75))^2       # G + sigma^2 (no honest folds: no jackknife term)
  expect_equal(fr$valid_loss[fr$best_round + 1L], -sum(dnorm(es_valid$y, p$fit, sqrt(v), log = TRUE)),
               tolerance = 1e-10)
  # early stopping on the honest folds' out-of-fold loss: no clusters held out, every cluster in the fit
  fh <- gbmixed(y ~ x1 + x2 + (1 | id), es_data, control = es_ctl(early_stopping_rounds = 5))
  expect_true(fh$stopped_early)
  expect_identical(fh$validation$source, "honest folds")
  expect_identical(fh$nobs, nrow(es_data))
  expect_identical(fh$nrounds, fh$best_round)
  expect_identical(fh$best_round, which.min(fh$valid_loss) - 1L)
})

test_that("validation errors and warnings name the problem", {
  f <- y ~ x1 + (1 | id)
  expect_error(gbmixed(f, es_data, control = es_ctl(early_stopping_rounds = 3, honest_folds = 0)),
               "`early_stopping_rounds` needs held-out clusters")
  expect_error(gbmixed(f, es_data, validation_data = es_valid, control = es_ctl(validation = 0.2)),
               "give held-out clusters one way")
  expect_error(gbmixed(f, es_data, control = es_ctl(validation = 0.02)),
               "`validation` = 0.02 holds out 1 of the 40 clusters.*at least 2 held-out clusters")
  expect_error(gbmixed(f, es_data, validation_data = es_valid[0, ], control = es_ctl()),
               "`validation_data` has no rows")
  expect_error(gbmixed(f, es_data, validation_data = es_valid[, c("x1", "id")], control = es_ctl()),
               "column `y` not found in `validation_data`")
  v <- es_valid
  v$x1[2] <- Inf
  expect_error(gbmixed(f, es_data, validation_data = v, control = es_ctl()), "infinite values in covariate `x1`")
  v <- es_valid
  v$y[1:2] <- NA
  expect_error(gbmixed(f, es_data, validation_data = v, control = es_ctl()),
               "NA.*`validation_data`.*`y` \\(2 rows\\)")
  v <- es_valid
  v$g[1] <- "unseen"
  expect_error(gbmixed(y ~ x1 + g + (1 | id), es_data, validation_data = v, control = es_ctl()),
               "covariate `g` in `validation_data` has a level not seen in training: \"unseen\"")
  expect_error(gbmixed(f, es_data, validation_data = es_valid, weights = rep(1, 320), control = es_ctl()),
               "give `weights` as the name of a column")
  expect_warning(gbmixed(f, es_data, validation_data = es_data[1:40, ],
                         control = gbmixed_control(nrounds = 3, seed = 1, progress = FALSE)),
                 "5 of its 5 clusters of `id` also in `data`.*treats every validation cluster as new")
})

test_that("validation works for the variance variants and survives saveRDS", {
  d <- es_data
  d$w <- as.numeric(substring(d$id, 2)) %% 4
  v <- es_valid
  v$w <- as.numeric(substring(v$id, 2)) %% 4
  fit <- gbmixed(y ~ x1 + x2 + (1 | id), d, dispformula = ~ x2, covformula = ~ w, validation_data = v,
                 control = gbmixed_control(nrounds = 40, learning_rate = 0.2, min_leaf_cov = 5, seed = 2,
                                           early_stopping_rounds = 5, progress = FALSE))
  expect_identical(fit$variant, "GRBoost")
  expect_true(all(is.finite(fit$valid_loss)))
  f <- tempfile(fileext = ".rds")
  on.exit(unlink(f))
  saveRDS(fit, f)
  back <- readRDS(f)
  expect_identical(predict(back, v, allow.new.levels = TRUE, interval = "prediction"),
                   predict(fit, v, allow.new.levels = TRUE, interval = "prediction"))
  expect_identical(back$best_round, fit$best_round)
})
