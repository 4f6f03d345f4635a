mfit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                control = gbmixed_control(nrounds = 80, learning_rate = 0.1, min_leaf = 10, seed = 2,
                                          progress = FALSE))

test_that("ranef() returns lme4's layout, with postVar when condVar = TRUE", {
  re <- ranef(mfit)
  expect_s3_class(re, "ranef.mer")
  expect_named(re, "Subject")
  expect_identical(rownames(re$Subject), levels(sleep$Subject))
  expect_identical(colnames(re$Subject), c("(Intercept)", "Days"))
  pv <- attr(re$Subject, "postVar")
  expect_identical(dim(pv), c(2L, 2L, 18L))
  # posterior covariances are symmetric positive definite and smaller than G
  for (i in 1:18) {
    expect_equal(pv[, , i], t(pv[, , i]))
    expect_true(all(eigen(pv[, , i])$values > 0))
    expect_true(all(eigen(VarCorr(mfit)$Subject - pv[, , i])$values > 0))
  }
  expect_null(attr(ranef(mfit, condVar = FALSE)$Subject, "postVar"))
  ri <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, control = quick_control())
  d <- ranef(ri, drop = TRUE)$Subject
  expect_named(d, levels(sleep$Subject))
  expect_length(attr(d, "postVar"), 18L)
})

test_that("VarCorr() gives G with stddev and correlation, and sigma", {
  vc <- VarCorr(mfit)
  expect_s3_class(vc, "VarCorr.merMod")
  G <- vc$Subject
  expect_equal(attr(G, "stddev"), sqrt(diag(G)), ignore_attr = TRUE)
  expect_equal(attr(G, "correlation")[1, 2], G[1, 2] / sqrt(G[1, 1] * G[2, 2]))
  expect_identical(attr(vc, "sc"), sigma(mfit))
  expect_output(print(vc), "Residual")
  expect_output(print(vc), "Corr")
  # lme4's as.data.frame() method works on it
  df <- as.data.frame(vc)
  expect_equal(df$vcov[df$grp == "Residual"], sigma(mfit)^2)
})

test_that("fitted, residuals, nobs and logLik are consistent", {
  expect_length(fitted(mfit), 180L)
  expect_equal(residuals(mfit), sleep$Reaction - fitted(mfit))
  expect_equal(residuals(mfit, type = "pearson"), residuals(mfit) / sigma(mfit))
  expect_identical(nobs(mfit), 180L)
  ll <- logLik(mfit)
  expect_s3_class(ll, "logLik")
  # a boosted mean has no count of parameters: no df, so no AIC or BIC (and glance() agrees)
  expect_identical(attr(ll, "df"), NA_integer_)
  expect_identical(attr(ll, "nobs"), 180L)
  expect_true(is.na(AIC(mfit)) && is.na(BIC(mfit)))
  expect_true(is.na(glance(mfit)$AIC) && is.na(glance(mfit)$df))
  # the linear learner is lmer's model: lmer's df (2 coefficients + 3 entries of G + sigma^2) and AIC
  lin <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 100, progress = FALSE))
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
  expect_identical(attr(logLik(lin), "df"), 6L)
  expect_equal(AIC(lin), AIC(fm), tolerance = 1e-6)
  expect_equal(BIC(lin), BIC(fm), tolerance = 1e-6)
  expect_equal(glance(lin)$AIC, AIC(fm), tolerance = 1e-6)
  expect_error(logLik(mfit, REML = TRUE), "unused argument `REML` in logLik\\(\\)")
  # the training loss is the negative log-likelihood without the constant, falling over the rounds
  expect_length(mfit$loss, 81L)
  expect_equal(mfit$loss[81] + 180 / 2 * log(2 * pi), -as.numeric(ll), tolerance = 1e-8)
  expect_lt(mfit$loss[81], mfit$loss[1])
})

test_that("fixef() is for the linear learner only", {
  expect_error(fixef(mfit), "only for fits with learner = \"linear\"")
})

test_that("print and summary show the variant, sizes and variance components", {
  expect_output(print(mfit), "Gradient boosted mixed model \\(Base\\)")
  expect_output(print(mfit), "180 rows in 18 clusters of Subject")
  s <- summary(mfit)
  expect_s3_class(s, "summary.gbmixed")
  expect_output(print(s), "Variance components")
  expect_output(print(s), "Importance of covariates")
  expect_named(s$importance, "Days")
  expect_equal(sum(mfit$importance), 1)
})

test_that("sigma(newdata) gives one value per row", {
  expect_identical(sigma(mfit, newdata = sleep[1:4, ]), rep(sigma(mfit), 4))
})

test_that("weights act as precision weights (residual variance sigma^2 / w)", {
  w <- rep(c(1, 4), 90)
  fitw <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, weights = w,
                  control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 2000, seed = 1,
                                            progress = FALSE))
  fm <- lme4::lmer(Reaction ~ Days + (1 | Subject), sleep, weights = w, REML = FALSE)
  expect_equal(sigma(fitw), sigma(fm), tolerance = 1e-4)
  expect_each_equal(fixef(fitw), lme4::fixef(fm), tolerance = 1e-4)
  expect_equal(residuals(fitw, type = "pearson"), residuals(fitw) * sqrt(w) / sigma(fitw))
})
