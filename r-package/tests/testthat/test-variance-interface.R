# The R interface of the variance parts (dispformula, covformula), treatment checks, VarCorr/sigma with
# newdata, print/summary, control settings and persistence. Small data, fast settings: the plumbing, not
# the statistics (see test-variance-recovery.R and test-calibration.R for those).

# 40 clusters of 8 rows: w (numeric) and site (character) are cluster-level, x3 and g row-level, t a slope.
sim_iface <- function(m = 40, n = 8, seed = 61, prefix = "c") {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    w <- stats::runif(m)
    site <- sample(c("north", "south"), m, replace = TRUE)
    x1 <- stats::runif(m * n, -2, 2)
    x3 <- stats::runif(m * n)
    g <- sample(c("a", "b", "c"), m * n, replace = TRUE)
    t <- stats::rbinom(m * n, 1, 0.5)
    b0 <- stats::rnorm(m, sd = exp(w))
    b1 <- stats::rnorm(m, sd = 0.5)
    y <- sin(2 * x1) + t + b0[id] + b1[id] * t + stats::rnorm(m * n, sd = exp(x3 - 0.5 + 0.5 * (g == "c")))
    data.frame(y, x1, x3, g, t, w = w[id], site = site[id], id = factor(paste0(prefix, id)),
               stringsAsFactors = FALSE)
  })
}

iface <- sim_iface()
iface_ctl <- function(...) gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf = 10, min_leaf_cov = 8,
                                            seed = 1, progress = FALSE, ...)
grb <- gbmixed(y ~ x1 + g + t + (1 + t | id), iface, dispformula = ~ x3 + g, covformula = ~ w + site,
               treatment = "t", control = iface_ctl())
new_rows <- transform(sim_iface(5, 3, seed = 62, prefix = "n"))

test_that("the variant follows dispformula and covformula; ~ 1 is the Base model", {
  expect_identical(grb$variant, "GRBoost")
  f <- y ~ x1 + (1 | id)
  base <- gbmixed(f, iface, control = iface_ctl())
  expect_identical(base$variant, "Base")
  base1 <- gbmixed(f, iface, dispformula = ~ 1, covformula = ~ 1, control = iface_ctl())
  expect_identical(fitted(base1), fitted(base))
  expect_identical(gbmixed(f, iface, dispformula = ~ x3, control = iface_ctl())$variant, "RBoost")
  expect_identical(gbmixed(f, iface, covformula = ~ w, control = iface_ctl())$variant, "GBoost")
  expect_null(base$disp)
  expect_null(base$cov)
  expect_length(base$importance_disp, 0L)
})

test_that("control: learner_disp, learner_cov, min_leaf_cov and the learning rates reach the engine", {
  ctl <- gbmixed_control(progress = FALSE)
  expect_null(ctl$learning_rate_disp)
  expect_null(ctl$learning_rate_cov)
  expect_null(ctl$learner_disp)
  expect_null(ctl$learner_cov)
  expect_null(ctl$min_leaf_cov)
  config <- function(...) gbmixed:::make_config(gbmixed_control(progress = FALSE, ...), 1, nclusters = 40)
  get <- function(cfg, what, sig) rJava::.jcall(cfg, sig, what)
  cfg <- config(learning_rate = 0.1, min_leaf = 15)          # NULL: 0.4 and 0.2 times the mean's
  expect_equal(get(cfg, "learningRateDisp", "D"), 0.04, tolerance = 1e-15)
  expect_equal(get(cfg, "learningRateCov", "D"), 0.02, tolerance = 1e-15)
  expect_identical(get(cfg, "learnerDisp", "S"), "tree")
  expect_identical(get(cfg, "learnerCov", "S"), "tree")
  expect_identical(get(cfg, "minLeafCov", "I"), 15L)
  cfg <- config(learning_rate_disp = 0.02, learning_rate_cov = 0.01, learner_disp = "linear",
                learner_cov = "linear", min_leaf_cov = 40)
  expect_identical(get(cfg, "learningRateDisp", "D"), 0.02)
  expect_identical(get(cfg, "learningRateCov", "D"), 0.01)
  expect_identical(get(cfg, "learnerDisp", "S"), "linear")
  expect_identical(get(cfg, "learnerCov", "S"), "linear")
  expect_identical(get(cfg, "minLeafCov", "I"), 40L)
  expect_identical(get(config(learner = "linear"), "learnerDisp", "S"), "linear")
  expect_error(gbmixed_control(learner_disp = "forest"), "`learner_disp` must be NULL, \"tree\", \"linear\" or \"spline\"")
  expect_error(gbmixed_control(learner_cov = 1), "`learner_cov`")
  expect_error(gbmixed_control(min_leaf_cov = 0), "`min_leaf_cov` must be a single whole number >= 1")
  # linear variance learners fit, factors included
  lin <- gbmixed(y ~ x1 + (1 | id), iface, dispformula = ~ x3 + g, covformula = ~ w + site,
                 control = iface_ctl(learner_disp = "linear", learner_cov = "linear"))
  expect_identical(lin$variant, "GRBoost")
  expect_true(all(is.finite(predict(lin, new_rows, type = "disp"))))
})

test_that("input errors of dispformula, covformula and treatment name the column", {
  f <- y ~ x1 + t + (1 + t | id)
  expect_error(gbmixed(f, iface, dispformula = ~ x3 + nope), "column `nope` of `dispformula` not found in `data`")
  expect_error(gbmixed(f, iface, covformula = ~ w + nada), "column `nada` of `covformula` not found in `data`")
  expect_error(gbmixed(f, iface, covformula = ~ w + x3),
               "`covformula` covariate `x3` varies within 40 of 40 clusters of `id`")
  d <- iface
  d$w[d$id %in% c("c2", "c7")][1] <- 5          # one row off in two clusters... only the first of c2
  d$w[d$id == "c7"][3] <- 5
  expect_error(gbmixed(f, d, covformula = ~ w), "covariate `w` varies within 2 of 40 clusters.*\"c2\", \"c7\"")
  # missing variance covariates: allowed for tree learners (test-missing.R), an error for the others
  d <- iface
  d$x3[c(4, 9)] <- NA
  expect_error(gbmixed(f, d, dispformula = ~ x3, control = iface_ctl(learner_disp = "linear")),
               "NA.*`dispformula`.*`x3` \\(2 rows\\).*\"linear\" learner")
  d <- iface
  d$w[1] <- NA
  expect_error(gbmixed(f, d, covformula = ~ w, control = iface_ctl(learner_cov = "spline")),
               "NA.*`covformula`.*`w` \\(1 row\\)")
  # with a tree learner, NA in one row of a cluster makes w vary within it
  expect_error(gbmixed(f, d, covformula = ~ w), "`w` varies within 1 of 40 clusters")
  d <- iface
  d$x3[2] <- Inf
  expect_error(gbmixed(f, d, dispformula = ~ x3), "infinite values.*`x3`")
  expect_error(gbmixed(f, iface, dispformula = y ~ x3), "`dispformula` must be a one-sided formula")
  expect_error(gbmixed(f, iface, dispformula = "x3"), "`dispformula` must be a one-sided formula")
  expect_error(gbmixed(f, iface, dispformula = ~ x3 * g), "not interactions.*`x3:g`")
  expect_error(gbmixed(f, iface, covformula = ~ id), "grouping factor `id` cannot be a covariate in `covformula`")
  expect_error(gbmixed(f, iface, covformula = ~ 0), "`covformula` = ~0 has no terms")
  expect_error(gbmixed(f, iface, dispformula = ~ .), "cannot use `.`")
  # treatment
  expect_error(gbmixed(y ~ x1 + (1 + t | id), iface, treatment = "t"),
               "treatment `t` must appear in the fixed part of `formula`")
  d <- iface
  d$t2 <- d$t * 2
  expect_error(gbmixed(y ~ x1 + t2 + (1 | id), d, treatment = "t2"),
               "`t2` must be numeric 0/1.*other values: 0, 2")
  expect_error(gbmixed(y ~ x1 + g + (1 | id), iface, treatment = "g"),
               "`g` must be numeric 0/1.*class \"character\": a, b, c")
  d$tf <- factor(d$t)
  expect_error(gbmixed(y ~ x1 + tf + (1 | id), d, treatment = "tf"),
               "`tf` must be numeric 0/1.*class \"factor\"")
  d$t0 <- 0
  expect_error(gbmixed(y ~ x1 + t0 + (1 | id), d, treatment = "t0"), "`t0` is 0 in every row")
  expect_error(gbmixed(y ~ x1 + t + (1 | id), iface, treatment = "nope"), "column `nope` not found in `data`")
  expect_error(gbmixed(y ~ x1 + t + (1 | id), iface, treatment = c("t", "x1")),
               "`treatment` must be NULL or the name")
})

test_that("a logical treatment works like a 0/1 one", {
  d <- iface
  d$tl <- d$t == 1
  fl <- gbmixed(y ~ x1 + g + tl + (1 + tl | id), d, treatment = "tl", control = iface_ctl())
  f01 <- gbmixed(y ~ x1 + g + t + (1 + t | id), iface, treatment = "t", control = iface_ctl())
  expect_equal(fitted(fl), fitted(f01), tolerance = 1e-10)
  nd <- d[1:4, ]
  nd$tl <- NULL
  expect_equal(cate(fl, nd, by_cluster = TRUE), cate(f01, iface[1:4, ], by_cluster = TRUE), tolerance = 1e-10)
})

test_that("predict() of a GRBoost fit: every type on the training rows, with and without newdata", {
  n <- nrow(iface)
  for (type in c("response", "fixed", "random", "disp")) {
    expect_length(predict(grb, type = type), n)
    expect_equal(predict(grb, type = type), predict(grb, iface, type = type), tolerance = 1e-10,
                 label = paste("type", type))
  }
  expect_equal(predict(grb, type = "disp"), grb$fitted_disp)
  cv <- predict(grb, type = "cov")
  expect_identical(dim(cv), c(n, 3L))
  expect_identical(colnames(cv), c("var((Intercept))", "cov(t,(Intercept))", "var(t)"))
  expect_equal(cv, predict(grb, iface, type = "cov"), tolerance = 1e-10)
  expect_equal(unname(cv[1, ]), grb$G_cluster[, , 1][lower.tri(diag(2), diag = TRUE)])
  pi_train <- predict(grb, interval = "prediction")
  expect_equal(pi_train, predict(grb, iface, interval = "prediction"), tolerance = 1e-10)
  expect_equal(predict(grb, re.form = NA, interval = "prediction"),
               predict(grb, iface, re.form = NA, interval = "prediction"), tolerance = 1e-10)
  expect_true(all(is.finite(unlist(pi_train))))
})

test_that("training-row predictions without newdata work for every variant", {
  specs <- list(Base = list(~ 1, ~ 1), RBoost = list(~ x3 + g, ~ 1), GBoost = list(~ 1, ~ w + site),
                GRBoost = list(~ x3 + g, ~ w + site))
  for (v in names(specs)) {
    fit <- gbmixed(y ~ x1 + t + (1 + t | id), iface, dispformula = specs[[v]][[1]], covformula = specs[[v]][[2]],
                   control = iface_ctl())
    expect_identical(fit$variant, v)
    for (type in c("response", "fixed", "random", "disp", "cov")) {
      expect_equal(predict(fit, type = type), predict(fit, iface, type = type), tolerance = 1e-10,
                   label = paste(v, type))
    }
    for (re in list(NULL, NA)) {
      pi <- predict(fit, re.form = re, interval = "prediction")
      expect_equal(pi, predict(fit, iface, re.form = re, interval = "prediction"), tolerance = 1e-10,
                   label = paste(v, "interval"))
      expect_true(all(is.finite(unlist(pi)) & pi$upr > pi$lwr), label = paste(v, "finite intervals"))
    }
  }
})

test_that("intervals use z'P_i z + R(x) for existing clusters and z'G(w) z + R(x) for new ones", {
  nd <- rbind(iface[c(3, 50), names(new_rows)], new_rows[1:2, ])
  pi <- predict(grb, nd, interval = "prediction", level = 0.8, allow.new.levels = TRUE)
  R <- predict(grb, nd, type = "disp")
  G <- gbmixed:::tri_to_array(predict(grb, nd, type = "cov"), grb$z_names)
  P <- attr(ranef(grb)$id, "postVar")
  zP <- vapply(1:2, function(j) {
    z <- c(1, nd$t[j])
    sum(z * (P[, , match(nd$id[j], grb$cluster_levels)] %*% z))
  }, 0)
  zG <- vapply(3:4, function(j) {
    z <- c(1, nd$t[j])
    sum(z * (G[, , j] %*% z))
  }, 0)
  se <- se_fixed(grb, nd, allow.new.levels = TRUE)   # f-hat's error
  expect_equal((pi$upr - pi$lwr) / 2, stats::qnorm(0.9) * sqrt(c(zP, zG) + R + se^2), tolerance = 1e-10)
  # G(w) of new clusters comes from their covformula columns: another w, another width; rows of existing
  # clusters keep P_i
  nd_lo <- nd_hi <- nd
  nd_lo$w <- 0.05
  nd_hi$w <- 0.95
  # (existing clusters given other covformula values: the note says their training values are used)
  expect_warning(pi_lo <- predict(grb, nd_lo, interval = "prediction", allow.new.levels = TRUE),
                 "other values of the covformula columns for 2 clusters")
  expect_warning(pi_hi <- predict(grb, nd_hi, interval = "prediction", allow.new.levels = TRUE),
                 "other values of the covformula columns for 2 clusters")
  expect_identical(pi_lo[1:2, ], pi_hi[1:2, ])
  expect_true(all(pi_hi$upr[3:4] - pi_hi$lwr[3:4] > pi_lo$upr[3:4] - pi_lo$lwr[3:4]))
  # rows of training clusters may omit the covformula columns; new clusters may not
  known <- iface[1:5, setdiff(names(iface), c("w", "site"))]
  expect_equal(predict(grb, known, interval = "prediction"),
               predict(grb, iface[1:5, ], interval = "prediction"), tolerance = 1e-12)
  expect_equal(predict(grb, known, type = "cov"), predict(grb, iface[1:5, ], type = "cov"), tolerance = 1e-12)
  expect_error(predict(grb, new_rows[, setdiff(names(new_rows), "w")], interval = "prediction",
                       allow.new.levels = TRUE), "column `w` of `covformula` not found in `newdata`")
  expect_error(predict(grb, iface[1:3, setdiff(names(iface), "x3")], interval = "prediction"),
               "column `x3` of `dispformula` not found in `newdata`")
  expect_error(predict(grb, iface[1:3, setdiff(names(iface), "x3")], type = "disp"),
               "column `x3` of `dispformula` not found in `newdata`")
  # point predictions do not need the variance covariates
  expect_length(predict(grb, iface[1:3, c("x1", "g", "t", "id")]), 3L)
  d <- iface[1:3, ]
  d$x3[2] <- NA
  # a tree of R(x) sends a missing x3 to its learned side
  expect_true(all(is.finite(predict(grb, d, type = "disp"))))
  d <- iface[1:3, ]
  d$g[1] <- "zzz"
  expect_error(predict(grb, d, type = "disp"), "covariate `g` in `newdata` has a level not seen in training")
})

test_that("weighted training rows have residual variance R(x) / w", {
  # (a vector of weights; `iface` has a column `w`, which a bare `weights = w` would name, as in lme4)
  wts <- rep(c(1, 4), length.out = nrow(iface))
  w <- wts
  fw <- gbmixed(y ~ x1 + (1 | id), iface, dispformula = ~ x3, weights = wts, control = iface_ctl())
  expect_equal(predict(fw, type = "disp"), fw$fitted_disp / w)
  expect_equal(predict(fw, iface, type = "disp"), fw$fitted_disp, tolerance = 1e-10)
  pi <- predict(fw, interval = "prediction")
  pi1 <- predict(fw, iface, interval = "prediction")
  var_w <- ((pi$upr - pi$lwr) / (2 * stats::qnorm(0.975)))^2
  var_1 <- ((pi1$upr - pi1$lwr) / (2 * stats::qnorm(0.975)))^2
  expect_equal(var_1 - var_w, fw$fitted_disp * (1 - 1 / w), tolerance = 1e-8)
  expect_equal(residuals(fw, type = "pearson"), residuals(fw) / sqrt(fw$fitted_disp / w))
})

test_that("VarCorr() and sigma() evaluate the variance functions; without newdata they summarise them", {
  vc <- VarCorr(grb)
  expect_s3_class(vc, "VarCorr.merMod")
  expect_equal(unname(vc$id), apply(grb$G_cluster, c(1, 2), mean), ignore_attr = TRUE)
  expect_identical(dim(attr(vc, "cluster")), c(2L, 2L, 40L))
  expect_identical(attr(vc, "averaged"), c(G = TRUE, sigma = TRUE))
  expect_equal(attr(vc, "sc")^2, mean(grb$fitted_disp), tolerance = 1e-10)
  expect_output(print(vc), "average of G\\(w\\) over the 40 training clusters")
  expect_output(print(vc), "mean of R\\(x\\)")
  nd <- rbind(iface[1:2, names(new_rows)], new_rows[1:3, ])
  vr <- VarCorr(grb, newdata = nd)
  expect_s3_class(vr, "VarCorr_rows.gbmixed")
  expect_identical(dim(vr$G), c(2L, 2L, 5L))
  cv <- predict(grb, nd, type = "cov")
  expect_equal(unname(vr$G[2, 1, ]), unname(cv[, 2]), tolerance = 1e-12)
  expect_equal(unname(vr$G[1, 2, ]), unname(cv[, 2]), tolerance = 1e-12)
  expect_equal(unname(vr$G[2, 2, ]), unname(cv[, 3]), tolerance = 1e-12)
  expect_equal(unname(vr$sigma), sqrt(predict(grb, nd, type = "disp")), tolerance = 1e-12)
  expect_output(print(vr), "Variance functions at 5 rows")
  # sigma(): per row for a boosted R(x)
  expect_equal(sigma(grb), sqrt(grb$fitted_disp))
  expect_equal(sigma(grb, newdata = nd), sqrt(predict(grb, nd, type = "disp")), tolerance = 1e-12)
  # a Base fit: the constants, for any rows
  base <- gbmixed(y ~ x1 + (1 + t | id), iface, control = iface_ctl())
  vb <- VarCorr(base, newdata = iface[1:3, c("x1", "t")])
  expect_equal(vb$G[, , 3], unname(VarCorr(base)$id), ignore_attr = TRUE)
  expect_equal(unname(vb$sigma), rep(sigma(base), 3))
  expect_identical(attr(VarCorr(base), "averaged"), c(G = FALSE, sigma = FALSE))
  expect_length(sigma(base), 1L)
})

test_that("print and summary show the variant, the spread of R(x) and G(w) and importance per part", {
  expect_output(print(grb), "Gradient boosted mixed model \\(GRBoost\\)")
  expect_output(print(grb), "Residual variance R\\(x\\): ~x3 \\+ g")
  expect_output(print(grb), "R\\(x\\) ranges from")
  expect_output(print(grb), "var\\(t\\) in G\\(w\\) ranges from")
  expect_output(print(grb), "Treatment: t")
  s <- summary(grb)
  expect_equal(unname(s$disp_spread), unname(stats::quantile(grb$fitted_disp, c(0, 0.1, 0.5, 0.9, 1))))
  expect_identical(dim(s$cov_spread), c(3L, 5L))
  expect_equal(s$cov_spread["var(t)", "Max"], max(grb$G_cluster[2, 2, ]))
  expect_named(s$importance_disp, c("x3", "g"), ignore.order = TRUE)
  expect_named(s$importance_cov, c("w", "site"), ignore.order = TRUE)
  out <- capture.output(print(s))
  expect_true(any(grepl("Residual variance R\\(x\\) over the training rows", out)))
  expect_true(any(grepl("Random-effects covariance G\\(w\\) over the training clusters", out)))
  expect_true(any(grepl("Importance of covariates in the residual variance", out)))
  expect_true(any(grepl("Importance of covariates in the random-effects covariance", out)))
  rb <- gbmixed(y ~ x1 + (1 | id), iface, dispformula = ~ x3, control = iface_ctl())
  expect_output(print(summary(rb)), "RBoost")
  expect_null(summary(rb)$cov_spread)
})

test_that("non-finite values from the engine are refused with a clear message", {
  expect_error(gbmixed:::check_engine_values(list("R(x) of the training rows" = c(1, NaN, Inf))),
               "2 non-finite values \\(NaN or Inf\\) for R\\(x\\) of the training rows")
  expect_error(gbmixed:::check_engine_values(list(G = 1:3), lengths = 4L), "3 values for G, expected 4")
  expect_true(gbmixed:::check_engine_values(list(a = 1, b = c(2, 3))))
  # extreme data: a residual variance spanning 10 orders of magnitude stays finite (the engine clamps)
  d <- iface
  d$y <- d$y * exp(6 * (d$x3 - 0.5) * 2)
  fit <- gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ x3, covformula = ~ w,
                 control = gbmixed_control(nrounds = 40, learning_rate = 0.5, learning_rate_disp = 1,
                                           learning_rate_cov = 1, min_leaf = 5, min_leaf_cov = 5, seed = 1,
                                           progress = FALSE))
  expect_true(all(is.finite(unlist(predict(fit, interval = "prediction")))))
  expect_true(all(is.finite(predict(fit, type = "disp")) & predict(fit, type = "disp") > 0))
})

test_that("a GRBoost fit with a treatment survives saveRDS/readRDS in a fresh R session", {
  nd <- rbind(iface[c(1, 77, 200), names(new_rows)], new_rows[1:3, ])
  expected <- list(
    response = predict(grb, nd, allow.new.levels = TRUE),
    fixed = predict(grb, nd, type = "fixed"),
    random = predict(grb, nd, type = "random", allow.new.levels = TRUE),
    disp = predict(grb, nd, type = "disp"),
    cov = predict(grb, nd, type = "cov"),
    interval = predict(grb, nd, interval = "prediction", allow.new.levels = TRUE),
    population = predict(grb, nd, re.form = NA, interval = "prediction"),
    cate = cate(grb, nd),
    cate_cluster = cate(grb, nd, by_cluster = TRUE),
    varcorr = VarCorr(grb, newdata = nd),
    sigma = sigma(grb, newdata = nd),
    train_disp = predict(grb, type = "disp"),
    train_cov = predict(grb, type = "cov"),
    train_interval = predict(grb, interval = "prediction"),
    summary = capture.output(print(summary(grb)))
  )
  dir <- tempfile("gbmixed-grb")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  files <- file.path(dir, c("fit.rds", "nd.rds", "out.rds", "run.R"))
  saveRDS(grb, files[1])
  saveRDS(nd, files[2])
  writeLines(c(
    "suppressPackageStartupMessages(library(gbmixed))",
    sprintf("fit <- readRDS(%s); nd <- readRDS(%s)", deparse(files[1]), deparse(files[2])),
    "stopifnot(rJava::is.jnull(fit$handle$model))",
    "out <- list(",
    "  response = predict(fit, nd, allow.new.levels = TRUE),",
    "  fixed = predict(fit, nd, type = 'fixed'),",
    "  random = predict(fit, nd, type = 'random', allow.new.levels = TRUE),",
    "  disp = predict(fit, nd, type = 'disp'),",
    "  cov = predict(fit, nd, type = 'cov'),",
    "  interval = predict(fit, nd, interval = 'prediction', allow.new.levels = TRUE),",
    "  population = predict(fit, nd, re.form = NA, interval = 'prediction'),",
    "  cate = cate(fit, nd),",
    "  cate_cluster = cate(fit, nd, by_cluster = TRUE),",
    "  varcorr = VarCorr(fit, newdata = nd),",
    "  sigma = sigma(fit, newdata = nd),",
    "  train_disp = predict(fit, type = 'disp'),",
    "  train_cov = predict(fit, type = 'cov'),",
    "  train_interval = predict(fit, interval = 'prediction'),",
    "  summary = capture.output(print(summary(fit))))",
    sprintf("saveRDS(out, %s)", deparse(files[3]))
  ), files[4])
  libs <- paste(.libPaths(), collapse = .Platform$path.sep)
  status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(files[4])),
                    env = paste0("R_LIBS=", shQuote(libs)), stdout = TRUE, stderr = TRUE)
  expect_null(attr(status, "status"), label = paste(status, collapse = "\n"))
  got <- readRDS(files[3])
  for (k in names(expected)) expect_identical(got[[k]], expected[[k]], label = k)
})
