# honest_folds reaches the engine and does what ?gbmixed_control says: with an overfitting mean (300 trees at
# learning rate 0.1 on 1,800 rows), residuals of the mean itself shrink sigma^2 and G; residuals of the cross-fit
# means that did not see the cluster do not. Five seeds of sim_clustered (truth: G = [1 .3; .3 .5], sigma^2 = .25);
# bounds from the Monte-Carlo error of the truth, not from one seed's value.
#
# The oracle for the honest estimate: sigma^2_honest estimates sigma^2 plus the out-of-fold error of f-hat. So it
# lies between sigma^2 - 3 se and sigma^2 + 3 se + 1.5 mse_f, with se = sigma^2 sqrt(2 / n) the standard error of a
# variance from n rows and mse_f the held-out squared error of the full fit's f-hat against the true f (a mean fitted
# on 2/3 of the clusters errs at most 1.5 times as much: error ~ 1/n^a with a <= 1).
# Measured (5 seeds): sigma^2 0.334 (sd 0.012) with 3 folds, 0.119 (sd 0.007) with none; mse_f 0.071;
# G11 1.06 / 0.91, G22 0.60, G12 0.33 with 3 folds.

honest_runs <- local({
  runs <- lapply(1:5, function(s) {
    train <- sim_clustered(150, 12, seed = 10 + s)
    new <- sim_clustered(100, 12, seed = 50 + s, prefix = "n")
    ctl <- function(h) gbmixed_control(nrounds = 300, learning_rate = 0.1, seed = s, honest_folds = h,
                                       progress = FALSE)
    h3 <- gbmixed(y ~ x1 + x2 + t + (1 + t | id), train, control = ctl(3))
    h0 <- gbmixed(y ~ x1 + x2 + t + (1 + t | id), train, control = ctl(0))
    list(h3 = h3, h0 = h0, n = nrow(train), m = nlevels(train$id),
         mse_f = mean((predict(h3, new, type = "fixed") - new$f)^2))
  })
  runs
})

test_that("honest_folds reaches the engine: the fits differ and keep their jackknife groups", {
  for (r in honest_runs) {
    expect_identical(r$h3$control$honest_folds, 3L)
    expect_identical(r$h0$control$honest_folds, 0L)
    expect_identical(rJava::.jcall(gbmixed:::engine_model(r$h3), "I", "jackknifeGroups"), 3L)
    expect_identical(rJava::.jcall(gbmixed:::engine_model(r$h0), "I", "jackknifeGroups"), 0L)
  }
})

test_that("without honest folds an overfitting mean shrinks sigma^2; with them it does not", {
  s2 <- 0.25
  for (r in honest_runs) {
    se <- s2 * sqrt(2 / r$n)
    s2_h3 <- sigma(r$h3)^2
    s2_h0 <- sigma(r$h0)^2
    expect_gt(s2_h3, s2 - 3 * se)
    expect_lt(s2_h3, s2 + 3 * se + 1.5 * r$mse_f)
    # the shrinkage is far outside the Monte-Carlo error: measured 0.11-0.13 against 0.25
    expect_lt(s2_h0, s2 - 10 * se)
    expect_gt(s2_h3 - s2_h0, 0.1)
  }
})

test_that("G from the honest fits: the mean over 5 seeds within the oracle's bounds", {
  G <- sapply(honest_runs, function(r) {
    v <- VarCorr(r$h3)$id
    c(v[1, 1], v[2, 2], v[2, 1])
  })
  G0 <- sapply(honest_runs, function(r) VarCorr(r$h0)$id[1, 1])
  truth <- c(1, 0.5, 0.3)
  m <- honest_runs[[1]]$m
  mse_f <- mean(vapply(honest_runs, function(r) r$mse_f, 0))
  # se of one fit's G entries from m clusters: sqrt((G_aa G_bb + G_ab^2) / m); of the mean of 5: / sqrt(5). As
  # for sigma^2, the out-of-fold error of f-hat may add up to 1.5 mse_f (to a variance; either sign to the
  # covariance). Measured: 1.06, 0.60, 0.33 (mse_f 0.071).
  se <- sqrt((c(1 * 1, 0.5 * 0.5, 1 * 0.5) + truth^2) / m) / sqrt(5)
  lower <- truth - 3 * se - c(0, 0, 1.5 * mse_f)
  upper <- truth + 3 * se + 1.5 * mse_f
  info <- paste("mean G", paste(round(rowMeans(G), 3), collapse = " "))
  expect_true(all(rowMeans(G) > lower), info = info)
  expect_true(all(rowMeans(G) < upper), info = info)
  # and the intercept variance is not shrunk (measured 1.06 vs 0.91 without folds)
  expect_true(all(G[1, ] > G0))
})
