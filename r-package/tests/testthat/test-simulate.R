# simulate(): draws from the fitted model; moments against the model within Monte-Carlo error.

sim_fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                   control = gbmixed_control(nrounds = 40, learning_rate = 0.2, min_leaf = 10, seed = 1,
                                             progress = FALSE))
nsim <- 4000

# Relative Monte-Carlo error of a variance estimated from nsim draws: sqrt(2 / (nsim - 1)), about 2.2%; allow
# 4.5 of them for the worst of the rows checked.
var_tol <- 4.5 * sqrt(2 / (nsim - 1))

test_that("re.form = NA: per-row mean f(x) and variance z'Gz + sigma^2; rows of a cluster covary by z'Gz'", {
  s <- as.matrix(simulate(sim_fit, nsim = nsim, seed = 11))
  expect_identical(dim(s), c(180L, as.integer(nsim)))
  G <- sim_fit$G
  z <- cbind(1, sleep$Days)
  model_var <- rowSums((z %*% G) * z) + sigma(sim_fit)^2
  rows <- c(1, 5, 10, 95, 180)
  v <- apply(s[rows, ], 1, var)
  expect_lt(max(abs(v / model_var[rows] - 1)), var_tol)
  m <- rowMeans(s[rows, ])
  expect_lt(max(abs(m - sim_fit$fitted_fixed[rows]) / sqrt(model_var[rows] / nsim)), 4.5)
  # rows 1 and 10: same subject, covariance z1' G z10; rows 1 and 11: different subjects, none
  c_same <- cov(s[1, ], s[10, ])
  expect_lt(abs(c_same - drop(z[1, ] %*% G %*% z[10, ])), 4.5 * sqrt(model_var[1] * model_var[10] / nsim))
  expect_lt(abs(cor(s[1, ], s[11, ])), 4.5 / sqrt(nsim))
})

test_that("re.form = NULL: mean f + z'bhat and variance z'P_i z + sigma^2", {
  s <- as.matrix(simulate(sim_fit, nsim = nsim, seed = 12, re.form = NULL))
  z <- cbind(1, sleep$Days)
  P <- sim_fit$ranef_cov
  cl <- sim_fit$cluster + 1L
  model_var <- vapply(seq_len(180), function(j) drop(z[j, ] %*% P[, , cl[j]] %*% z[j, ]), 0) + sigma(sim_fit)^2
  rows <- c(2, 30, 77, 150)
  expect_lt(max(abs(apply(s[rows, ], 1, var) / model_var[rows] - 1)), var_tol)
  expect_lt(max(abs(rowMeans(s[rows, ]) - fitted(sim_fit)[rows]) / sqrt(model_var[rows] / nsim)), 4.5)
})

test_that("newdata: known clusters from P_i, new ones from G(w), residuals from R(x); as the intervals", {
  d <- sim_clustered(40, 8, seed = 91)
  d$w <- as.numeric(substring(d$id, 2)) %% 3
  fit <- gbmixed(y ~ x1 + x2 + (1 + t | id), d, dispformula = ~ x2, covformula = ~ w,
                 control = gbmixed_control(nrounds = 30, learning_rate = 0.1, min_leaf_cov = 5, seed = 2,
                                           progress = FALSE))
  nd <- d[c(1, 2, 50, 200), ]
  nd$id <- as.character(nd$id)
  nd$id[3:4] <- c("new1", "new2")
  nd$w[3:4] <- c(0, 2)
  s <- as.matrix(simulate(fit, nsim = nsim, seed = 13, newdata = nd, re.form = NULL, allow.new.levels = TRUE))
  pi <- predict(fit, nd, interval = "prediction", allow.new.levels = TRUE)
  # the intervals also hold f-hat's sampling variance, which simulate() does not draw
  model_var <- ((pi$upr - pi$fit) / qnorm(0.975))^2 - se_fixed(fit, nd, allow.new.levels = TRUE)^2
  expect_lt(max(abs(apply(s, 1, var) / model_var - 1)), var_tol)
  expect_lt(max(abs(rowMeans(s) - pi$fit) / sqrt(model_var / nsim)), 4.5)
  # rows 1 and 2 share cluster c1 and its draw of b
  expect_gt(cor(s[1, ], s[2, ]), 0.1)
  expect_lt(abs(cor(s[3, ], s[4, ])), 4.5 / sqrt(nsim))
  expect_error(simulate(fit, newdata = nd, re.form = NULL), "levels of `id` not seen in training")
  expect_error(simulate(fit, newdata = nd[, c("x1", "x2", "t")]), "needs the grouping factor `id`")
})

test_that("seed handling follows stats::simulate; weights scale the residual variance", {
  a <- simulate(sim_fit, nsim = 2, seed = 5)
  b <- simulate(sim_fit, nsim = 2, seed = 5)
  expect_identical(a, b)
  expect_named(a, c("sim_1", "sim_2"))
  expect_identical(attr(a, "seed")[1], 5)
  set.seed(1)
  r1 <- runif(1)
  set.seed(1)
  simulate(sim_fit, seed = 99)
  expect_identical(runif(1), r1)             # the caller's stream is restored with a seed
  set.seed(2)
  c1 <- simulate(sim_fit)
  set.seed(2)
  expect_identical(simulate(sim_fit), c1)    # and followed without one
  expect_error(simulate(sim_fit, nsim = 0), "`nsim`")
  w <- rep(c(1, 100), 90)
  wf <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, weights = w, control = quick_control())
  s <- as.matrix(simulate(wf, nsim = 2000, seed = 3, re.form = NULL))
  v <- apply(s[1:2, ], 1, var)
  P <- wf$ranef_cov[1, 1, 1]
  expect_lt(abs(v[1] / (P + sigma(wf)^2) - 1), 4.5 * sqrt(2 / 1999))
  expect_lt(abs(v[2] / (P + sigma(wf)^2 / 100) - 1), 4.5 * sqrt(2 / 1999))
})
