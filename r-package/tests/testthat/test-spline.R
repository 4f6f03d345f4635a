# learner = "spline": component-wise P-splines for the mean and the variance parts, and the exact smooths
# that partial_dependence() returns for them.

centred_rmse <- function(a, b) sqrt(mean(((a - mean(a)) - (b - mean(b)))^2))

# Additive mean f(x) = sin(2 x1) + x2^2 / 2 with a random intercept (sd 1) and residual sd 0.5.
f1 <- function(x) sin(2 * x)
f2 <- function(x) x^2 / 2
sim_additive <- function(m = 100, n = 8, seed = 1) {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    x1 <- stats::runif(m * n, -2, 2)
    x2 <- stats::runif(m * n, -2, 2)
    y <- f1(x1) + f2(x2) + stats::rnorm(m)[id] + stats::rnorm(m * n, sd = 0.5)
    data.frame(y, x1, x2, id = factor(id))
  })
}
add_data <- sim_additive()
grid <- seq(-1.9, 1.9, length.out = 100)
spline_ctl <- gbmixed_control(nrounds = 300, learning_rate = 0.1, learner = "spline", seed = 1, progress = FALSE)
spl <- gbmixed(y ~ x1 + x2 + (1 | id), add_data, control = spline_ctl)

test_that("the spline learner recovers each additive component better than trees", {
  tree <- gbmixed(y ~ x1 + x2 + (1 | id), add_data,
                  control = gbmixed_control(nrounds = 300, learning_rate = 0.1, max_depth = 3, seed = 1,
                                            progress = FALSE))
  s1 <- partial_dependence(spl, "x1", grid = grid)
  s2 <- partial_dependence(spl, "x2", grid = grid)
  t1 <- partial_dependence(tree, "x1", grid = grid)
  t2 <- partial_dependence(tree, "x2", grid = grid)
  expect_identical(attr(s1, "method"), c(estimate = "exact"))
  err <- c(spline_x1 = centred_rmse(s1$estimate, f1(grid)), spline_x2 = centred_rmse(s2$estimate, f2(grid)),
           tree_x1 = centred_rmse(t1$estimate, f1(grid)), tree_x2 = centred_rmse(t2$estimate, f2(grid)))
  # measured over seeds 1..6 at these settings: splines 0.03-0.06, trees 0.10-0.14 (steps of a sine)
  expect_lt(err[["spline_x1"]], 0.08)
  expect_lt(err[["spline_x2"]], 0.08)
  expect_lt(err[["spline_x1"]], 0.6 * err[["tree_x1"]])
  expect_lt(err[["spline_x2"]], 0.6 * err[["tree_x2"]])
  # the variance components are those of the simulation (sd(b) = 1, sd(e) = 0.5)
  expect_equal(sigma(spl), 0.5, tolerance = 0.06)
  expect_equal(VarCorr(spl)$id[1, 1], 1, tolerance = 0.4)
})

test_that("the spline fit matches mgcv::gam with a random-effect smooth", {
  skip_if_not_installed("mgcv")
  gam <- mgcv::gam(y ~ s(x1) + s(x2) + s(id, bs = "re"), data = add_data, method = "ML")
  terms <- stats::predict(gam, data.frame(x1 = grid, x2 = grid, id = add_data$id[1]), type = "terms")
  s1 <- partial_dependence(spl, "x1", grid = grid)$estimate
  s2 <- partial_dependence(spl, "x2", grid = grid)$estimate
  # Both smooth the same data: their centred curves differ by 0.019-0.027 (x1) and 0.005-0.011 (x2) over
  # seeds 1..6, about half of either method's own error against the truth (0.03-0.065). 0.05 leaves room
  # for that spread and still fails if either smooth is off by a visible amount.
  expect_lt(centred_rmse(s1, terms[, "s(x1)"]), 0.05)
  expect_lt(centred_rmse(s2, terms[, "s(x2)"]), 0.05)
  # the variance components agree too (gam: ML estimates of the same Gaussian mixed model)
  invisible(utils::capture.output(vc <- mgcv::gam.vcomp(gam)))   # it prints as well as returns
  sd_id <- if (is.matrix(vc)) vc["s(id)", 1L] else vc[["s(id)"]]
  expect_equal(sigma(spl), sqrt(gam$sig2), tolerance = 0.05)
  expect_equal(sqrt(VarCorr(spl)$id[1, 1]), unname(sd_id), tolerance = 0.08)
})

test_that("the exact smooths add up to the fitted mean", {
  nd <- data.frame(x1 = c(-1.7, -0.3, 0.2, 1.1, 1.9), x2 = c(0.4, -1.8, 1.2, 0, -0.6))
  f <- predict(spl, nd, type = "fixed")
  e1 <- partial_dependence(spl, "x1", grid = nd$x1)$estimate
  e2 <- partial_dependence(spl, "x2", grid = nd$x2)$estimate
  # each curve is g_k - mean(g_k) + mean(f); so f = e1 + e2 - mean(f)
  expect_equal(e1 + e2 - mean(predict(spl, type = "fixed")), f,
               tolerance = 1e-10)
  # ... and equals the engine's uncentred function of each covariate up to a constant (Model.effect)
  raw <- gbmixed:::jcall(gbmixed:::engine_model(spl), "[D", "effect", 0L, 0L, 0L, gbmixed:::jarg_dbl(nd$x1))
  expect_equal(e1 - raw, rep(e1[1] - raw[1], length(raw)), tolerance = 1e-10)
  # for an additive fit the exact smooth IS the classic partial dependence
  brute <- vapply(c(-1, 0.5), function(v) mean(predict(spl, transform(add_data, x1 = v), type = "fixed")), 0)
  expect_equal(partial_dependence(spl, "x1", grid = c(-1, 0.5))$estimate, brute, tolerance = 1e-10)
})

test_that("a factor under the spline learner gets one exact effect per level", {
  d <- add_data
  d$g <- factor(rep(c("a", "b", "c"), length.out = nrow(d)))
  d$y <- d$y + c(a = 0, b = 1, c = -0.5)[as.character(d$g)]
  fit <- gbmixed(y ~ x1 + x2 + g + (1 | id), d, control = spline_ctl)
  pd <- partial_dependence(fit, "g")
  expect_identical(as.character(pd$g), c("a", "b", "c"))
  brute <- vapply(levels(d$g), function(l) {
    mean(predict(fit, transform(d, g = factor(l, levels(d$g))), type = "fixed"))
  }, 0)
  expect_equal(pd$estimate, unname(brute), tolerance = 1e-10)
  expect_equal(diff(pd$estimate), c(1, -1.5), tolerance = 0.15)
})

test_that("spline variance parts recover a smooth log R(x) and log G(w)", {
  # log R(x) = 1 + sin(x) on x in [-3, 3]; log G(w) = w on w in [-1.5, 1.5]; 600 clusters of 10 rows
  d <- withr_seed(3, {
    m <- 600
    n <- 10
    id <- rep(seq_len(m), each = n)
    w <- stats::runif(m, -1.5, 1.5)
    x <- stats::runif(m * n, -3, 3)
    x1 <- stats::runif(m * n, -2, 2)
    y <- sin(2 * x1) + stats::rnorm(m, sd = exp(w / 2))[id] + stats::rnorm(m * n, sd = exp((1 + sin(x)) / 2))
    data.frame(y, x1, x, w = w[id], id = factor(id))
  })
  ctl <- gbmixed_control(nrounds = 300, learning_rate = 0.1, learning_rate_disp = 0.05, learning_rate_cov = 0.05,
                         learner = list(mean = "spline", disp = "spline", cov = "spline"), seed = 1,
                         progress = FALSE)
  fit <- gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ x, covformula = ~ w, control = ctl)
  gx <- seq(-2.9, 2.9, length.out = 100)
  gw <- seq(-1.4, 1.4, length.out = 100)
  log_r <- log(predict(fit, data.frame(x = gx), type = "disp"))
  log_g <- log(predict(fit, data.frame(w = gw), type = "cov"))
  rmse_r <- sqrt(mean((log_r - (1 + sin(gx)))^2))
  rmse_g <- sqrt(mean((log_g - gw)^2))
  # measured: 0.037 for log R (6000 rows), 0.180 for log G (600 clusters; 0.10 with 1600), slope of log G 0.92;
  # a constant would be off by 0.71 (log R) and 0.81 (log G)
  expect_lt(rmse_r, 0.12)
  expect_lt(rmse_g, 0.35)
  expect_equal(unname(stats::coef(stats::lm(log_g ~ gw))[2]), 1, tolerance = 0.25)
  # smooth: no jumps between neighbouring grid points (a tree's steps would show here)
  expect_lt(max(abs(diff(log_r))), 0.1)
  expect_lt(max(abs(diff(log_g))), 0.1)
  # partial_dependence() gives these curves exactly (one covariate per part: no averaging involved)
  pr <- partial_dependence(fit, "x", part = "disp", grid = gx)
  pg <- partial_dependence(fit, "w", part = "cov", grid = gw)
  expect_identical(attr(pr, "method"), c(estimate = "exact"))
  expect_identical(attr(pg, "method"), c(estimate = "exact"))
  expect_equal(pr$estimate, log_r, tolerance = 1e-10)
  expect_equal(pg$estimate, log_g, tolerance = 1e-10)
  # a tree G(w) on the same data is a step function and further from the truth
  tree <- gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ x, covformula = ~ w,
                  control = gbmixed_control(nrounds = 300, learning_rate = 0.1, learning_rate_disp = 0.05,
                                            learning_rate_cov = 0.05, max_depth = 3, min_leaf_cov = 40,
                                            seed = 1, progress = FALSE))
  tree_r <- sqrt(mean((log(predict(tree, data.frame(x = gx), type = "disp")) - (1 + sin(gx)))^2))
  expect_lt(rmse_r, tree_r)
})
