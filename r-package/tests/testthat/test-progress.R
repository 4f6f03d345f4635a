# Progress bar, interruption between chunks, threads.

test_that("the progress bar appears only for fits projected to take more than ~2 seconds", {
  ctl <- gbmixed_control(nrounds = 20, seed = 1, progress = TRUE)
  expect_silent(gbmixed(Reaction ~ Days + (1 | Subject), sleep, control = ctl))
  old <- options(gbmixed.progress_after = 0)
  on.exit(options(old))
  out <- capture.output(gbmixed(Reaction ~ Days + (1 | Subject), sleep, control = ctl))
  expect_match(paste(out, collapse = ""), "100%")
})

test_that("an interrupt between chunks returns the model of the rounds done, and the session stays usable", {
  d <- sim_clustered(30, 8, seed = 111)
  interrupt_after <- function(k) {
    function(done) if (done >= k) stop(structure(class = c("interrupt", "condition"), list(message = "", call = NULL)))
  }
  old <- options(gbmixed.chunk_hook = interrupt_after(3))
  on.exit(options(old))
  expect_warning(
    fit <- gbmixed(y ~ x1 + x2 + (1 | id), d, control = gbmixed_control(nrounds = 5000, seed = 1, progress = FALSE)),
    "interrupted after [0-9]+ of 5000 rounds: returning the model after [0-9]+ rounds"
  )
  options(gbmixed.chunk_hook = NULL)
  expect_true(fit$interrupted)
  expect_gte(fit$nrounds, 3L)
  expect_lt(fit$nrounds, 5000L)
  expect_length(fit$loss, fit$nrounds + 1L)
  expect_output(print(fit), "Rounds: [0-9]+ of 5000 run \\(interrupted\\)")
  # the partial model is whole: it predicts, and equals a fit of that many rounds
  ref <- gbmixed(y ~ x1 + x2 + (1 | id), d,
                 control = gbmixed_control(nrounds = fit$nrounds, seed = 1, progress = FALSE))
  expect_equal(predict(fit, d), predict(ref, d), tolerance = 1e-12)
  # with early stopping the best model so far is kept
  options(gbmixed.chunk_hook = interrupt_after(10))
  es <- suppressWarnings(gbmixed(y ~ x1 + x2 + (1 | id), d,
                                 control = gbmixed_control(nrounds = 5000, seed = 1, validation = 0.2,
                                                           early_stopping_rounds = 1000, progress = FALSE)))
  options(gbmixed.chunk_hook = NULL)
  expect_identical(es$nrounds, es$best_round)
  expect_lte(es$best_round, es$rounds_run)
  # cv_gbmixed stops with an error on an interrupt instead of carrying on with the next fold
  options(gbmixed.chunk_hook = interrupt_after(2))
  expect_error(cv_gbmixed(y ~ x1 + (1 | id), d, nfolds = 2,
                          control = gbmixed_control(nrounds = 5000, seed = 1, progress = FALSE)),
               "interrupted in fold 1 of 2")
  options(gbmixed.chunk_hook = NULL)
  # the engine still works afterwards
  expect_s3_class(gbmixed(y ~ x1 + (1 | id), d, control = quick_control()), "gbmixed")
})

test_that("threads are honoured and do not change the fit (bit-identical)", {
  d <- sim_clustered(60, 10, seed = 112)
  fits <- lapply(c(1, 2, 3), function(k) {
    gbmixed(y ~ x1 + x2 + g + (1 + t | id), d, dispformula = ~ x2,
            control = gbmixed_control(nrounds = 30, learning_rate = 0.1, threads = k, seed = 7, progress = FALSE))
  })
  expect_identical(predict(fits[[1]], d), predict(fits[[2]], d))
  expect_identical(predict(fits[[1]], d), predict(fits[[3]], d))
  expect_identical(fits[[1]]$model_bytes, fits[[2]]$model_bytes)
  cfg <- gbmixed:::make_config(gbmixed_control(threads = 2), 1, nclusters = 10)
  expect_identical(rJava::.jcall(cfg, "I", "threads"), 2L)
  cfg0 <- gbmixed:::make_config(gbmixed_control(), 1, nclusters = 10)
  expect_identical(rJava::.jcall(cfg0, "I", "threads"), 0L)   # 0 = all processors (the engine's default)
})

test_that("above every parallel threshold the fit is identical for 1 and 2 threads (GRBoost, full G(w))", {
  # 2,100 clusters of 10 rows: tree nodes of >= 4,096 rows build their histograms in parallel and the E-step
  # (>= 20,000 rows) runs in cluster blocks, for the mean, the honest folds and both variance parts.
  big <- withr_seed(11, {
    m <- 2100
    id <- rep(seq_len(m), each = 10)
    w <- stats::runif(m, -1, 1)
    x1 <- stats::runif(m * 10, -2, 2)
    x2 <- stats::runif(m * 10, -1, 1)
    t <- stats::runif(m * 10)
    b0 <- stats::rnorm(m, sd = exp(0.3 * w))
    b1 <- 0.5 * b0 + stats::rnorm(m, sd = 0.5)
    y <- sin(2 * x1) + b0[id] + b1[id] * t + stats::rnorm(m * 10, sd = exp(-0.5 + 0.6 * x2))
    data.frame(y, x1, x2, t, w = w[id], id = factor(id))
  })
  expect_gt(nrow(big), 20000)
  fits <- lapply(1:2, function(k) {
    gbmixed(y ~ x1 + x2 + (1 + t | id), big, dispformula = ~ x2, covformula = ~ w,
            control = gbmixed_control(nrounds = 3, learning_rate = 0.1, max_depth = 4, min_leaf = 10,
                                      threads = k, seed = 3, progress = FALSE))
  })
  expect_identical(fits[[1]]$variant, "GRBoost")
  expect_identical(fits[[1]]$loss, fits[[2]]$loss)
  expect_identical(fitted(fits[[1]]), fitted(fits[[2]]))
  expect_identical(fits[[1]]$G_cluster, fits[[2]]$G_cluster)
  expect_identical(predict(fits[[1]], big[1:50, ], type = "disp"), predict(fits[[2]], big[1:50, ], type = "disp"))
  expect_identical(ranef(fits[[1]])$id, ranef(fits[[2]])$id)
})
