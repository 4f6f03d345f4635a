# tidy(), glance() and augment() (generics; broom.mixed layout).

# ---- reference layouts ----
# Taken from broom.mixed 0.2.9.4 (Debian r-cran-broom.mixed 0.2.9.4-1) with lme4 1.1.31 on
#   fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), lme4::sleepstudy, REML = FALSE)
# by names(tidy(fm, effects = ..., conf.int = ...)), names(glance(fm)), names(augment(fm)) and the `term`/`effect`
# columns, so that the tests do not need broom.mixed at run time.
ref_tidy <- list(
  "fixed" = c("effect", "term", "estimate", "std.error", "statistic"),
  "ran_pars" = c("effect", "group", "term", "estimate"),
  "ran_vals" = c("effect", "group", "level", "term", "estimate", "std.error"),
  "ran_coefs" = c("effect", "group", "level", "term", "estimate"),
  "ran_pars+fixed" = c("effect", "group", "term", "estimate", "std.error", "statistic"),
  "ran_vals+fixed" = c("effect", "group", "level", "term", "estimate", "std.error", "statistic"),
  "ran_coefs+ran_pars" = c("effect", "group", "level", "term", "estimate"),
  "fixed+ran_pars+ran_vals+ran_coefs" = c("effect", "group", "level", "term", "estimate", "std.error",
                                          "statistic")
)
# with conf.int = TRUE every layout above gains these two columns at its end
ref_conf <- c("conf.low", "conf.high")
# tidy(fm): rows and terms (the ran_pars in lower-triangle order)
ref_default_effect <- c("fixed", "fixed", "ran_pars", "ran_pars", "ran_pars", "ran_pars")
ref_default_group <- c(NA, NA, "Subject", "Subject", "Subject", "Residual")
ref_default_term <- c("(Intercept)", "Days", "sd__(Intercept)", "cor__(Intercept).Days", "sd__Days",
                      "sd__Observation")
ref_vcov_term <- c("var__(Intercept)", "cov__(Intercept).Days", "var__Days", "var__Observation")
# tidy(lmer(Reaction ~ Days + x + (Days + x | Subject), REML = FALSE), effects = "ran_pars")$term
ref_q3_term <- c("sd__(Intercept)", "cor__(Intercept).Days", "cor__(Intercept).x", "sd__Days", "cor__Days.x",
                 "sd__x", "sd__Observation")
# unique(tidy(fm, effects = c("ran_coefs", "ran_vals", "ran_pars", "fixed"))$effect)
ref_effect_order <- c("fixed", "ran_pars", "ran_vals", "ran_coefs")
ref_glance <- c("nobs", "sigma", "logLik", "AIC", "BIC", "deviance", "df.residual")
ref_augment <- c("Reaction", "Days", "Subject", ".fitted", ".resid", ".hat", ".cooksd", ".fixed", ".mu",
                 ".offset", ".sqrtXwt", ".sqrtrwt", ".weights", ".wtres")
# gbmixed leaves out lme4's response-module internals (.mu = .fitted, .offset = 0, .sqrtXwt = .sqrtrwt =
# sqrt(.weights), .wtres = sqrt(.weights) * .resid for a Gaussian model without offsets)
aug_left_out <- c(".mu", ".offset", ".sqrtXwt", ".sqrtrwt", ".wtres")

# ---- fits ----
td_fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                  control = gbmixed_control(nrounds = 40, learning_rate = 0.2, min_leaf = 10, seed = 1,
                                            progress = FALSE))
td_lin <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                  control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 300, seed = 1,
                                            progress = FALSE))
# lme4's ML fit at its defaults, and converged tightly (its default stops ~1e-5 relative short of the optimum in
# G, which the linear learner reaches: logLik -875.969672231599 for both)
td_fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
tight <- lme4::lmerControl(optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-14, xtol_rel = 1e-14, maxeval = 1e5))
td_ft <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE, control = tight)

# The linear fit with lme4's variance parameters plugged in: the GLS formulas then give lme4's numbers exactly.
plug_lme4 <- function(fit, fm) {
  fit$G <- unclass(lme4::VarCorr(fm)[[1]])[seq_along(fit$z_names), seq_along(fit$z_names)]
  attr(fit$G, "stddev") <- attr(fit$G, "correlation") <- NULL
  fit$sigma2 <- sigma(fm)^2
  fit$fitted_disp <- rep(fit$sigma2, fit$nobs)
  fit
}

with_conf <- function(cols) c(cols, ref_conf)

# Largest element-wise relative difference.
max_rel <- function(object, expected) max(abs(as.numeric(object) / as.numeric(expected) - 1))

test_that("tidy() has broom.mixed's columns, column order and row order for every effects", {
  for (key in names(ref_tidy)) {
    eff <- strsplit(key, "+", fixed = TRUE)[[1]]
    expect_identical(names(tidy(td_lin, effects = eff)), ref_tidy[[key]], label = key)
    expect_identical(names(suppressWarnings(tidy(td_lin, effects = eff, conf.int = TRUE))),
                     with_conf(ref_tidy[[key]]), label = paste(key, "conf.int"))
    # the order of `effects` does not matter
    expect_identical(names(tidy(td_lin, effects = rev(eff))), ref_tidy[[key]], label = paste(key, "reversed"))
  }
  tt <- tidy(td_lin)
  expect_identical(tt$effect, ref_default_effect)
  expect_identical(tt$group, ref_default_group)
  expect_identical(tt$term, ref_default_term)
  all4 <- suppressWarnings(tidy(td_lin, effects = rev(ref_effect_order), conf.int = TRUE))
  expect_identical(unique(all4$effect), ref_effect_order)
  expect_identical(as.vector(table(all4$effect)[ref_effect_order]), c(2L, 4L, 36L, 36L))
  expect_true(all(is.na(all4$level[all4$effect %in% c("fixed", "ran_pars")])))
  expect_true(all(is.na(all4$statistic[all4$effect != "fixed"])))
  # a plain data.frame (no tibble dependency) with character columns and row names 1..n
  expect_identical(class(tt), "data.frame")
  expect_identical(rownames(all4), as.character(seq_len(nrow(all4))))
  expect_identical(vapply(all4, typeof, ""), c(effect = "character", group = "character", level = "character",
                                               term = "character", estimate = "double", std.error = "double",
                                               statistic = "double", conf.low = "double", conf.high = "double"))
  # a tree fit has the same layout (its "fixed" part has no rows, but its columns)
  expect_identical(names(tidy(td_fit)), ref_tidy[["ran_pars+fixed"]])
  expect_identical(names(tidy(td_fit, effects = c("ran_vals", "fixed"), conf.int = TRUE)),
                   with_conf(ref_tidy[["ran_vals+fixed"]]))
})

test_that("tidy() ran_pars come in broom.mixed's lower-triangle order, as VarCorr()", {
  tt <- tidy(td_fit, effects = "ran_pars")
  expect_identical(tt$term, ref_default_term[-(1:2)])
  expect_identical(tt$group, c("Subject", "Subject", "Subject", "Residual"))
  G <- VarCorr(td_fit)$Subject
  expect_equal(tt$estimate, c(sqrt(G[1, 1]), G[1, 2] / sqrt(G[1, 1] * G[2, 2]), sqrt(G[2, 2]), sigma(td_fit)),
               ignore_attr = TRUE)
  v <- tidy(td_fit, effects = "ran_pars", scales = "vcov")
  expect_identical(v$term, ref_vcov_term)
  expect_equal(v$estimate, c(G[1, 1], G[1, 2], G[2, 2], sigma(td_fit)^2), ignore_attr = TRUE)
  # broom.mixed's per-effect form of `scales`; a single value applies to ran_pars
  expect_identical(tidy(td_fit, effects = c("ran_pars", "fixed"), scales = c("vcov", NA))$term, ref_vcov_term)
  expect_identical(tidy(td_fit, scales = "vcov")$term, ref_vcov_term)
  expect_error(tidy(td_fit, scales = "sd"), "must be \"sdcor\" or \"vcov\", not \"sd\"")
  expect_error(tidy(td_fit, effects = c("ran_pars", "fixed"), scales = c("vcov", "sdcor")),
               "give NA for \"fixed\"")
  # three random effects: column by column of the lower triangle
  d <- sleep
  d$x <- withr_seed(5, stats::rnorm(nrow(d)))
  f3 <- gbmixed(Reaction ~ Days + x + (Days + x | Subject), d, control = quick_control())
  expect_identical(tidy(f3, effects = "ran_pars")$term, ref_q3_term)
  G3 <- VarCorr(f3)$Subject
  expect_equal(tidy(f3, effects = "ran_pars")$estimate[c(3, 5)],
               c(G3[3, 1] / sqrt(G3[1, 1] * G3[3, 3]), G3[3, 2] / sqrt(G3[2, 2] * G3[3, 3])), ignore_attr = TRUE)
  # uncorrelated effects have no cor__ term
  dg <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = quick_control())
  expect_identical(tidy(dg, effects = "ran_pars")$term, c("sd__(Intercept)", "sd__Days", "sd__Observation"))
  # no sampling variance for the variance parameters: NA, for trees and the linear learner
  for (f in list(td_fit, td_lin)) {
    rp <- tidy(f, conf.int = TRUE)
    rp <- rp[rp$effect == "ran_pars", ]
    expect_true(all(is.na(rp$std.error) & is.na(rp$statistic) & is.na(rp$conf.low) & is.na(rp$conf.high)))
  }
})

test_that("tidy() fixed: Wald standard errors from (X'V^-1X)^-1 match lme4's vcov()", {
  fx <- tidy(td_lin, effects = "fixed", conf.int = TRUE, conf.level = 0.9)
  expect_identical(fx$term, c("(Intercept)", "Days"))
  expect_equal(fx$estimate, unname(fixef(td_lin)))
  # the formula at lme4's own variance parameters gives lme4's vcov()
  plugged <- tidy(plug_lme4(td_lin, td_fm), effects = "fixed")
  expect_each_equal(plugged$std.error, sqrt(diag(as.matrix(vcov(td_fm)))), tolerance = 1e-6)
  # the linear learner's own fit against lme4 converged tightly (measured: 1e-8 relative)
  expect_each_equal(fx$std.error, sqrt(diag(as.matrix(vcov(td_ft)))), tolerance = 1e-6)
  expect_each_equal(fx$estimate, lme4::fixef(td_ft), tolerance = 1e-6)
  expect_equal(fx$statistic, fx$estimate / fx$std.error)
  expect_each_equal(fx$statistic, summary(td_ft)$coefficients[, "t value"], tolerance = 1e-6)
  # Wald intervals: estimate -/+ qnorm(0.95) std.error, as confint(method = "Wald")
  expect_equal(fx$conf.high - fx$estimate, qnorm(0.95) * fx$std.error)
  ci <- confint(td_ft, parm = "beta_", method = "Wald", level = 0.9)
  expect_each_equal(fx$conf.low, ci[, 1], tolerance = 1e-6)
  expect_each_equal(fx$conf.high, ci[, 2], tolerance = 1e-6)
  # the V^-1 of the package against a dense V_i = Z_i G Z_i' + diag(R(x)/w), with a boosted R(x) and weights
  w <- rep(c(1, 2, 0.5), 60)
  rl <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, dispformula = ~ Days, weights = w,
                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 20, seed = 1,
                                          progress = FALSE))
  X <- cbind(1, sleep$Days)
  A <- matrix(0, 2, 2)
  for (s in split(seq_len(180), sleep$Subject)) {
    V <- X[s, ] %*% rl$G %*% t(X[s, ]) + diag(rl$fitted_disp[s] / w[s])
    A <- A + t(X[s, ]) %*% solve(V, X[s, ])
  }
  expect_equal(tidy(rl, effects = "fixed")$std.error, sqrt(diag(solve(A))), tolerance = 1e-10)
})

test_that("tidy() conf.method is Wald only; exponentiate = TRUE as broom (exp, delta-method std.error)", {
  expect_error(tidy(td_lin, conf.int = TRUE, conf.method = "profile"),
               "conf.method = \"profile\" is not available.*only \"Wald\"")
  expect_error(tidy(td_lin, conf.method = "boot"), "only \"Wald\" is supported")
  expect_identical(tidy(td_lin, conf.int = TRUE, conf.method = "Wald"), tidy(td_lin, conf.int = TRUE))
  raw <- tidy(td_lin, conf.int = TRUE)
  ex <- tidy(td_lin, conf.int = TRUE, exponentiate = TRUE)
  f <- ex$effect == "fixed"
  expect_equal(ex$estimate[f], exp(raw$estimate[f]))
  expect_equal(ex$std.error[f], raw$std.error[f] * exp(raw$estimate[f]))
  expect_equal(ex$conf.low[f], exp(raw$conf.low[f]))
  expect_equal(ex$conf.high[f], exp(raw$conf.high[f]))
  expect_equal(ex$statistic, raw$statistic)
  expect_identical(ex[!f, ], raw[!f, ])
  expect_error(tidy(td_lin, exponentiate = NA), "`exponentiate` must be TRUE or FALSE")
})

test_that("tidy() effects: allowed values, fixed and ran_coefs of a tree fit", {
  expect_error(tidy(td_fit, effects = "random"),
               paste("`effects` must be one or more of \"fixed\", \"ran_pars\", \"ran_vals\" and \"ran_coefs\",",
                     "not \"random\""), fixed = TRUE)
  expect_error(tidy(td_fit, effects = c("ran_pars", "ran_modes")), "not \"ran_modes\"")
  expect_error(tidy(td_fit, effects = character(0)), "`effects` must be one or more of")
  # trees have no fixed coefficients: no rows (with the columns), and a message once per session
  rm(list = ls(gbmixed:::tidy_messages), envir = gbmixed:::tidy_messages)
  expect_message(fx <- tidy(td_fit, effects = "fixed"), "ensemble of trees, which has no fixed coefficients")
  expect_identical(nrow(fx), 0L)
  expect_identical(names(fx), ref_tidy[["fixed"]])
  expect_message(tidy(td_fit, effects = "fixed"), NA)
  expect_message(tt <- tidy(td_fit), NA)
  expect_false(any(tt$effect == "fixed"))
  expect_error(tidy(td_fit, effects = "ran_coefs"), "\"ran_coefs\".*ensemble of trees.*effects = \"ran_vals\"")
})

test_that("tidy() ran_vals gives the BLUPs with standard errors from P_i", {
  rv <- tidy(td_fit, effects = "ran_vals", conf.int = TRUE, conf.level = 0.9)
  expect_identical(names(rv), with_conf(ref_tidy[["ran_vals"]]))
  expect_identical(nrow(rv), 36L)
  re <- ranef(td_fit)$Subject
  pv <- attr(re, "postVar")
  expect_identical(rv$term, rep(c("(Intercept)", "Days"), each = 18))
  days <- rv[rv$term == "Days", ]
  expect_identical(days$level, rownames(re))
  expect_equal(days$estimate, re$Days)
  expect_equal(days$std.error, sqrt(pv[2, 2, ]))
  expect_equal(days$conf.high - days$estimate, qnorm(0.95) * days$std.error)
  # the linear learner's BLUPs and condsd are lme4's
  rl <- tidy(td_lin, effects = "ran_vals")
  lr <- as.data.frame(lme4::ranef(td_ft, condVar = TRUE))
  expect_identical(rl$level, as.character(lr$grp))
  expect_identical(rl$term, as.character(lr$term))
  expect_equal(rl$estimate, lr$condval, tolerance = 1e-6)
  expect_equal(rl$std.error, lr$condsd, tolerance = 1e-6)
})

test_that("tidy() ran_coefs gives fixed + random per cluster, as lme4's coef()", {
  rc <- tidy(td_lin, effects = "ran_coefs")
  expect_identical(names(rc), ref_tidy[["ran_coefs"]])
  expect_identical(rc$term, rep(c("(Intercept)", "Days"), each = 18))
  expect_identical(rc$level, rep(levels(sleep$Subject), 2))
  b <- ranef(td_lin)$Subject
  expect_equal(rc$estimate, c(fixef(td_lin)[1] + b[, 1], fixef(td_lin)[2] + b[, 2]))
  expect_lt(max_rel(rc$estimate, unlist(coef(td_ft)$Subject)), 1e-6)
  expect_warning(rci <- tidy(td_lin, effects = "ran_coefs", conf.int = TRUE), "CIs not available")
  expect_true(all(is.na(rci$conf.low) & is.na(rci$conf.high)))
  # terms without a random effect are the coefficient for every cluster; random-only terms come first, as coef()
  d <- sleep
  d$x <- withr_seed(6, stats::rnorm(nrow(d)))
  lx <- gbmixed(Reaction ~ x + (0 + Days | Subject), d,
                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 100, seed = 1,
                                          progress = FALSE))
  fx <- lme4::lmer(Reaction ~ x + (0 + Days | Subject), d, REML = FALSE, control = tight)
  rx <- tidy(lx, effects = "ran_coefs")
  expect_identical(unique(rx$term), names(coef(fx)$Subject))
  expect_equal(rx$estimate, unname(unlist(coef(fx)$Subject)), tolerance = 1e-5)
})

test_that("glance() gives broom.mixed's columns first, deviance = -2 logLik, df.residual = nobs - df", {
  g <- glance(td_fit)
  expect_identical(nrow(g), 1L)
  expect_identical(names(g), c(ref_glance, "nclusters", "df", "variant", "learner", "nrounds", "rounds_run",
                               "best_round", "train_loss", "valid_loss"))
  expect_identical(class(g), "data.frame")
  expect_identical(g$nobs, 180L)
  expect_identical(g$nclusters, 18L)
  expect_equal(g$sigma, sigma(td_fit))
  expect_equal(g$logLik, as.numeric(logLik(td_fit)))
  expect_equal(g$deviance, -2 * as.numeric(logLik(td_fit)))
  expect_true(is.na(g$AIC))
  expect_true(is.na(g$df))
  expect_true(is.na(g$df.residual))
  expect_true(is.na(g$best_round))
  expect_true(is.na(g$valid_loss))
  expect_identical(g$nrounds, 40L)
  gl <- glance(td_lin)
  expect_equal(gl$AIC, AIC(td_lin))
  expect_equal(gl$BIC, BIC(td_lin))
  expect_equal(gl$deviance, -2 * as.numeric(logLik(td_lin)))
  expect_identical(gl$df, attr(logLik(td_lin), "df"))
  expect_identical(gl$df.residual, 174L)
  # lme4's numbers of the same ML fit
  expect_equal(gl$deviance, deviance(td_ft), tolerance = 1e-10)
  expect_equal(gl$df.residual, df.residual(td_ft))
  expect_equal(gl$logLik, as.numeric(logLik(td_ft)), tolerance = 1e-10)
})

test_that("augment() has broom.mixed's columns in its order, with .hat and .cooksd of lme4", {
  a <- augment(td_lin)
  expect_identical(names(a), setdiff(ref_augment, aug_left_out))
  expect_identical(class(a), "data.frame")
  # leverages: the formula at lme4's variance parameters is hatvalues(); the fit itself against the tight lmer
  expect_equal(augment(plug_lme4(td_lin, td_fm))$.hat, unname(hatvalues(td_fm)), tolerance = 1e-10)
  expect_lt(max_rel(a$.hat, hatvalues(td_ft)), 1e-6)
  expect_equal(sum(a$.hat), sum(hatvalues(td_ft)), tolerance = 1e-6)
  expect_lt(max_rel(a$.cooksd, cooks.distance(td_ft)), 1e-5)
  expect_equal(a$.fixed, unname(predict(td_ft, re.form = NA)), tolerance = 1e-6)
  expect_identical(a$.weights, rep(1, 180))
  # with precision weights (lme4 defines the hat matrix of the weighted fit)
  w <- rep(1:3, 60)
  lw <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, weights = w,
                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 300, seed = 1,
                                          progress = FALSE))
  sw <- sleep
  sw$w <- w
  fw <- lme4::lmer(Reaction ~ Days + (Days | Subject), sw, REML = FALSE, weights = w, control = tight)
  aw <- augment(lw)
  expect_identical(aw$.weights, as.numeric(w))
  expect_lt(max_rel(aw$.hat, hatvalues(fw)), 1e-5)
  expect_lt(max_rel(aw$.cooksd, cooks.distance(fw)), 1e-4)
  expect_each_equal(tidy(lw, effects = "fixed")$std.error, sqrt(diag(as.matrix(vcov(fw)))), tolerance = 1e-5)
  # trees: no hat matrix, so NA
  at <- augment(td_fit, interval = "prediction")
  expect_identical(names(at), c(setdiff(ref_augment, aug_left_out), ".lower", ".upper"))
  expect_true(all(is.na(at$.hat) & is.na(at$.cooksd)))
})

test_that("augment() adds .fitted, .resid, .fixed and intervals", {
  a <- augment(td_fit)
  expect_identical(nrow(a), 180L)
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
  expect_error(augment(td_fit, re.form = NA), "`re.form` applies to `newdata`")
  nd <- data.frame(Days = c(1, 5), Subject = c("308", "new"))
  an <- augment(td_fit, newdata = nd, allow.new.levels = TRUE, interval = "prediction")
  expect_identical(names(an), c("Days", "Subject", ".fitted", ".fixed", ".lower", ".upper"))
  expect_equal(an$.fitted, predict(td_fit, nd, allow.new.levels = TRUE))
  an2 <- augment(td_fit, newdata = sleep[1:5, ])
  expect_identical(names(an2), c("Reaction", "Days", "Subject", ".fitted", ".resid", ".fixed"))
  expect_equal(an2$.resid, sleep$Reaction[1:5] - an2$.fitted)
  # with clusters held out for validation, augment(data = ) keeps the training rows
  vf <- gbmixed(Reaction ~ Days + (1 | Subject), sleep,
                control = gbmixed_control(nrounds = 10, validation = 0.25, seed = 1, progress = FALSE))
  av <- augment(vf, data = sleep)
  expect_identical(nrow(av), vf$nobs)
  expect_false(any(as.character(av$Subject) %in% vf$validation$clusters))
  expect_equal(av$.fitted, fitted(vf))
  expect_identical(length(av$.weights), vf$nobs)
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

test_that("every tidier refuses unknown arguments, naming them", {
  expect_error(tidy(td_lin, efects = "fixed"),
               "unused argument `efects` \\(did you mean `effects`\\?\\) in tidy\\(\\)")
  expect_error(tidy(td_lin, ddf.method = "Satterthwaite"), "unused argument `ddf.method`")
  expect_error(tidy(td_fit, conf.lvl = 0.9), "unused argument `conf.lvl` \\(did you mean `conf.level`\\?\\)")
  expect_error(glance(td_fit, digits = 3), "unused argument `digits` in glance\\(\\)")
  expect_error(augment(td_fit, newdta = sleep), "unused argument `newdta` \\(did you mean `newdata`\\?\\)")
  expect_error(augment(td_fit, type.predict = "response"), "unused argument `type.predict` in augment\\(\\)")
})
