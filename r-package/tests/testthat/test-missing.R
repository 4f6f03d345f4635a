# Missing covariates: allowed (NaN to the engine) for parts whose learner is "tree", errors otherwise.

mis <- sim_clustered(40, 8, seed = 101)
mis_na <- mis
mis_na$x1[seq(3, 320, by = 7)] <- NA          # 46 rows
mis_na$g[seq(5, 320, by = 11)] <- NA          # 29 rows

test_that("a tree fit accepts NA in numeric and factor covariates and predicts for rows with NA", {
  fit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), mis_na, control = quick_control())
  expect_s3_class(fit, "gbmixed")
  expect_true(all(is.finite(fitted(fit))))
  nd <- mis_na[c(3, 5, 10), ]
  p <- predict(fit, nd, interval = "prediction")
  expect_true(all(is.finite(as.matrix(p))))
  # the engine's predictions for the training rows (NA included) reproduce the fitted values
  expect_equal(predict(fit, mis_na), fitted(fit), tolerance = 1e-10)
  # an NA covariate is not the same as any observed value: rows differing only in x1 = NA vs a value can differ,
  # and all-NA x1 predicts like the missing side
  nd2 <- mis_na[rep(3, 2), ]
  nd2$x1 <- c(NA, -1.9)
  expect_length(unique(predict(fit, nd2, type = "fixed")), 2L)
  expect_identical(names(fit$importance), c("x1", "x2", "g", "x1 (cluster mean)", "x2 (cluster mean)",
                                            "g = b (cluster share)", "g = c (cluster share)"))
  # cate() with a missing covariate
  d <- mis_na
  d$trt <- rep(0:1, 160)
  tf <- gbmixed(y ~ x1 + x2 + trt + (1 + trt | id), d, treatment = "trt", control = quick_control())
  expect_true(all(is.finite(cate(tf, d[c(3, 4), ])$estimate)))
})

test_that("missing covariates carry information: the tree learns the side of the NA rows", {
  set.seed(5)
  d <- data.frame(id = factor(rep(1:40, each = 10)), x = runif(400))
  d$y <- ifelse(d$x > 0.5, 2, 0) + rnorm(40, sd = 0.3)[d$id] + rnorm(400, sd = 0.2)
  hi <- which(d$x > 0.5)
  d$x[hi[1:60]] <- NA                          # missing only among the high values
  fit <- gbmixed(y ~ x + (1 | id), d, control = gbmixed_control(nrounds = 60, learning_rate = 0.3,
                                                                seed = 1, progress = FALSE, between = FALSE))
  f <- predict(fit, data.frame(x = c(NA, 0.2, 0.8)), re.form = NA)
  expect_lt(abs(f[1] - f[3]), 0.3)
  expect_gt(f[1] - f[2], 1.5)
})

test_that("NA in variance-part covariates works with tree learners and is refused by the others", {
  d <- mis
  d$x3 <- runif(320)
  d$x3[c(1, 40, 77)] <- NA
  d$w <- as.numeric(substring(d$id, 2)) %% 4
  d$w[d$id %in% c("c3", "c9")] <- NA          # missing for whole clusters: constant within them
  fit <- gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ x3, covformula = ~ w,
                 control = quick_control(min_leaf_cov = 5))
  expect_identical(fit$variant, "GRBoost")
  expect_true(all(is.finite(predict(fit, d[1:5, ], type = "disp"))))
  nd <- d[1:2, ]
  nd$id <- c("new1", "new2")
  expect_true(all(is.finite(predict(fit, nd, type = "cov"))))
  expect_error(gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ x3, control = quick_control(learner_disp = "linear")),
               "NA.*`dispformula`.*`x3` \\(3 rows\\).*\"linear\" learner")
  expect_error(gbmixed(y ~ x1 + (1 | id), d, covformula = ~ w, control = quick_control(learner_cov = "spline")),
               "NA.*`covformula`.*`w` \\(16 rows\\).*\"spline\" learner")
  d$w[1] <- NA                                 # now w is NA in one row of c1 only
  expect_error(gbmixed(y ~ x1 + (1 | id), d, covformula = ~ w, control = quick_control()),
               "`w` varies within 1 of 40 clusters")
})

test_that("NA stays an error for the response, group, slopes, weights, treatment and non-tree learners", {
  f <- y ~ x1 + x2 + (1 + t | id)
  expect_error(gbmixed(f, mis_na, control = quick_control(learner = "linear")),
               "NA.*covariates of `data`: `x1` \\(46 rows\\).*learner = \"linear\" needs complete covariates")
  expect_error(gbmixed(y ~ x1 + g + (1 | id), mis_na, control = quick_control(learner = "spline")),
               "`x1` \\(46 rows\\), `g` \\(29 rows\\).*learner = \"spline\"")
  lin <- gbmixed(f, mis, control = quick_control(learner = "linear"))
  expect_error(predict(lin, mis_na[1:10, ]), "NA.*covariates of `newdata`: `x1` \\(2 rows\\)")
  d <- mis
  d$trt <- rep(0:1, 160)
  d$trt[7] <- NA
  expect_error(gbmixed(y ~ x1 + trt + (1 | id), d, treatment = "trt", control = quick_control()),
               "NA.*treatment column `trt` \\(1 row\\)")
})
