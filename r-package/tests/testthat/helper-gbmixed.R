# Shared helpers for the gbmixed tests.

# Clustered data with a nonlinear mean and a correlated random intercept and slope in t:
#   y = 2 sin(2 x1) + 1.5 [x2 > 0.5] + b0_i + b1_i t + e,  (b0, b1) ~ N(0, G), G = [1 .3; .3 .5], sd(e) = 0.5
# g is a factor covariate with no effect; f holds the true mean.
sim_clustered <- function(m, n, seed, prefix = "c") {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    x1 <- stats::runif(m * n, -2, 2)
    x2 <- stats::runif(m * n)
    t <- stats::runif(m * n)
    g <- sample(c("a", "b", "c"), m * n, replace = TRUE)
    G <- matrix(c(1, 0.3, 0.3, 0.5), 2)
    b <- matrix(stats::rnorm(m * 2), m) %*% chol(G)
    f <- 2 * sin(2 * x1) + 1.5 * (x2 > 0.5)
    y <- f + b[id, 1] + b[id, 2] * t + stats::rnorm(m * n, sd = 0.5)
    data.frame(y, x1, x2, t, g, id = factor(paste0(prefix, id)), f, stringsAsFactors = FALSE)
  })
}

# Evaluate expr under a seed, restoring the caller's RNG state afterwards.
withr_seed <- function(seed, expr) {
  old <- if (exists(".Random.seed", globalenv())) get(".Random.seed", globalenv()) else NULL
  on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else assign(".Random.seed", old, globalenv()))
  set.seed(seed)
  expr
}

# Element-wise relative comparison: every entry, not the mean relative difference of all.equal().
expect_each_equal <- function(object, expected, tolerance) {
  object <- as.numeric(object)
  expected <- as.numeric(expected)
  expect_identical(length(object), length(expected))
  for (i in seq_along(expected)) expect_equal(object[i], expected[i], tolerance = tolerance)
}

# Fast small control settings for tests that only exercise the interface.
quick_control <- function(...) gbmixed_control(nrounds = 30, learning_rate = 0.2, min_leaf = 10, seed = 1,
                                               progress = FALSE, ...)

sleep <- lme4::sleepstudy

# The jackknife standard error of f(x) at the rows of nd, read off the public confidence interval of the
# population mean (its half-width is qt(1 - a/2, K - 1) se with K = honest_folds jackknife groups).
se_fixed <- function(fit, nd, ...) {
  ci <- predict(fit, nd, type = "fixed", interval = "confidence", level = 0.5, ...)
  (ci$upr - ci$fit) / stats::qt(0.75, fit$control$honest_folds - 1)
}
