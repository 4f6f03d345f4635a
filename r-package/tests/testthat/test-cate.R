# Treatment effects (fixed seeds). 600 clusters of 10 rows, treatment randomised per row:
#   y = 2 cos(2 x2) + x1 + tau(x) T + b0_i + b1_i T + e,  tau(x) = 1 + 1.5 sin(pi x1)  (nonlinear),
#   b0 ~ N(0, 1.5^2), b1 ~ N(0, 1), e ~ N(0, 1).
# The CATE is scored on 2000 fresh covariate points against the truth; gbmixed must beat lmer with
# treatment-by-covariate interactions and a two-model gbm T-learner (which ignores the clustering).

sim_trt <- function(m, n, seed, prefix) {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    x1 <- stats::runif(m * n, -1, 1)
    x2 <- stats::runif(m * n, -1, 1)
    trt <- stats::rbinom(m * n, 1, 0.5)
    b <- cbind(stats::rnorm(m, sd = 1.5), stats::rnorm(m, sd = 1))
    tau <- 1 + 1.5 * sin(pi * x1)
    y <- 2 * cos(2 * x2) + x1 + tau * trt + b[id, 1] + b[id, 2] * trt + stats::rnorm(m * n)
    data.frame(y, x1, x2, trt, id = factor(paste0(prefix, id)), tau, b_trt = b[id, 2])
  })
}

trt_data <- sim_trt(600, 10, seed = 2, prefix = "c")
trt_grid <- withr_seed(7, data.frame(x1 = stats::runif(2000, -1, 1), x2 = stats::runif(2000, -1, 1)))
trt_grid$tau <- 1 + 1.5 * sin(pi * trt_grid$x1)
trt_fit <- gbmixed(y ~ x1 + x2 + trt + (1 + trt | id), trt_data, treatment = "trt",
                   control = gbmixed_control(nrounds = 300, learning_rate = 0.05, max_depth = 3, min_leaf = 20,
                                             seed = 3, progress = FALSE))
mse <- function(a, b) mean((a - b)^2)

test_that("cate() is tau(x) = f(x, T = 1) - f(x, T = 0), with a jackknife interval at population level", {
  ce <- cate(trt_fit, trt_grid[1:50, ])
  expect_named(ce, c("estimate", "lwr", "upr"))
  expect_identical(nrow(ce), 50L)
  nd1 <- transform(trt_grid[1:50, ], trt = 1)
  nd0 <- transform(trt_grid[1:50, ], trt = 0)
  expect_equal(ce$estimate, predict(trt_fit, nd1, type = "fixed") - predict(trt_fit, nd0, type = "fixed"),
               tolerance = 1e-12)
  expect_true(all(ce$lwr < ce$estimate & ce$estimate < ce$upr))
  expect_equal(ce$upr - ce$estimate, ce$estimate - ce$lwr, tolerance = 1e-12)
  # Student's t with honest_folds - 1 = 2 degrees of freedom: 90% vs 50% widths
  c50 <- cate(trt_fit, trt_grid[1:50, ], level = 0.5)
  expect_equal((ce$upr - ce$lwr) / (c50$upr - c50$lwr), rep(qt(0.975, 2) / qt(0.75, 2), 50), tolerance = 1e-10)
  # the treatment column's value in newdata does not matter; without newdata: the training rows
  expect_identical(cate(trt_fit, nd1)$estimate, ce$estimate)
  expect_identical(nrow(cate(trt_fit)), nrow(trt_data))
  expect_equal(cate(trt_fit)$estimate[1:5], cate(trt_fit, trt_data[1:5, ])$estimate, tolerance = 1e-12)
})

test_that("the CATE of gbmixed beats lmer with interactions and a gbm T-learner", {
  skip_if_not_installed("gbm")
  est_gb <- cate(trt_fit, trt_grid)$estimate
  fm <- lme4::lmer(y ~ (x1 + x2) * trt + (1 + trt | id), trt_data, REML = FALSE)
  est_lmer <- predict(fm, transform(trt_grid, trt = 1), re.form = NA) -
    predict(fm, transform(trt_grid, trt = 0), re.form = NA)
  set.seed(4)
  t1 <- gbm::gbm(y ~ x1 + x2, data = trt_data[trt_data$trt == 1, ], distribution = "gaussian", n.trees = 300,
                 interaction.depth = 3, shrinkage = 0.05, n.minobsinnode = 20)
  t0 <- gbm::gbm(y ~ x1 + x2, data = trt_data[trt_data$trt == 0, ], distribution = "gaussian", n.trees = 300,
                 interaction.depth = 3, shrinkage = 0.05, n.minobsinnode = 20)
  est_t <- predict(t1, trt_grid, n.trees = 300) - predict(t0, trt_grid, n.trees = 300)
  mse_gb <- mse(est_gb, trt_grid$tau)
  mse_lmer <- mse(est_lmer, trt_grid$tau)
  mse_t <- mse(est_t, trt_grid$tau)
  # measured: gbmixed 0.039, lmer 0.444, T-learner 0.138 (var of tau over the grid: 1.13)
  expect_lt(mse_gb, mse_lmer)
  expect_lt(mse_gb, mse_t)
  expect_lt(mse_gb, 0.1)
})

test_that("cluster-specific effects: tau(x) + b_T with intervals from P_i cover near 90%", {
  cb <- cate(trt_fit, level = 0.9, by_cluster = TRUE)
  truth <- trt_data$tau + trt_data$b_trt
  b <- unname(as.matrix(ranef(trt_fit)$id)[as.integer(trt_data$id), "trt"])
  P <- attr(ranef(trt_fit)$id, "postVar")[2, 2, as.integer(trt_data$id)]
  expect_equal(cb$estimate, cate(trt_fit)$estimate + b, tolerance = 1e-12)
  pop <- cate(trt_fit, level = 0.5)
  se <- (pop$upr - pop$estimate) / qt(0.75, 2)      # tau-hat's jackknife standard error
  expect_equal((cb$upr - cb$lwr) / 2, stats::qnorm(0.95) * sqrt(P + se^2), tolerance = 1e-10)
  cover <- mean(truth >= cb$lwr & truth <= cb$upr)
  # measured: 0.908 (over data seeds 1..6: 0.882-0.908); 0.888 when the interval left out tau-hat's error
  expect_gte(cover, 0.85)
  expect_lte(cover, 0.97)
})

test_that("effects for new clusters use G_TT(w); new and existing clusters mix in one call", {
  new <- sim_trt(300, 4, seed = 102, prefix = "n")
  cn <- cate(trt_fit, new, level = 0.9, by_cluster = TRUE)
  expect_equal(cn$estimate, cate(trt_fit, new)$estimate, tolerance = 1e-12)
  pop <- cate(trt_fit, new, level = 0.5)
  se <- (pop$upr - pop$estimate) / qt(0.75, 2)
  expect_equal((cn$upr - cn$lwr) / 2, stats::qnorm(0.95) * sqrt(VarCorr(trt_fit)$id[2, 2] + se^2), tolerance = 1e-10)
  truth <- new$tau + new$b_trt
  cover <- mean(truth >= cn$lwr & truth <= cn$upr)
  # measured: 0.889 (over data seeds 1..6: 0.846-0.907)
  expect_gte(cover, 0.85)
  expect_lte(cover, 0.97)
  mixed <- rbind(trt_data[1:3, names(new)], new[1:3, ])
  cm <- cate(trt_fit, mixed, level = 0.9, by_cluster = TRUE)
  expect_equal(cm[1:3, ], cate(trt_fit, trt_data[1:3, ], level = 0.9, by_cluster = TRUE), tolerance = 1e-12,
               ignore_attr = TRUE)
  expect_equal(cm[4:6, ], cn[1:3, ], tolerance = 1e-12, ignore_attr = TRUE)
})

test_that("population CATE intervals: the jackknife of the honest folds' means, covering tau(x)", {
  # the standard error is (K - 1)/K sum_k (tau_k(x) - mean)^2 over the K = 3 cross-fit means (each left out a
  # third of the clusters), the interval tau(x) +- t_{K-1} se
  x <- gbmixed:::build_newdata_frame(trt_fit, trt_grid[1:20, ], need_z = FALSE, need_cluster = FALSE)$x
  model <- gbmixed:::engine_model(trt_fit)
  reps <- matrix(rJava::.jcall(model, "[D", "predictJackknife", 1L, rJava::.jarray(as.double(x)), 20L,
                               rJava::.jarray(numeric(0))), 20, 3)
  se <- sqrt(2 / 3 * rowSums((reps - rowMeans(reps))^2))
  ce <- cate(trt_fit, trt_grid[1:20, ], level = 0.9)
  expect_equal(ce$upr - ce$estimate, qt(0.95, 2) * se, tolerance = 1e-10)
  cp <- cate(trt_fit, trt_grid, level = 0.9)
  cover <- mean(trt_grid$tau >= cp$lwr & trt_grid$tau <= cp$upr)
  # measured: 0.836 here (width 0.55); over data seeds 1..6 0.80-1.00, mean 0.878: three jackknife groups give
  # the width a chi-square(2) spread from one data set to the next
  expect_gte(cover, 0.75)
  expect_lte(cover, 0.97)
  expect_warning(nf <- cate(gbmixed(y ~ x1 + x2 + trt + (1 + trt | id), trt_data[1:400, ], treatment = "trt",
                                    control = gbmixed_control(nrounds = 10, honest_folds = 0, seed = 1,
                                                              progress = FALSE)), trt_grid[1:3, ]),
                 "no sampling variance.*honest_folds")
  expect_true(all(is.na(nf$lwr)))
})

test_that("cate() errors are explained", {
  plain <- gbmixed(y ~ x1 + x2 + trt + (1 | id), trt_data[1:400, ],
                   control = gbmixed_control(nrounds = 10, seed = 1, progress = FALSE))
  expect_error(cate(plain, trt_data[1:3, ]), "no treatment.*treatment = ")
  ri <- gbmixed(y ~ x1 + x2 + trt + (1 | id), trt_data[1:400, ], treatment = "trt",
                control = gbmixed_control(nrounds = 10, seed = 1, progress = FALSE))
  expect_identical(nrow(cate(ri, trt_data[1:3, ])), 3L)
  expect_error(cate(ri, trt_data[1:3, ], by_cluster = TRUE), "random slope.*\\(1 \\+ trt \\| id\\)")
  expect_error(cate(trt_fit, trt_data[1:3, c("x1", "x2")], by_cluster = TRUE), "column `id` not found")
  expect_error(cate(trt_fit, trt_data[1:3, ], level = 2), "`level`")
  expect_error(cate(trt_fit, trt_data[1:3, ], by_cluster = NA), "`by_cluster`")
})
