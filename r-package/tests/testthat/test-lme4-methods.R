# The lme4 verbs a user with lme4 habits calls on a gbmixed fit: lme4's answer for the linear learner (whose fit is
# lmer(..., REML = FALSE)), or a refusal with a sentence for a boosted mean. Reference values from lme4 on sleepstudy
# with a tight optimizer; the linear learner converges in far fewer than its 200 rounds (logLik equal to 1e-13).

lm4_tight <- lme4::lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12))
lm4_ctl <- gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200, seed = 1, progress = FALSE)
lm4_fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE, control = lm4_tight)
lm4_lin <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = lm4_ctl)
lm4_tree <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = quick_control())

test_that("model.frame() is the training rows' variables, as lme4's; no `$model` partial match", {
  # stats' default read fit$model, which R partially matched to fit$model_bytes (the engine's raw bytes)
  expect_null(lm4_lin$model)
  expect_null(lm4_lin$coef)
  expect_type(lm4_lin$model_bytes, "raw")
  mf <- model.frame(lm4_lin)
  expect_s3_class(mf, "data.frame")
  expect_identical(names(mf), names(model.frame(lm4_fm)))           # Reaction, Days, Subject
  expect_equal(mf, model.frame(lm4_fm), ignore_attr = TRUE)
  expect_s3_class(attr(mf, "terms"), "terms")
  expect_equal(model.frame(lm4_tree), mf)
  expect_identical(names(model.frame(lm4_lin, fixed.only = TRUE)), c("Reaction", "Days"))
  # weights as "(weights)"; a factor of the random-effects term and a treatment come back as they were
  w <- rep(c(1, 4), 90)
  fw <- lme4::lmer(Reaction ~ Days + (1 | Subject), sleep, weights = w, REML = FALSE)
  gw <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, weights = w, control = quick_control())
  expect_identical(names(model.frame(gw)), names(model.frame(fw)))
  expect_equal(model.frame(gw), model.frame(fw), ignore_attr = TRUE)
  d <- sleep
  d$g <- factor(rep(c("a", "b", "c"), 60))
  d$trt <- rep(0:1, 90)
  gf <- gbmixed(Reaction ~ Days + trt + (1 + g | Subject), d, treatment = "trt", control = quick_control())
  mf <- model.frame(gf)
  expect_identical(names(mf), c("Reaction", "Days", "trt", "g", "Subject"))
  expect_identical(mf$g, d$g)
  expect_identical(mf$trt, as.double(d$trt))
  # an ordered factor, which the linear learner takes as lmer's polynomial contrasts
  d$dose <- factor(rep(c("lo", "mid", "hi"), each = 60), levels = c("lo", "mid", "hi"), ordered = TRUE)
  go <- gbmixed(Reaction ~ Days + dose + (1 | Subject), d, control = lm4_ctl)
  fo <- lme4::lmer(Reaction ~ Days + dose + (1 | Subject), d, REML = FALSE)
  expect_identical(model.frame(go)$dose, d$dose)
  expect_equal(model.frame(go), model.frame(fo), ignore_attr = TRUE)
  # `.` expands to the covariates it stood for
  gd <- gbmixed(Reaction ~ . + (1 | Subject), d[c("Reaction", "Days", "g", "Subject")], control = quick_control())
  expect_identical(names(model.frame(gd)), c("Reaction", "Days", "g", "Subject"))
  expect_identical(attr(terms(gd), "term.labels"), c("Days", "g"))
  expect_error(model.frame(lm4_lin, fixedonly = TRUE), "unused argument `fixedonly` \\(did you mean `fixed.only`\\?\\)")
})

test_that("coef() is lme4's per-cluster table for the linear learner, and refuses for a boosted mean", {
  cf <- coef(lm4_lin)
  ref <- coef(lm4_fm)
  expect_s3_class(cf, "coef.mer")
  expect_named(cf, "Subject")
  expect_identical(dimnames(cf$Subject), dimnames(ref$Subject))
  # element-wise 1e-5 relative (measured 1.35e-6 at most: subject 335's slope, -0.13, differs by 2e-6, the BLUPs'
  # share of theta's imprecision, see getME() below); as a whole 1e-7 (measured 2.9e-9)
  expect_each_equal(as.matrix(cf$Subject), as.matrix(ref$Subject), tolerance = 1e-5)
  expect_equal(as.matrix(cf$Subject), as.matrix(ref$Subject), tolerance = 1e-7)
  # a random effect without a fixed one: its fixed column is 0, as lme4 fills it
  d <- sleep
  d$t <- d$Days / 9
  ri <- gbmixed(Reaction ~ Days + (1 + t | Subject), d, control = lm4_ctl)
  expect_identical(names(coef(ri)$Subject), c("t", "(Intercept)", "Days"))
  expect_equal(coef(ri)$Subject$t, ranef(ri)$Subject$t)
  expect_error(coef(lm4_tree), "coef\\(\\) needs fixed effects, and this fit has none: its mean f\\(x\\) is boosted")
  expect_error(coef(lm4_tree), "ranef\\(\\).*predict\\(\\)")
  expect_error(coef(lm4_lin, 1), "unused argument an unnamed argument")
})

test_that("vcov() is the GLS covariance of the fixed effects, lme4's for the ML fit", {
  V <- vcov(lm4_lin)
  ref <- as.matrix(vcov(lm4_fm))
  expect_identical(dimnames(V), dimnames(ref))
  expect_true(isSymmetric(V))
  expect_each_equal(V, ref, tolerance = 1e-6)                       # measured: 6.1e-7 relative at most
  # with weights and with `||`
  w <- rep(c(1, 4), 90)
  gw <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, weights = w,
                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 2000, seed = 1,
                                          progress = FALSE))
  fw <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, weights = w, REML = FALSE, control = lm4_tight)
  expect_each_equal(vcov(gw), as.matrix(vcov(fw)), tolerance = 1e-5)   # measured 2.6e-7
  gd <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = lm4_ctl)
  fd <- lme4::lmer(Reaction ~ Days + (Days || Subject), sleep, REML = FALSE, control = lm4_tight)
  expect_each_equal(vcov(gd), as.matrix(vcov(fd)), tolerance = 1e-6)   # measured 7.2e-8
  expect_error(vcov(lm4_tree), "vcov\\(\\) needs fixed effects, and this fit has none")
  expect_error(vcov(lm4_tree), "predict\\(interval = \"confidence\"\\) and, for treatment effects, cate\\(\\)")
  expect_error(vcov(lm4_lin, correlation = TRUE), "unused argument `correlation`")
})

test_that("confint(method = \"Wald\") mirrors lme4's rows; \"boot\" goes to confint_boot()", {
  ci <- confint(lm4_lin)
  ref <- confint(lm4_fm, method = "Wald")
  expect_identical(dimnames(ci), dimnames(ref))                     # .sig01 .sig02 .sig03 .sigma (Intercept) Days
  expect_true(all(is.na(ci[1:4, ])))
  expect_each_equal(ci[5:6, ], ref[5:6, ], tolerance = 1e-6)        # measured 3.2e-9
  expect_equal(confint(lm4_lin, "Days", level = 0.9), confint(lm4_fm, "Days", level = 0.9, method = "Wald"),
               tolerance = 1e-6)
  expect_identical(rownames(confint(lm4_lin, "beta_")), c("(Intercept)", "Days"))
  expect_identical(rownames(confint(lm4_lin, "theta_")), c(".sig01", ".sig02", ".sig03", ".sigma"))
  expect_identical(rownames(confint(lm4_lin, c(1, 6))), c(".sig01", "Days"))
  gd <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = lm4_ctl)
  fd <- lme4::lmer(Reaction ~ Days + (Days || Subject), sleep, REML = FALSE, control = lm4_tight)
  expect_identical(rownames(confint(gd)), rownames(confint(fd, method = "Wald")))
  expect_error(confint(lm4_lin, "days"), "`parm` names \"days\", not rows")
  # method = "boot" goes to confint_boot() (R/bootstrap.R) with parm, level, nsim and the rest of `...`, in the
  # same layout as the Wald intervals
  bt <- confint(lm4_lin, method = "boot", level = 0.9, nsim = 20, seed = 1, progress = FALSE)
  expect_identical(dimnames(bt), dimnames(confint(lm4_lin, level = 0.9)))
  expect_identical(rownames(confint(lm4_lin, "Days", method = "boot", nsim = 20, seed = 1, progress = FALSE)), "Days")
  expect_error(confint(lm4_tree), "confint\\(method = \"Wald\"\\) needs fixed effects")
  expect_error(confint(lm4_lin, method = "profile"), "`method` must be one of \"Wald\", \"boot\"")
  expect_error(confint(lm4_lin, level = 95), "`level` must be a single number in \\(0, 1\\)")
  expect_error(confint(lm4_lin, lvel = 0.9), "unused argument `lvel` \\(did you mean `level`\\?\\) in confint\\(\\)")
})

test_that("getME() gives lme4's X, Z, b, theta, ... and lists its names for anything else", {
  expect_equal(getME(lm4_lin, "X"), lme4::getME(lm4_fm, "X"), ignore_attr = TRUE)
  Z <- getME(lm4_lin, "Z")
  expect_identical(colnames(Z), colnames(lme4::getME(lm4_fm, "Z")))
  expect_equal(Z, as.matrix(lme4::getME(lm4_fm, "Z")), ignore_attr = TRUE)
  expect_identical(getME(lm4_lin, "Zt"), t(Z))
  b <- getME(lm4_lin, "b")
  expect_equal(as.vector(Z %*% b), lm4_lin$fitted_random, tolerance = 1e-12)
  expect_equal(as.vector(b), as.vector(lme4::getME(lm4_fm, "b")), tolerance = 1e-6)   # measured 3.6e-8
  # theta: the deviance is flat to 1e-13 around the optimum, which pins the small off-diagonal entry (0.018) to
  # about 2e-8 absolute only: its own relative error is 1.2e-6 (lme4's optimizers differ among themselves by 2e-6)
  th <- getME(lm4_lin, "theta")
  ref <- lme4::getME(lm4_fm, "theta")
  expect_identical(names(th), names(ref))
  expect_equal(th, ref, tolerance = 1e-6)                           # measured 9.4e-8 (mean relative)
  expect_each_equal(th[c(1, 3)], ref[c(1, 3)], tolerance = 1e-6)    # the diagonal entries: 9.3e-8 and 6.8e-9
  expect_identical(getME(lm4_lin, "lower"), lme4::getME(lm4_fm, "lower"))
  expect_equal(getME(lm4_lin, "beta"), unname(lme4::getME(lm4_fm, "beta")), ignore_attr = TRUE, tolerance = 1e-8)
  expect_equal(getME(lm4_lin, "sigma"), sigma(lm4_fm), tolerance = 1e-7)
  expect_identical(getME(lm4_lin, "flist"), lme4::getME(lm4_fm, "flist"))
  expect_identical(getME(lm4_lin, "cnms"), lme4::getME(lm4_fm, "cnms"))
  for (nm in c("n", "N", "p", "q", "k", "m", "l_i", "q_i")) {
    expect_equal(getME(lm4_lin, nm), lme4::getME(lm4_fm, nm), info = nm)
  }
  expect_equal(getME(lm4_lin, c("y", "mu")), list(y = sleep$Reaction, mu = fitted(lm4_lin)))
  # `||`: lme4 splits the term in two, so Z is effect by effect and theta has one entry per effect
  gd <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = lm4_ctl)
  fd <- lme4::lmer(Reaction ~ Days + (Days || Subject), sleep, REML = FALSE, control = lm4_tight)
  expect_identical(colnames(getME(gd, "Z")), colnames(lme4::getME(fd, "Z")))
  expect_equal(getME(gd, "Z"), as.matrix(lme4::getME(fd, "Z")), ignore_attr = TRUE)
  expect_equal(as.vector(getME(gd, "Z") %*% getME(gd, "b")), gd$fitted_random, tolerance = 1e-12)
  expect_each_equal(getME(gd, "theta"), lme4::getME(fd, "theta"), tolerance = 1e-6)
  expect_identical(names(getME(gd, "theta")), names(lme4::getME(fd, "theta")))
  for (nm in c("cnms", "lower")) expect_identical(getME(gd, nm), lme4::getME(fd, nm), info = nm)
  for (nm in c("k", "m", "q_i", "l_i")) expect_equal(getME(gd, nm), lme4::getME(fd, nm), info = nm)
  # refusals
  expect_error(getME(lm4_lin, "Lambda"), "supports \"X\", \"Z\".*\"Lambda\" is internal to lme4's fitting")
  expect_error(getME(lm4_lin, "foo"), "\"foo\" is not one of them")
  expect_error(getME(lm4_tree, "beta"), "needs fixed effects, and this fit has none")
  expect_error(getME(lm4_tree, "X"), "model.matrix\\(\\) gives the covariate matrix")
  expect_length(getME(lm4_tree, "theta"), 3L)
})

test_that("isSingular() follows lme4's definition (a diagonal theta below tol)", {
  expect_identical(isSingular(lm4_lin), lme4::isSingular(lm4_fm))    # FALSE
  # the smallest diagonal theta is 0.2226 in both fits: tol on either side of it
  for (tol in c(0.2, 0.25)) expect_identical(isSingular(lm4_lin, tol), lme4::isSingular(lm4_fm, tol))
  expect_true(isSingular(lm4_lin, tol = 0.25))
  # a rank-one G: the second Cholesky pivot is 0
  s <- lm4_lin
  s$G[2, 2] <- s$G[1, 2]^2 / s$G[1, 1]
  expect_equal(unname(getME(s, "theta")[3]), 0, tolerance = 1e-6)
  expect_true(isSingular(s))
  # a boosted G(w): the average G, which VarCorr() reports
  expect_false(isSingular(lm4_tree))
})

test_that("refit() equals gbmixed() on the data with the response replaced", {
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(nrounds = 20, learning_rate = 0.2, min_leaf = 10, progress = FALSE))
  y2 <- withr_seed(5, sleep$Reaction + rnorm(180, sd = 10))
  r <- refit(fit, y2)
  d2 <- sleep
  d2$Reaction <- y2
  g <- gbmixed(Reaction ~ Days + (Days | Subject), d2,
               control = gbmixed_control(nrounds = 20, learning_rate = 0.2, min_leaf = 10, seed = fit$seed,
                                         progress = FALSE))
  for (nm in setdiff(names(g), c("call", "handle", "control", "seed"))) expect_identical(r[[nm]], g[[nm]], info = nm)
  expect_equal(r$seed, g$seed)
  expect_identical(r$call, fit$call)
  expect_false(isTRUE(all.equal(fitted(r), fitted(fit))))
  # the response unchanged: the same fit; a column of simulate(); a transformed response on its own scale
  expect_identical(refit(fit)$model_bytes, fit$model_bytes)
  expect_s3_class(refit(fit, simulate(fit, seed = 1)), "gbmixed")
  lfit <- gbmixed(log(Reaction) ~ Days + (Days | Subject), sleep, control = quick_control())
  lr <- refit(lfit, log(y2))
  lg <- gbmixed(log(Reaction) ~ Days + (Days | Subject), d2, control = quick_control())
  expect_identical(lr$model_bytes, lg$model_bytes)
  expect_identical(lr$response, "log(Reaction)")
  expect_error(refit(fit, 1:3), "`newresp` must be a numeric vector of length 180")
  expect_error(refit(fit, y2, seed = 2), "unused argument `seed`")
})

test_that("update() of a fit made inside a function works outside it, as lme4's", {
  make <- function() {
    dd <- sleep
    dd$y <- dd$Reaction / 10
    gbmixed(y ~ Days + (Days | Subject), dd, control = quick_control())
  }
  f <- make()
  ctl10 <- gbmixed_control(nrounds = 10, learning_rate = 0.2, min_leaf = 10, seed = 1, progress = FALSE)
  u <- update(f, control = ctl10)        # "object 'dd' not found" before
  expect_identical(u$nrounds, 10L)
  d <- sleep
  d$y <- d$Reaction / 10
  expect_identical(u$model_bytes, gbmixed(y ~ Days + (Days | Subject), d, control = ctl10)$model_bytes)
  u2 <- update(f, . ~ . - (Days | Subject) + (1 | Subject))
  expect_identical(u2$z_names, "(Intercept)")
  expect_identical(update(f, evaluate = FALSE), f$call)
  # the error of the fit itself, not "object not found" from the other environments tried
  expect_error(update(f, . ~ . + (1 | Subject)), "one random-effects term")
})

test_that("ngrps, terms, model.matrix, hatvalues, family, deviance, df.residual and weights", {
  expect_equal(ngrps(lm4_lin), ngrps(lm4_fm))
  expect_identical(ngrps(lm4_lin), c(Subject = 18L))
  expect_equal(terms(lm4_lin), terms(lm4_fm), ignore_attr = c("predvars", ".Environment"))
  expect_identical(attr(terms(lm4_lin), "term.labels"), attr(terms(lm4_fm), "term.labels"))
  expect_identical(attr(terms(lm4_lin, fixed.only = FALSE), "term.labels"), c("Days", "Subject"))
  expect_identical(attr(terms(lm4_lin, random.only = TRUE), "term.labels"),
                   attr(terms(lm4_fm, random.only = TRUE), "term.labels"))
  expect_equal(model.matrix(lm4_lin), model.matrix(lm4_fm), ignore_attr = TRUE)
  expect_identical(colnames(model.matrix(lm4_lin)), colnames(model.matrix(lm4_fm)))
  mm <- model.matrix(lm4_tree)                 # the covariates as the engine sees them
  expect_identical(colnames(mm), names(lm4_tree$features))
  expect_identical(mm[, "Days"], sleep$Days)
  # hatvalues: the diagonal of the hat matrix of the conditional fit X beta + Z b
  h <- hatvalues(lm4_lin)
  expect_each_equal(h, hatvalues(lm4_fm), tolerance = 1e-4)   # measured 1.9e-8
  w <- rep(c(1, 4), 90)
  gw <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, weights = w, control = lm4_ctl)
  fw <- lme4::lmer(Reaction ~ Days + (1 | Subject), sleep, weights = w, REML = FALSE, control = lm4_tight)
  expect_each_equal(hatvalues(gw), hatvalues(fw), tolerance = 1e-4)
  expect_error(hatvalues(lm4_tree), "hatvalues\\(\\) needs a mean that is linear in the response")
  expect_identical(family(lm4_lin)$family, "gaussian")
  expect_identical(family(lm4_tree)$link, "identity")
  expect_equal(deviance(lm4_lin), deviance(lm4_fm), tolerance = 1e-10)    # -2 logLik of the ML fit
  expect_equal(deviance(lm4_tree), -2 * as.numeric(logLik(lm4_tree)))
  expect_equal(df.residual(lm4_lin), df.residual(lm4_fm))                  # 174 = 180 - 6
  expect_identical(df.residual(lm4_lin), nobs(lm4_lin) - attr(logLik(lm4_lin), "df"))
  expect_identical(df.residual(lm4_tree), NA_integer_)
  expect_identical(weights(gw), weights(fw))
  expect_identical(weights(lm4_lin), rep(1, 180))
  expect_error(weights(lm4_lin, type = "working"), "working weights are only available for GLMMs")
  expect_error(deviance(lm4_lin, REML = TRUE), "unused argument `REML` in deviance\\(\\)")
})

test_that("AIC, logLik, df.residual and glance share one df (model_df)", {
  expect_identical(attr(logLik(lm4_lin), "df"), 6L)
  expect_equal(AIC(lm4_lin), AIC(lm4_fm), tolerance = 1e-10)
  expect_equal(AIC(lm4_lin), deviance(lm4_lin) + 2 * (nobs(lm4_lin) - df.residual(lm4_lin)))
  expect_true(is.na(AIC(lm4_tree)) && is.na(df.residual(lm4_tree)))
})

test_that("the methods of R/methods.R refuse arguments they do not know", {
  nd <- sleep[1:3, ]
  expect_error(ranef(lm4_tree, condvar = FALSE), "unused argument `condvar` \\(did you mean `condVar`\\?\\) in ranef\\(\\)")
  expect_error(VarCorr(lm4_tree, newdta = nd), "unused argument `newdta` \\(did you mean `newdata`\\?\\) in VarCorr\\(\\)")
  expect_error(fixef(lm4_lin, add.dropped = TRUE), "unused argument `add.dropped` in fixef\\(\\)")
  expect_error(sigma(lm4_tree, newdta = nd), "unused argument `newdta`")
  expect_error(fitted(lm4_tree, re.form = NA), "unused argument `re.form` in fitted\\(\\)")
  expect_error(residuals(lm4_tree, tpye = "pearson"), "unused argument `tpye` in residuals\\(\\)")
  expect_error(nobs(lm4_tree, use.fallback = TRUE), "unused argument `use.fallback` in nobs\\(\\)")
  expect_error(print(lm4_tree, digts = 3), "unused argument `digts` \\(did you mean `digits`\\?\\) in print\\(\\)")
  expect_error(summary(lm4_tree, correlation = TRUE), "unused argument `correlation` in summary\\(\\)")
  expect_error(print(summary(lm4_tree), foo = 1), "unused argument `foo`")
  expect_error(print(VarCorr(lm4_tree), corr = FALSE), "unused argument `corr`")
  expect_error(print(VarCorr(lm4_tree, newdata = nd), foo = 1), "unused argument `foo`")
})

test_that("print(VarCorr(), comp =) shows the columns asked for, as lme4", {
  vc <- VarCorr(lm4_lin)
  header <- function(...) strsplit(trimws(capture.output(print(vc, ...))[1]), " +")[[1]]
  expect_identical(header(), c("Groups", "Name", "Variance", "Std.Dev.", "Corr"))   # gbmixed's default: both
  expect_identical(header(comp = "Variance"), c("Groups", "Name", "Variance", "Corr"))
  expect_identical(header(comp = "Std.Dev."), c("Groups", "Name", "Std.Dev.", "Corr"))
  expect_identical(header(comp = c("Std.Dev.", "Variance")), c("Groups", "Name", "Std.Dev.", "Variance", "Corr"))
  expect_identical(header(comp = c("Std", "Var")), c("Groups", "Name", "Std.Dev.", "Variance", "Corr"))
  # the same table as lme4's print of its VarCorr, up to the numbers (lme4 prints both with comp = both)
  ref <- strsplit(trimws(capture.output(print(lme4::VarCorr(lm4_fm), comp = c("Variance", "Std.Dev.")))[1]), " +")[[1]]
  expect_identical(header(comp = c("Variance", "Std.Dev.")), ref)
  out <- capture.output(print(vc, comp = "Variance"))
  expect_false(any(grepl(format(attr(vc$Subject, "stddev")[1], digits = 5), out, fixed = TRUE)))
  expect_error(print(vc, comp = "sd"), "`comp` must be any of \"Variance\" and \"Std.Dev.\", not \"sd\"")
  expect_error(print(vc, comp = character(0)), "`comp` must name the columns to show")
})

test_that("print and summary say how the estimates were made", {
  ml <- "Gradient boosted mixed model \\(Base\\) fit by maximum likelihood"
  expect_output(print(lm4_lin), ml)
  expect_output(print(summary(lm4_lin)), ml)
  expect_false(any(capture.output(print(lm4_lin)) == ""))     # no stray empty line where no rounds are reported
  # trees use honest folds by default: the variance components are cross-fitted, not the ML ones
  boosted <- "fit by boosting the marginal likelihood,\n variance components from 3-fold cross-fitted \\(honest\\) residuals"
  expect_output(print(lm4_tree), boosted)
  expect_output(print(summary(lm4_tree)), boosted)
  expect_false(any(grepl("maximum likelihood", capture.output(print(lm4_tree)))))
  # the linear learner with honest folds is not the ML fit either; a tree fit without them is boosted only
  lh <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 50, honest_folds = 3,
                                          seed = 1, progress = FALSE))
  expect_output(print(lh), boosted)
  t0 <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = quick_control(honest_folds = 0))
  out <- capture.output(print(t0))
  expect_identical(out[1], "Gradient boosted mixed model (Base) fit by boosting the marginal likelihood")
  expect_false(any(grepl("cross-fitted", out)))
})

test_that("refit() of a fit made with subset and na.action refits the same rows", {
  d <- sleep
  d$Reaction[3] <- NA
  ctl <- gbmixed_control(nrounds = 10, seed = 1, progress = FALSE)
  f <- suppressMessages(gbmixed(Reaction ~ Days + (1 | Subject), d, subset = Days > 0, na.action = na.omit,
                                control = ctl))
  expect_identical(f$data_rows, setdiff(which(d$Days > 0), 3L))
  ny <- d$Reaction + rep(c(-1, 1), 90)
  d2 <- d
  d2$Reaction <- ny
  g <- suppressMessages(gbmixed(Reaction ~ Days + (1 | Subject), d2, subset = Days > 0, na.action = na.omit,
                                control = ctl))
  expect_identical(fitted(suppressMessages(refit(f, ny))), fitted(g))
})
