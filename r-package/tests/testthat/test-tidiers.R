# tidy(), glance() and augment() (generics; broom.mixed layout).

td_fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                  control = gbmixed_control(nrounds = 40, learning_rate = 0.2, min_leaf = 10, seed = 1,
                                            progress = FALSE))
td_lin <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                  control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 300, seed = 1,
                                            progress = FALSE))

test_that("tidy() ran_pars gives sd and cor of G and sigma, as VarCorr() and broom.mixed", {
  tt <- tidy(td_fit)
  expect_s3_class(tt, "data.frame")
  expect_named(tt, c("effect", "group", "term", "estimate", "std.error"))
  expect_identical(tt$term, c("sd__(Intercept)", "sd__Days", "cor__(Intercept).Days", "sd__Observation"))
  expect_identical(tt$group, c("Subject", "Subject", "Subject", "Residual"))
  G <- VarCorr(td_fit)$Subject
  expect_equal(tt$estimate, c(sqrt(diag(G)), G[1, 2] / sqrt(G[1, 1] * G[2, 2]), sigma(td_fit)),
               ignore_attr = TRUE)
  v <- tidy(td_fit, scales = "vcov")
  expect_identical(v$term, c("var__(Intercept)", "var__Days", "cov__(Intercept).Days", "var__Observation"))
  expect_equal(v$estimate, c(diag(G), G[1, 2], sigma(td_fit)^2), ignore_attr = TRUE)
  # a tree fit has no coefficients: "fixed" is left out of the default, an error when asked for alone
  expect_false(any(tt$effect == "fixed"))
  expect_error(tidy(td_fit, effects = "fixed"), "no coefficients.*ensemble of trees")
  expect_error(tidy(td_fit, effects = "random"), "`effects` must be one or more of")
  # uncorrelated effects have no cor__ term
  dg <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = quick_control())
  expect_identical(tidy(dg)$term, c("sd__(Intercept)", "sd__Days", "sd__Observation"))
})

test_that("tidy() ran_vals gives the BLUPs with standard errors from P_i", {
  rv <- tidy(td_fit, effects = "ran_vals", conf.int = TRUE, conf.level = 0.9)
  expect_named(rv, c("effect", "group", "level", "term", "estimate", "std.error", "conf.low", "conf.high"))
  expect_identical(nrow(rv), 36L)
  re <- ranef(td_fit)$Subject
  pv <- attr(re, "postVar")
  days <- rv[rv$term == "Days", ]
  expect_identical(days$level, rownames(re))
  expect_equal(days$estimate, re$Days)
  expect_equal(days$std.error, sqrt(pv[2, 2, ]))
  expect_equal(days$conf.high - days$estimate, qnorm(0.95) * days$std.error)
})

test_that("tidy() fixed gives the linear learner's coefficients; effects combine", {
  fx <- tidy(td_lin, effects = "fixed")
  expect_identical(fx$term, c("(Intercept)", "Days"))
  expect_equal(fx$estimate, unname(fixef(td_lin)))
  expect_true(all(is.na(fx$std.error)))
  all3 <- tidy(td_lin, effects = c("ran_pars", "ran_vals", "fixed"))
  expect_identical(as.vector(table(all3$effect)[c("fixed", "ran_pars", "ran_vals")]), c(2L, 4L, 36L))
  expect_true(all(is.na(all3$level[all3$effect != "ran_vals"])))
  # against lme4 at its ML fit (the linear learner converges to it)
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
  expect_equal(fx$estimate, unname(lme4::fixef(fm)), tolerance = 1e-3)
  expect_equal(tidy(td_lin)$estimate[4], sigma(fm), tolerance = 1e-3)
})

test_that("glance() gives one row; AIC only for a linear Base fit", {
  g <- glance(td_fit)
  expect_identical(nrow(g), 1L)
  expect_named(g, c("nobs", "nclusters", "sigma", "logLik", "AIC", "BIC", "df", "variant", "learner", "nrounds",
                    "rounds_run", "best_round", "train_loss", "valid_loss"))
  expect_identical(g$nobs, 180L)
  expect_identical(g$nclusters, 18L)
  expect_equal(g$sigma, sigma(td_fit))
  expect_equal(g$logLik, as.numeric(logLik(td_fit)))
  expect_true(is.na(g$AIC))
  expect_true(is.na(g$best_round))
  expect_true(is.na(g$valid_loss))
  expect_identical(g$nrounds, 40L)
  gl <- glance(td_lin)
  expect_equal(gl$AIC, AIC(td_lin))
  expect_equal(gl$BIC, BIC(td_lin))
})

test_that("augment() adds .fitted, .fixed, .resid and intervals", {
  a <- augment(td_fit)
  expect_identical(nrow(a), 180L)
  expect_true(all(c("Reaction", "Days", "Subject", ".fitted", ".fixed", ".resid") %in% names(a)))
  expect_equal(a$.fitted, fitted(td_fit))
  expect_equal(a$.resid, residuals(td_fit))
  expect_equal(a$.fixed, predict(td_fit, type = "fixed"))
  expect_identical(levels(a$Subject), levels(sleep$Subject))
  ad <- augment(td_fit, data = sleep, interval = "prediction", level = 0.8)
  expect_identical(ad$Reaction, sleep$Reaction)
  pi <- predict(td_fit, interval = "prediction", level = 0.8)
  expect_equal(ad$.lower, pi$lwr)
  expect_equal(ad$.upper, pi$upr)
  expect_error(augment(td_fit, data = sleep[1:10, ]), "`data` has 10 rows.*180 rows")
  nd <- data.frame(Days = c(1, 5), Subject = c("308", "new"))
  an <- augment(td_fit, newdata = nd, allow.new.levels = TRUE, interval = "prediction")
  expect_equal(an$.fitted, predict(td_fit, nd, allow.new.levels = TRUE))
  expect_false(".resid" %in% names(an))
  an2 <- augment(td_fit, newdata = sleep[1:5, ])
  expect_equal(an2$.resid, sleep$Reaction[1:5] - an2$.fitted)
  # with clusters held out for validation, augment(data = ) keeps the training rows
  vf <- gbmixed(Reaction ~ Days + (1 | Subject), sleep,
                control = gbmixed_control(nrounds = 10, validation = 0.25, seed = 1, progress = FALSE))
  av <- augment(vf, data = sleep)
  expect_identical(nrow(av), vf$nobs)
  expect_false(any(as.character(av$Subject) %in% vf$validation$clusters))
  expect_equal(av$.fitted, fitted(vf))
})

test_that("augment() rebuilds missing covariates and factors from the model", {
  d <- sim_clustered(20, 6, seed = 83)
  d$x1[c(2, 7)] <- NA
  fit <- gbmixed(y ~ x1 + g + (1 + t | id), d, control = quick_control())
  a <- augment(fit)
  expect_identical(a$x1, d$x1)
  expect_identical(as.character(a$g), d$g)
  expect_equal(a$t, d$t)
})
