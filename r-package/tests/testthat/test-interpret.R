# importance(), partial_dependence() and plot() for gbmixed fits.

# Classic partial dependence by brute force through the public predict(): the average over the training rows
# (or, for G(w), one row per training cluster) with `var` set to each grid value.
brute_pd <- function(fit, data, var, grid, type = c("fixed", "disp", "cov")) {
  type <- match.arg(type)
  vapply(seq_along(grid), function(i) {
    nd <- data
    nd[[var]] <- if (is.factor(data[[var]])) factor(rep(as.character(grid[i]), nrow(nd)), levels(data[[var]]))
                 else grid[i]
    switch(type,
      fixed = mean(predict(fit, nd, type = "fixed")),
      disp = mean(log(predict(fit, nd, type = "disp"))),
      cov = mean(log(as.matrix(predict(fit, nd, type = "cov"))[, 1L]))
    )
  }, numeric(1))
}

sim_hetero <- function(m = 60, n = 8, seed = 1) {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    w <- stats::runif(m, -1, 1)
    grp <- sample(c("a", "b", "c"), m, replace = TRUE)
    x1 <- stats::runif(m * n, -2, 2)
    x2 <- stats::runif(m * n, -1, 1)
    g <- factor(sample(c("lo", "mid", "hi"), m * n, replace = TRUE), levels = c("lo", "mid", "hi"))
    t <- stats::runif(m * n)
    b0 <- stats::rnorm(m, sd = exp(w / 2))
    b1 <- stats::rnorm(m, sd = 0.5)
    y <- sin(2 * x1) + (g == "hi") + b0[id] + b1[id] * t + stats::rnorm(m * n, sd = exp(x2 / 2))
    data.frame(y, x1, x2, g, t, w = w[id], grp = factor(grp[id]), id = factor(id))
  })
}

het <- sim_hetero()
gr_fit <- gbmixed(y ~ x1 + x2 + g + (1 | id), het, dispformula = ~ x2 + g, covformula = ~ w + grp,
                  control = quick_control(min_leaf_cov = 10))
base_fit <- gbmixed(y ~ x1 + x2 + g + (1 | id), het, control = quick_control())

test_that("importance() gives a sorted named vector per boosted part", {
  imp <- importance(gr_fit)
  expect_type(imp, "double")
  expect_setequal(names(imp), c("x1", "x2", "g", "x1 (cluster mean)", "x2 (cluster mean)", "g = mid (cluster share)",
                                "g = hi (cluster share)"))
  expect_false(is.unsorted(rev(imp)))
  expect_equal(sum(imp), 1, tolerance = 1e-8)
  expect_equal(imp[names(gr_fit$importance)], gr_fit$importance)
  expect_setequal(names(importance(gr_fit, "disp")), c("x2", "g"))
  expect_setequal(names(importance(gr_fit, "cov")), c("w", "grp"))
  expect_equal(sum(importance(gr_fit, "disp")), 1, tolerance = 1e-8)
})

test_that("importance() and partial_dependence() refuse a part that was not boosted", {
  expect_error(importance(base_fit, "disp"), "part = \"disp\" was not boosted.*dispformula = ~ 1")
  expect_error(importance(base_fit, "cov"), "part = \"cov\" was not boosted.*covformula = ~ 1")
  expect_error(partial_dependence(base_fit, "x2", "disp"), "was not boosted")
  expect_error(importance(base_fit, "nope"), "should be one of")
  no_cov <- gbmixed(Reaction ~ 1 + (1 | Subject), sleep, control = quick_control())
  expect_error(importance(no_cov), "no covariates")
})

test_that("partial_dependence() of trees is the classic average of predictions", {
  grid <- c(-1.5, -0.2, 0.4, 1.7)
  pd <- partial_dependence(gr_fit, "x1", grid = grid)
  expect_s3_class(pd, "data.frame")
  # with honest folds (the default for trees) also its jackknife band (test-report.R checks it by hand)
  expect_named(pd, c("x1", "estimate", "se", "lwr", "upr"))
  expect_equal(pd$x1, grid)
  expect_equal(pd$estimate, brute_pd(gr_fit, het, "x1", grid), tolerance = 1e-10)
  expect_identical(attr(pd, "method"), c(estimate = "partial dependence", se = "jackknife", lwr = "jackknife",
                                         upr = "jackknife"))
  expect_identical(attr(pd, "part"), "mean")

  pdd <- partial_dependence(gr_fit, "x2", part = "disp", grid = c(-0.8, 0, 0.8))
  expect_equal(pdd$estimate, brute_pd(gr_fit, het, "x2", c(-0.8, 0, 0.8), "disp"), tolerance = 1e-10)
  expect_identical(attr(pdd, "scale"), "log R(x)")

  clusters <- het[!duplicated(het$id), ]
  pdc <- partial_dependence(gr_fit, "w", part = "cov", grid = c(-0.5, 0.5))
  expect_equal(pdc$estimate, brute_pd(gr_fit, clusters, "w", c(-0.5, 0.5), "cov"), tolerance = 1e-10)
})

test_that("partial_dependence() builds its own grid and has one row per factor level", {
  pd <- partial_dependence(gr_fit, "x1", n = 7)
  expect_equal(nrow(pd), 7L)
  expect_equal(range(pd$x1), range(het$x1))
  pf <- partial_dependence(gr_fit, "g")
  expect_s3_class(pf$g, "factor")
  expect_identical(as.character(pf$g), c("lo", "mid", "hi"))
  expect_identical(levels(pf$g), levels(het$g))
  expect_equal(pf$estimate, brute_pd(gr_fit, het, "g", levels(het$g)), tolerance = 1e-10)
  # the hi level has the larger mean
  expect_gt(pf$estimate[3], pf$estimate[1])
  pg <- partial_dependence(gr_fit, "grp", part = "cov")
  expect_equal(nrow(pg), 3L)
  expect_identical(as.character(partial_dependence(gr_fit, "g", grid = "hi")$g), "hi")
})

test_that("partial_dependence() checks its arguments", {
  expect_error(partial_dependence(gr_fit, "zz"), "\"zz\" is not a covariate of part \"mean\".*\"x1\", \"x2\", \"g\"")
  expect_error(partial_dependence(gr_fit, "w"), "not a covariate of part \"mean\"")
  expect_error(partial_dependence(gr_fit, c("x1", "x2")), "one covariate")
  expect_error(partial_dependence(gr_fit, "g", grid = c("lo", "huge")), "not seen in training: \"huge\"")
  expect_error(partial_dependence(gr_fit, "x1", grid = c(0, NA)), "must be finite numbers")
  expect_error(partial_dependence(gr_fit, "x1", n = 1), "`n` must be")
})

test_that("partial_dependence() accepts the variable inside a transformed covariate", {
  d <- transform(het, x3 = exp(x1))
  fit <- gbmixed(y ~ log(x3) + (1 | id), d, control = quick_control())
  a <- partial_dependence(fit, "log(x3)", grid = c(-1, 1))
  b <- partial_dependence(fit, "x3", grid = c(-1, 1))
  expect_named(a, c("log(x3)", "estimate", "se", "lwr", "upr"))
  expect_identical(a, b)
})

test_that("partial_dependence() reports every entry of a 2 x 2 G(w)", {
  fit <- gbmixed(y ~ x1 + (1 + t | id), het, covformula = ~ w, control = quick_control(min_leaf_cov = 10))
  pd <- partial_dependence(fit, "w", part = "cov", grid = c(-0.5, 0.5))
  expect_named(pd, c("w", "log var(Intercept)", "log var(t)", "cor(Intercept,t)"))
  clusters <- het[!duplicated(het$id), ]
  G <- vapply(c(-0.5, 0.5), function(v) {
    nd <- transform(clusters, w = v)
    g <- predict(fit, nd, type = "cov")
    colMeans(cbind(log(g[, 1]), log(g[, 3]), g[, 2] / sqrt(g[, 1] * g[, 3])))
  }, numeric(3))
  expect_equal(unname(as.matrix(pd[, -1])), t(G), tolerance = 1e-10)
  expect_true(all(abs(pd[["cor(Intercept,t)"]]) <= 1))
  diag_fit <- gbmixed(y ~ x1 + (1 + t || id), het, covformula = ~ w, control = quick_control(min_leaf_cov = 10))
  expect_named(partial_dependence(diag_fit, "w", part = "cov", n = 3), c("w", "log var(Intercept)", "log var(t)"))
})

test_that("partial_dependence() of the componentwise linear learner is its exact line", {
  fit <- gbmixed(y ~ x1 + x2 + g + (1 | id), het,
                 control = gbmixed_control(nrounds = 60, learning_rate = 0.2, learner = "linear",
                                           componentwise = TRUE, seed = 1, progress = FALSE))
  pd <- partial_dependence(fit, "x2", grid = c(-1, 0, 1))
  expect_identical(attr(pd, "method"), c(estimate = "exact"))
  expect_equal(diff(diff(pd$estimate)), 0, tolerance = 1e-10)   # a straight line
  expect_equal(pd$estimate, brute_pd(fit, het, "x2", c(-1, 0, 1)), tolerance = 1e-8)
  pf <- partial_dependence(fit, "g")
  expect_equal(pf$estimate, brute_pd(fit, het, "g", levels(het$g)), tolerance = 1e-8)
})

test_that("partial_dependence() works after saveRDS()/readRDS()", {
  path <- tempfile(fileext = ".rds")
  on.exit(unlink(path))
  saveRDS(gr_fit, path)
  back <- readRDS(path)
  back$handle <- NULL
  expect_equal(partial_dependence(back, "x1", n = 5), partial_dependence(gr_fit, "x1", n = 5))
  expect_equal(partial_dependence(back, "w", "cov", n = 5), partial_dependence(gr_fit, "w", "cov", n = 5))
})

test_that("plot() draws every kind of figure without error", {
  path <- tempfile(fileext = ".pdf")
  grDevices::pdf(path)
  on.exit({
    grDevices::dev.off()
    unlink(path)
  })
  old_par <- graphics::par(no.readonly = TRUE)
  expect_invisible(plot(gr_fit))
  expect_identical(graphics::par("mfrow"), old_par$mfrow)   # par() restored
  expect_silent(plot(base_fit, which = c("loss", "importance", "variance", "effects")))
  expect_silent(plot(gr_fit, which = "effects", part = "cov"))
  expect_silent(plot(gr_fit, which = "effects", vars = c("x1", "w")))
  expect_silent(plot(gr_fit, which = "variance"))
  slope <- gbmixed(y ~ x1 + (1 + t | id), het, covformula = ~ w, control = quick_control(min_leaf_cov = 10))
  expect_silent(plot(slope, which = c("variance", "effects")))
  # the fields of a fit with validation (early stopping) are used when present
  v <- gr_fit
  v$valid_loss <- v$loss * 0.3 + 5
  v$best_round <- 20L
  expect_silent(plot(v, which = "loss"))
  v$validation <- list(source = "held-out clusters", nobs = 100L, nclusters = 10L)
  expect_silent(plot(v, which = "loss"))
  expect_error(plot(base_fit, which = "effects", part = "disp"), "was not boosted on covariates")
  expect_error(plot(gr_fit, which = "nope"), "should be one of")
})

test_that("plot(which = \"loss\") shows the validation curve of an early-stopped fit", {
  es <- gbmixed(y ~ x1 + x2 + g + (1 | id), het,
                control = gbmixed_control(nrounds = 200, learning_rate = 0.3, min_leaf = 10, validation = 0.25,
                                          early_stopping_rounds = 5, seed = 1, progress = FALSE))
  expect_true(es$stopped_early)
  expect_length(es$valid_loss, length(es$loss))
  path <- tempfile(fileext = ".pdf")
  grDevices::pdf(path)
  on.exit({
    grDevices::dev.off()
    unlink(path)
  })
  expect_silent(plot(es, which = "loss"))
})
