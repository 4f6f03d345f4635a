# lme4 / glmmTMB habits: each gives lme4's answer or a clear refusal, never a silently wrong one.

hab <- sim_clustered(30, 8, seed = 41)
hab$x3 <- runif(nrow(hab))
hab_fit <- gbmixed(y ~ x1 + x2 + (1 + t | id), hab, control = quick_control())

test_that("a misspelled or unsupported argument of predict() is an error naming it", {
  nd <- hab[1:4, ]
  expect_error(predict(hab_fit, newdta = nd), "unused argument `newdta` \\(did you mean `newdata`\\?\\) in predict\\(\\)")
  expect_error(predict(hab_fit, nd, foo = 1), "unused argument `foo` in predict\\(\\)")
  expect_error(simulate(hab_fit, nsim = 1, sed = 3), "unused argument `sed`")
  expect_error(cate(hab_fit, nd, lvl = 0.9), "unused argument|no treatment")
  # lme4's random.only: the random effects' part
  expect_identical(predict(hab_fit, nd, random.only = TRUE), predict(hab_fit, nd, type = "random"))
  expect_error(predict(hab_fit, nd, random.only = TRUE, type = "fixed"), "random.only = TRUE.*does not combine")
  # se.fit: f(x) and its jackknife standard error (that of the confidence interval of the mean)
  sf <- predict(hab_fit, nd, type = "fixed", se.fit = TRUE)
  expect_named(sf, c("fit", "se.fit"))
  ci <- predict(hab_fit, nd, type = "fixed", interval = "confidence", level = 0.9)
  expect_equal(sf$fit, ci$fit)
  expect_equal(sf$se.fit, (ci$upr - ci$fit) / qt(0.95, 2), tolerance = 1e-10)
  expect_error(predict(hab_fit, nd, se.fit = TRUE), "se.fit = TRUE.*type = \"fixed\" or re.form = NA")
})

test_that("a partial re.form conditions on the random effects it names only, as lme4", {
  nd <- hab[c(1, 9, 30), ]
  b <- unname(as.matrix(ranef(hab_fit)$id)[as.character(nd$id), ])
  colnames(b) <- hab_fit$z_names
  f <- predict(hab_fit, nd, type = "fixed")
  expect_equal(predict(hab_fit, nd, re.form = ~ (1 | id)), f + b[, "(Intercept)"], tolerance = 1e-12)
  expect_equal(predict(hab_fit, nd, re.form = ~ (0 + t | id)), f + b[, "t"] * nd$t, tolerance = 1e-12)
  expect_equal(predict(hab_fit, nd, re.form = ~ (1 + t | id)), predict(hab_fit, nd), tolerance = 1e-12)
  # the training rows too
  expect_equal(predict(hab_fit, re.form = ~ (1 | id))[1:3],
               hab_fit$fitted_fixed[1:3] + unname(as.matrix(ranef(hab_fit)$id)[as.character(hab$id[1:3]), 1]),
               tolerance = 1e-12)
  expect_error(predict(hab_fit, nd, re.form = ~ (1 + x3 | id)), "uses `x3`, not random effects of the fit")
  expect_error(predict(hab_fit, nd, re.form = ~ (1 | other)), "grouping factor `other`")
  expect_error(predict(hab_fit, nd, re.form = ~ (1 | id), interval = "prediction"), "partial `re.form`")
})

test_that("an unused level of a factor in the random-effects design is not a variance component", {
  d <- hab
  d$f <- factor(sample(c("a", "b"), nrow(d), replace = TRUE), levels = c("a", "b", "zz"))
  g <- gbmixed(y ~ x1 + (1 + f | id), d, control = quick_control())
  fm <- lme4::lmer(y ~ x1 + (1 + f | id), d, REML = FALSE,
                   control = lme4::lmerControl(check.conv.singular = "ignore", calc.derivs = FALSE))
  expect_identical(g$z_names, colnames(lme4::ranef(fm)$id))        # "(Intercept)", "fb": no "fzz"
  expect_identical(dim(VarCorr(g)$id), c(2L, 2L))
})

test_that("a fit with nrounds = 0 is the constant-mean mixed model, so cv's best_nrounds = 0 can be refitted", {
  f0 <- gbmixed(y ~ x1 + (1 | id), hab, control = gbmixed_control(nrounds = 0, honest_folds = 0, seed = 1,
                                                                   progress = FALSE))
  fm <- lme4::lmer(y ~ 1 + (1 | id), hab, REML = FALSE)
  # the intercept-only LMM by EM and Newton steps of the level (lmer's ML fit: G, sigma^2, intercept), to the
  # initial EM's stopping rule (NLL change below 1e-9 relative: G to about 1e-5)
  expect_equal(unname(VarCorr(f0)$id[1, 1]), unname(lme4::VarCorr(fm)$id[1, 1]), tolerance = 1e-4)
  expect_equal(sigma(f0), sigma(fm), tolerance = 1e-4)
  expect_equal(unique(round(predict(f0, re.form = NA), 8)), round(unname(lme4::fixef(fm)), 8))
})

test_that("bare column names for weights and treatment, as lme4 and glmmTMB take them", {
  d <- hab
  d$wt <- rep(c(1, 2), length.out = nrow(d))
  d$trt <- rep(0:1, length.out = nrow(d))
  a <- gbmixed(y ~ x1 + trt + (1 | id), d, weights = wt, treatment = trt, control = quick_control())
  b <- gbmixed(y ~ x1 + trt + (1 | id), d, weights = "wt", treatment = "trt", control = quick_control())
  expect_identical(fitted(a), fitted(b))
  expect_identical(a$weights, d$wt)
  expect_identical(a$treatment$name, "trt")
  expect_error(gbmixed(y ~ x1 + (1 | id), d, weights = wtt, control = quick_control()),
               "`weights = wtt`: `wtt` is neither a column of `data` nor an object")
  # a vector in the caller's environment still works, and a column of that name wins, as in lme4
  v <- rep(1, nrow(d))
  expect_silent(gbmixed(y ~ x1 + (1 | id), d, weights = v, control = quick_control()))
  cv <- cv_gbmixed(y ~ x1 + (1 | id), d, weights = wt, nfolds = 3,
                   control = gbmixed_control(nrounds = 5, seed = 1, progress = FALSE))
  expect_s3_class(cv, "cv_gbmixed")
})

test_that("formula and control mistakes are explained", {
  expect_error(gbmixed(y ~ x1 + 1 | id, hab), "random-effects terms need parentheses.*y ~ x1 \\+ 1 \\+ \\(1 \\| id\\)")
  expect_error(gbmixed(y ~ x1 + (1 | id), hab, control = lme4::lmerControl()),
               "`control` must be made by gbmixed_control\\(\\): the settings of lme4's lmerControl\\(\\)")
  nd <- hab[1:2, ]
  nd$x1 <- as.character(nd$x1)
  expect_error(predict(hab_fit, nd), "covariate `x1` was numeric in training but is character \\(text\\) in `newdata`")
})

test_that("newdata's covformula values for a known cluster are not used, and a warning says so", {
  d <- hab
  d$w <- as.numeric(substring(d$id, 2)) %% 3
  g <- gbmixed(y ~ x1 + (1 | id), d, covformula = ~ w, control = quick_control(min_leaf_cov = 5))
  nd <- d[1:2, ]
  expect_silent(predict(g, nd, interval = "prediction"))
  nd$w <- nd$w + 1
  expect_warning(p <- predict(g, nd, interval = "prediction"),
                 "other values of the covformula columns for 1 cluster seen in training \\(\"c1\"\\)")
  expect_equal(p, suppressWarnings(predict(g, d[1:2, ], interval = "prediction")), ignore_attr = TRUE)
})

test_that("subset, na.action and offset (argument or offset() term) as in lmer", {
  d <- sleep
  d$o <- 3 * d$Days
  d$Reaction[c(5, 17)] <- NA
  ctl <- gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 200, progress = FALSE)
  tight <- lme4::lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12))
  fm <- lme4::lmer(Reaction ~ Days + offset(o) + (Days | Subject), d, REML = FALSE, na.action = na.omit,
                   control = tight)
  expect_message(g <- gbmixed(Reaction ~ Days + offset(o) + (Days | Subject), d, na.action = na.omit, control = ctl),
                 "dropped 2 of 180 rows with missing values \\(na.action = na.omit\\): `Reaction` \\(2\\)")
  expect_equal(as.numeric(logLik(g)), as.numeric(logLik(fm)), tolerance = 1e-8)
  expect_equal(unname(g$coefficients), unname(lme4::fixef(fm)), tolerance = 1e-6)
  # predictions add the offset of newdata's rows; residuals are about y itself
  expect_equal(predict(g, d[1:3, ]), unname(predict(fm, d[1:3, ])), tolerance = 1e-6)
  expect_equal(residuals(g), unname(residuals(fm)), tolerance = 1e-5)
  # the same offset as an argument (a bare column name)
  g2 <- suppressMessages(gbmixed(Reaction ~ Days + (Days | Subject), d, offset = o, na.action = na.omit,
                                 control = ctl))
  expect_equal(fitted(g2), fitted(g), tolerance = 1e-12)
  v <- suppressMessages(gbmixed(Reaction ~ Days + (Days | Subject), d[!is.na(d$Reaction), ],
                                offset = d$o[!is.na(d$Reaction)], control = ctl))
  expect_error(predict(v, d[1:2, ]), "`offset` was given as a vector, which has no values for the rows")
  # subset: a condition on the rows of data
  g3 <- suppressMessages(gbmixed(Reaction ~ Days + (Days | Subject), d, subset = Days > 1, na.action = "na.omit",
                                 control = ctl))
  fm3 <- lme4::lmer(Reaction ~ Days + (Days | Subject), d, subset = Days > 1, REML = FALSE, control = tight)
  expect_identical(nobs(g3), nobs(fm3))
  expect_equal(as.numeric(logLik(g3)), as.numeric(logLik(fm3)), tolerance = 1e-8)
  expect_error(gbmixed(Reaction ~ Days + (Days | Subject), d, na.action = na.fail, control = ctl),
               "missing values \\(na.action = na.fail\\): `Reaction` \\(2\\)")
  expect_error(gbmixed(Reaction ~ Days + (Days | Subject), d, na.action = na.exclude, control = ctl),
               "na.exclude is not supported")
  # the default keeps every row: a missing response is an error
  expect_error(gbmixed(Reaction ~ Days + (Days | Subject), d, control = ctl), "missing values \\(NA\\)")
})

test_that("predict(nrounds = k) is the fit as it was after round k: the same as a fit of k rounds", {
  set.seed(3)
  m <- 40
  d <- data.frame(id = factor(rep(seq_len(m), each = 8)), x = runif(8 * m), w = runif(m)[rep(seq_len(m), each = 8)],
                  trt = rbinom(8 * m, 1, 0.5))
  d$y <- sin(3 * d$x) + d$trt * (1 + d$x) + rnorm(m, sd = exp(d$w[!duplicated(d$id)]))[d$id] +
    rnorm(8 * m, sd = exp(d$x - 1))
  ctl <- function(n) gbmixed_control(nrounds = n, seed = 1, progress = FALSE,
                                     learner = list(mean = "tree", disp = "spline", cov = "tree"))
  long <- gbmixed(y ~ x + trt + (1 | id), d, dispformula = ~ x, covformula = ~ w, treatment = "trt",
                  control = ctl(50))
  short <- gbmixed(y ~ x + trt + (1 | id), d, dispformula = ~ x, covformula = ~ w, treatment = "trt",
                   control = ctl(20))
  nd <- d[c(1, 50, 300), ]
  nd_new <- transform(nd, id = c("n1", "n2", "n3"))
  expect_equal(predict(long, nd, nrounds = 20, interval = "prediction"), predict(short, nd, interval = "prediction"),
               tolerance = 1e-12)
  expect_equal(predict(long, nd_new, nrounds = 20, interval = "confidence", allow.new.levels = TRUE),
               predict(short, nd_new, interval = "confidence", allow.new.levels = TRUE), tolerance = 1e-12)
  expect_equal(predict(long, nrounds = 20), fitted(short), tolerance = 1e-12)
  expect_equal(predict(long, nd, nrounds = 20, type = "disp"), predict(short, nd, type = "disp"), tolerance = 1e-12)
  # after saveRDS / readRDS too (the rounds travel with the model's bytes)
  f <- tempfile(fileext = ".rds")
  saveRDS(long, f)
  back <- readRDS(f)
  expect_equal(predict(back, nd, nrounds = 20), predict(short, nd), tolerance = 1e-12)
  expect_equal(predict(long, nrounds = 50), fitted(long))
})

test_that("an ordered factor enters the linear learner with lmer's polynomial contrasts (.L, .Q, .C)", {
  d <- sleep
  d$dose <- factor(cut(d$Days, c(-1, 2, 5, 7, 9), labels = c("lo", "mid", "hi", "max")), ordered = TRUE)
  fm <- lme4::lmer(Reaction ~ dose + (1 | Subject), d, REML = FALSE)
  g <- gbmixed(Reaction ~ dose + (1 | Subject), d,
               control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 100, progress = FALSE))
  expect_identical(names(g$coefficients), names(lme4::fixef(fm)))
  expect_equal(unname(g$coefficients), unname(lme4::fixef(fm)), tolerance = 1e-6)
  expect_equal(predict(g, d[c(1, 5, 9), ]), unname(predict(fm, d[c(1, 5, 9), ])), tolerance = 1e-6)
  nd <- d[1:2, ]
  nd$dose <- factor(c("lo", "zz"))
  expect_error(predict(g, nd), "covariate `dose` in `newdata` has a level not seen in training: \"zz\"")
  # trees split an ordered factor natively, as one covariate
  expect_identical(names(gbmixed(Reaction ~ dose + (1 | Subject), d, control = quick_control())$features), "dose")
})
