pdata <- sim_clustered(30, 10, seed = 21)
# without between-cluster features, so that population-level predictions need no grouping factor (see
# test-between.R for predictions with them)
pfit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), pdata,
                control = gbmixed_control(nrounds = 60, learning_rate = 0.1, min_leaf = 10, seed = 5,
                                          progress = FALSE, between = FALSE))
ri_fit <- gbmixed(y ~ x1 + x2 + (1 | id), pdata,
                  control = gbmixed_control(nrounds = 60, learning_rate = 0.1, min_leaf = 10, seed = 5,
                                            progress = FALSE))

test_that("predictions for the training rows agree with fitted() and with newdata = data", {
  expect_identical(predict(pfit), fitted(pfit))
  # the engine's predict on the training rows reproduces the fitted values stored at fit time
  expect_equal(predict(pfit, pdata), fitted(pfit), tolerance = 1e-10)
  expect_equal(predict(pfit, pdata, type = "fixed"), predict(pfit, type = "fixed"), tolerance = 1e-10)
  expect_equal(predict(pfit, pdata, type = "random"), predict(pfit, type = "random"), tolerance = 1e-10)
  pi_train <- predict(pfit, interval = "prediction")
  expect_equal(pi_train$fit, fitted(pfit), tolerance = 1e-10)
  expect_equal(pi_train, predict(pfit, pdata, interval = "prediction"), tolerance = 1e-10)
})

test_that("response = fixed + random, and random = z' bhat of the cluster", {
  nd <- pdata[c(1, 15, 40), ]
  expect_equal(predict(pfit, nd),
               predict(pfit, nd, type = "fixed") + predict(pfit, nd, type = "random"), tolerance = 1e-12)
  b <- as.matrix(ranef(pfit)$id)[as.character(nd$id), ]
  expect_equal(predict(pfit, nd, type = "random"), unname(b[, 1] + b[, 2] * nd$t), tolerance = 1e-10)
})

test_that("re.form = NA and ~0 give population-level predictions without needing the group", {
  nd <- pdata[1:5, c("x1", "x2", "g")]
  pop <- predict(pfit, nd, re.form = NA)
  expect_equal(pop, predict(pfit, pdata[1:5, ], type = "fixed"), tolerance = 1e-12)
  expect_identical(predict(pfit, nd, re.form = ~0), pop)
  expect_identical(predict(pfit, pdata[1:5, ], re.form = ~ (1 + t | id)), predict(pfit, pdata[1:5, ]))
  expect_identical(predict(pfit, re.form = NA), predict(pfit, type = "fixed"))
})

test_that("prediction intervals follow f + z'b +- q sqrt(z'Pz + sigma^2 + se_f^2), z'Gz for new clusters", {
  nd <- data.frame(x1 = c(0.5, 0.5), x2 = c(0.2, 0.2), id = c("c3", "brand-new"))
  pi <- predict(ri_fit, nd, interval = "prediction", level = 0.9, allow.new.levels = TRUE)
  expect_named(pi, c("fit", "lwr", "upr"))
  P3 <- attr(ranef(ri_fit)$id, "postVar")[1, 1, which(rownames(ranef(ri_fit)$id) == "c3")]
  G <- VarCorr(ri_fit)$id[1, 1]
  s2 <- sigma(ri_fit)^2
  half <- (pi$upr - pi$lwr) / 2
  se <- se_fixed(ri_fit, nd)          # the jackknife standard error of f-hat (honest folds)
  expect_true(all(se > 0))
  # f-hat's error enters both intervals
  expect_equal(half, qnorm(0.95) * sqrt(c(P3 + s2, G + s2) + se^2), tolerance = 1e-10)
  # confidence intervals: the errors of f-hat and z'b-hat for a known cluster, of f-hat for a new one
  ci <- predict(ri_fit, nd, interval = "confidence", level = 0.9, allow.new.levels = TRUE)
  expect_equal(ci$fit, pi$fit)
  expect_equal((ci$upr - ci$lwr) / 2, c(qnorm(0.95) * sqrt(P3 + se[1]^2), qt(0.95, 2) * se[2]), tolerance = 1e-10)
  cf <- predict(ri_fit, nd, type = "fixed", interval = "confidence", level = 0.9)
  expect_equal((cf$upr - cf$lwr) / 2, qt(0.95, 2) * se, tolerance = 1e-10)
  expect_equal(pi$fit[2], predict(ri_fit, nd[2, ], re.form = NA), tolerance = 1e-12)
  expect_equal(pi$fit[1], predict(ri_fit, nd[1, ]), tolerance = 1e-12)
  # a lower level gives a narrower interval around the same fit
  pi50 <- predict(ri_fit, nd, interval = "prediction", level = 0.5, allow.new.levels = TRUE)
  expect_identical(pi50$fit, pi$fit)
  expect_true(all(pi50$upr - pi50$lwr < pi$upr - pi$lwr))
})

test_that("population-level intervals use G (as for a new cluster)", {
  nd <- data.frame(x1 = 0, x2 = 0.7, g = "b", t = 0.5, id = "c1")
  pop <- predict(pfit, nd, re.form = NA, interval = "prediction")
  nd$id <- "unseen"
  new <- predict(pfit, nd, allow.new.levels = TRUE, interval = "prediction")
  expect_equal(pop, new, tolerance = 1e-12)
  zGz <- sum(c(1, 0.5) * (VarCorr(pfit)$id %*% c(1, 0.5)))
  expect_equal((pop$upr - pop$lwr) / 2, qnorm(0.975) * sqrt(zGz + sigma(pfit)^2 + se_fixed(pfit, nd)^2),
               tolerance = 1e-10)
})

test_that("type = 'disp' and 'cov' give the variance components per row", {
  expect_equal(predict(pfit, pdata[1:3, ], type = "disp"), rep(sigma(pfit)^2, 3))
  cv <- predict(pfit, pdata[1:3, ], type = "cov")
  expect_identical(dim(cv), c(3L, 3L))
  expect_identical(colnames(cv), c("var((Intercept))", "cov(t,(Intercept))", "var(t)"))
  G <- VarCorr(pfit)$id
  expect_equal(cv[2, ], c(G[1, 1], G[2, 1], G[2, 2]), ignore_attr = TRUE)
  expect_equal(predict(ri_fit, pdata[1:2, ], type = "cov"), rep(VarCorr(ri_fit)$id[1, 1], 2))
})

test_that("factor and character covariates are encoded with the training levels", {
  nd <- pdata[1:6, ]
  nd_factor <- nd
  nd_factor$g <- factor(nd$g, levels = c("c", "b", "a"))   # another level order must not matter
  expect_identical(predict(pfit, nd_factor), predict(pfit, nd))
  expect_identical(predict(pfit, pdata[0, ]), numeric(0))
})
