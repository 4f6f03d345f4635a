# What a report uses: interval_coverage() and its plot, the caterpillar plot, summary()'s data frames and the
# R Markdown template (knitted here to HTML).

sim_lmm <- function(m, n, seed, prefix) {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    x <- stats::rnorm(m * n)
    y <- 1 + 2 * x + stats::rnorm(m, sd = 1.2)[id] + stats::rnorm(m * n, sd = 0.8)
    data.frame(y, x, id = factor(paste0(prefix, id)))
  })
}

test_that("interval_coverage() is nominal for the true model on new clusters, with cluster-level errors", {
  # a linear mixed model fitted by the linear learner (its ML fit): the interval of a new cluster's row is
  # f(x) +- z sqrt(G + sigma^2), which covers at the nominal rate up to estimation error
  train <- sim_lmm(300, 5, 11, "a")
  test <- sim_lmm(300, 5, 12, "b")
  fit <- gbmixed(y ~ x + (1 | id), train, control = gbmixed_control(learner = "linear", learning_rate = 1,
                                                                    seed = 1, progress = FALSE))
  cv <- interval_coverage(fit, test)
  expect_s3_class(cv, "gbmixed_coverage")
  expect_s3_class(cv, "data.frame")
  expect_named(cv, c("level", "coverage", "se", "lwr", "upr", "width", "rows", "clusters", "new_clusters"))
  expect_identical(cv$level, c(0.5, 0.8, 0.9, 0.95))
  expect_true(all(cv$rows == 1500L & cv$clusters == 300L & cv$new_clusters == 300L))
  # within 3 standard errors of nominal (each se about 0.01-0.015 here)
  expect_true(all(abs(cv$coverage - cv$level) < 3 * cv$se), label = paste(format(cv$coverage), collapse = " "))
  expect_true(all(cv$se > 0.003 & cv$se < 0.03))
  # the same as counting by hand from predict()
  p <- predict(fit, test, allow.new.levels = TRUE, interval = "prediction", level = 0.9)
  expect_identical(cv$coverage[3], mean(test$y >= p$lwr & test$y <= p$upr))
  expect_equal(cv$width[3], mean(p$upr - p$lwr))
  expect_equal(cv$width[3], 2 * stats::qnorm(0.95) * sqrt(VarCorr(fit)$id[1, 1] + sigma(fit)^2), tolerance = 1e-6)
  # rows of training clusters get the conditional intervals, counted apart
  mixed <- interval_coverage(fit, rbind(test[1:50, ], train[1:50, ]), level = 0.9)
  expect_identical(mixed$clusters, 20L)
  expect_identical(mixed$new_clusters, 10L)
  expect_output(print(cv), "Coverage of prediction intervals: 1500 rows in 300 clusters, 300 of them new")
  expect_error(interval_coverage(fit, test, level = 1), "`level` must be numbers in \\(0, 1\\)")
  expect_error(interval_coverage(fit, test[0, ]), "`newdata` has no rows")
  expect_error(interval_coverage(fit, test[, c("x", "id")]), "`y`")
  bad <- test
  bad$y[3] <- NA
  expect_error(interval_coverage(fit, bad), "without NA")
  expect_error(interval_coverage(lm(y ~ x, train), test), "must be a gbmixed fit")
})

test_that("the standard error of a coverage comes from the cluster totals", {
  # clusters a (1 of 2 covered) and b (2 of 2): p = 3/4; se^2 = 2/1 * ((1 - 1.5)^2 + (2 - 1.5)^2) / 4^2
  r <- gbmixed:::coverage_se(c(TRUE, FALSE, TRUE, TRUE), c("a", "a", "b", "b"))
  expect_equal(unname(r), c(0.75, 0.25))
  # one cluster: no standard error
  expect_true(is.na(gbmixed:::coverage_se(c(TRUE, FALSE), c("a", "a"))[["se"]]))
})

test_that("the calibration and caterpillar plots draw with labelled axes", {
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(learner = "linear", learning_rate = 1, seed = 1, progress = FALSE))
  held <- sleep$Subject %in% c("308", "335")
  cv <- interval_coverage(fit, sleep[held, ])
  file <- tempfile(fileext = ".png")
  grDevices::png(file, 700, 500)
  expect_invisible(plot(cv))
  expect_identical(graphics::par("usr")[4] > 1, TRUE)
  plot(fit, which = "ranef")
  expect_identical(graphics::par("mfrow"), c(1L, 1L))    # restored after the two panels
  expect_error(plot(fit, which = "ranef", level = 2), "`level`")
  grDevices::dev.off()
  expect_gt(file.size(file), 1000)
})

test_that("summary() holds its report tables as data frames", {
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(learner = "linear", learning_rate = 1, seed = 1, progress = FALSE))
  s <- summary(fit)
  vc <- VarCorr(fit)$Subject
  expect_s3_class(s$varcomp, "data.frame")
  expect_named(s$varcomp, c("group", "term", "variance", "sd", "corr", "averaged"))
  expect_identical(s$varcomp$term, c("(Intercept)", "Days", "(Intercept) x Days", "Residual"))
  expect_identical(s$varcomp$group, c("Subject", "Subject", "Subject", "Residual"))
  expect_equal(s$varcomp$variance, c(vc[1, 1], vc[2, 2], vc[1, 2], sigma(fit)^2))
  expect_equal(s$varcomp$corr[3], attr(vc, "correlation")[1, 2])
  expect_false(any(s$varcomp$averaged))
  expect_null(s$spread)
  expect_identical(s$top_features$feature, "Days")     # the linear learner's one covariate
  # a boosted variance: the spread of R(x) over the rows; top features per part
  r <- gbmixed(Reaction ~ Days + (1 | Subject), sleep, dispformula = ~ Days,
               control = gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf = 10, seed = 1, progress = FALSE))
  sr <- summary(r)
  expect_identical(sr$spread$part, "R(x)")
  expect_equal(unlist(sr$spread[1, c("min", "median", "max")]),
               stats::quantile(sigma(r, sleep)^2, c(0, 0.5, 1)), ignore_attr = TRUE, tolerance = 1e-8)
  expect_identical(unique(sr$top_features$part), c("mean", "disp"))
  expect_identical(sr$top_features$feature[sr$top_features$part == "disp"], "Days")
  expect_identical(sr$varcomp$averaged, c(FALSE, TRUE))
  # knitr::kable() prints them as they are
  expect_match(paste(knitr::kable(s$varcomp), collapse = "\n"), "\\|Subject  \\|\\(Intercept\\) x Days \\|")
})

test_that("the report template knits to HTML on the shipped data and on a user's data frame", {
  skip_if_not(rmarkdown::pandoc_available("1.12.3"), "pandoc is not available")
  dir <- tempfile("report")
  dir.create(dir)
  old <- setwd(dir)
  on.exit(setwd(old), add = TRUE)
  rmarkdown::draft("my-report.Rmd", template = "gbmixed-report", package = "gbmixed", edit = FALSE)
  expect_true(file.exists("my-report.Rmd"))
  out <- rmarkdown::render("my-report.Rmd", quiet = TRUE, envir = new.env())
  html <- paste(readLines(out, warn = FALSE), collapse = "\n")
  has <- function(html, pattern) expect_true(grepl(pattern, html), label = pattern)
  for (h in c("Data and clusters", "Variance components", "Loss and the chosen round", "Importance",
              "Partial dependence", "Random effects", "Calibration on held-out clusters", "Treatment effects",
              "Session")) {
    has(html, paste0(">", h, "</h1>"))
  }
  has(html, "1629\\s+rows in 120 clusters of\\s+site")
  has(html, "Coverage of prediction intervals: [0-9]+\\s+rows in 30 held-out")
  has(html, "Average treatment effect")
  has(html, "gbmixed situation report")
  expect_gte(lengths(regmatches(html, gregexpr("<img src=\"data:image/png;base64", html))), 8L)
  expect_false(grepl("## Error", html, fixed = TRUE))

  # a user's data frame by name, no treatment: the treatment section is left out
  env <- new.env()
  out2 <- rmarkdown::render("my-report.Rmd", output_file = "sleep.html", quiet = TRUE, envir = env,
                            params = list(data = "lme4::sleepstudy", formula = "Reaction ~ Days + (Days | Subject)",
                                          nrounds = 100))
  html2 <- paste(readLines(out2, warn = FALSE), collapse = "\n")
  has(html2, "180\\s+rows in 18 clusters of\\s+Subject")
  expect_false(grepl(">Treatment effects</h1>", html2))
  has(html2, ">Calibration on held-out clusters</h1>")
  # a data set without a formula is refused with the fix
  expect_error(rmarkdown::render("my-report.Rmd", output_file = "bad.html", quiet = TRUE, envir = new.env(),
                                 params = list(data = "lme4::sleepstudy")),
               "give params\\$formula")
})

test_that("partial dependence of the mean has a jackknife band over the honest folds", {
  d <- sim_clustered(60, 8, seed = 5)
  fit <- gbmixed(y ~ x1 + x2 + (1 | id), d, control = gbmixed_control(nrounds = 60, learning_rate = 0.1,
                                                                     min_leaf = 10, seed = 1, progress = FALSE))
  pd <- partial_dependence(fit, "x1", n = 5)
  expect_named(pd, c("x1", "estimate", "se", "lwr", "upr"))
  expect_identical(attr(pd, "method"), c(estimate = "partial dependence", se = "jackknife", lwr = "jackknife",
                                         upr = "jackknife"))
  # by hand: each fold's cross-fit mean averaged over the rows with x1 set to the grid value; the
  # delete-a-group jackknife variance (K - 1) / K sum_k (pd_k - mean pd)^2; a t(K - 1) band
  xs <- fit$x
  reps <- sapply(pd$x1, function(g) {
    xs[, 1] <- g
    colMeans(gbmixed:::jackknife_reps(fit, 0L, xs))
  })
  K <- nrow(reps)
  expect_identical(K, 3L)
  se <- sqrt((K - 1) / K * colSums(sweep(reps, 2, colMeans(reps))^2))
  expect_equal(pd$se, se, tolerance = 1e-10)
  expect_equal(pd$upr - pd$estimate, stats::qt(0.975, K - 1) * se, tolerance = 1e-10)
  expect_equal(pd$estimate - pd$lwr, stats::qt(0.975, K - 1) * se, tolerance = 1e-10)
  expect_true(all(pd$se > 0))
  # without honest folds there is no sampling variance: no band, and no warning
  f0 <- gbmixed(y ~ x1 + x2 + (1 | id), d, control = gbmixed_control(nrounds = 20, honest_folds = 0, seed = 1,
                                                                    progress = FALSE))
  expect_no_warning(p0 <- partial_dependence(f0, "x1", n = 3))
  expect_named(p0, c("x1", "estimate"))
})
