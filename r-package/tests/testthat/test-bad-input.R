# A battery of bad or awkward inputs. Each case either fits sensibly or stops with a message naming the problem;
# none may crash R or the Java engine. The comment above each case records what it gets.

bad <- sim_clustered(20, 8, seed = 121)
bf <- y ~ x1 + x2 + g + (1 + t | id)
bctl <- quick_control()
fit_bad <- function(data = bad, formula = bf, control = bctl, ...) gbmixed(formula, data, control = control, ...)
modify <- function(...) {
  d <- bad
  changes <- list(...)
  for (nm in names(changes)) d[[nm]] <- changes[[nm]](d[[nm]])
  d
}
set_na <- function(rows) function(v) { v[rows] <- NA; v }
engine_alive <- function() expect_s3_class(fit_bad(), "gbmixed")

test_that("missing values in each role", {
  # 1. NA in the response: error naming `y` and the count
  expect_error(fit_bad(modify(y = set_na(1:2))), "missing values \\(NA\\) in `data`: `y` \\(2 rows\\)")
  # 2. NA in the grouping factor: error naming `id`
  expect_error(fit_bad(modify(id = set_na(4))), "NA.*`id` \\(1 row\\)")
  # 3. NA in a random-effects (slope) column: error naming `t`
  expect_error(fit_bad(modify(t = set_na(5:7))), "NA.*`t` \\(3 rows\\)")
  # 4. NA in the weights column: error naming it
  d <- bad
  d$wt <- 1
  d$wt[9] <- NA
  expect_error(fit_bad(d, weights = "wt"), "NA.*`wt` \\(1 row\\)")
  # 5. NA in a covariate with the tree learner: fits (missing values go to a learned side)
  expect_s3_class(fit_bad(modify(x1 = set_na(1:10), g = set_na(3))), "gbmixed")
  # 6. NA in a covariate with the linear learner: error naming the column, count and the way out
  expect_error(fit_bad(modify(x1 = set_na(1:10)), control = quick_control(learner = "linear")),
               "covariates of `data`: `x1` \\(10 rows\\).*use learner = \"tree\"")
  # 7. a covariate entirely NA (tree): fits, the covariate gets no importance
  all_na <- fit_bad(modify(x2 = function(v) rep(NA_real_, length(v))))
  expect_identical(unname(all_na$importance[["x2"]]), 0)
  # 8. NA in the grouping factor of newdata: error naming it, unless allow.new.levels = TRUE
  fit <- fit_bad()
  nd <- bad[1:3, ]
  nd$id[2] <- NA
  expect_error(predict(fit, nd), "NA.*grouping factor `id` of `newdata` \\(1 row\\)")
  expect_length(predict(fit, nd, allow.new.levels = TRUE), 3L)
})

test_that("infinite, huge and tiny values", {
  # 9. Inf in a covariate: error naming it
  expect_error(fit_bad(modify(x2 = function(v) { v[3] <- Inf; v })), "infinite values in covariate `x2` \\(1 row\\)")
  # 10. -Inf in the response: error
  expect_error(fit_bad(modify(y = function(v) { v[1] <- -Inf; v })), "infinite values in the response `y`")
  # 11. covariates near 1e300 (tree): fits; trees only compare values
  expect_s3_class(fit_bad(modify(x1 = function(v) v * 1e300)), "gbmixed")
  # 12. a response near 1e300: error, it cannot be squared in double precision
  expect_error(fit_bad(modify(y = function(v) v * 1e300)), "response `y` are too large.*rescale it")
  # 13. a random-effects column near 1e300: error asking to rescale it
  expect_error(fit_bad(modify(t = function(v) v * 1e300)), "random-effects column `t` are too large")
  # 14. a response on the scale of 1e9 (and offset 1e9): fits; variances scale by 1e18
  big <- fit_bad(modify(y = function(v) v * 1e9 + 1e9))
  ref <- fit_bad()
  expect_equal(sigma(big) / 1e9, sigma(ref), tolerance = 1e-3)
  expect_equal(big$G / 1e18, ref$G, tolerance = 1e-3)
  # 15. a response on the scale of 1e-9: fits, same relative answer
  small <- fit_bad(modify(y = function(v) v * 1e-9))
  expect_equal(sigma(small) * 1e9, sigma(ref), tolerance = 1e-3)
  # 16. precision weights spanning 1e-8 .. 1e8: fits with finite variance components
  d <- bad
  d$wt <- 10^seq(-8, 8, length.out = nrow(d))
  expect_true(is.finite(sigma(fit_bad(d, weights = "wt"))))
})

test_that("degenerate data", {
  # 17. empty data: error
  expect_error(fit_bad(bad[0, ]), "`data` has no rows")
  # 18. a single cluster: error, a mixed model needs 2
  expect_error(fit_bad(modify(id = function(v) rep("one", length(v)))), "`id` has 1 cluster.*at least 2")
  # 19. clusters of one row each: fits, with a warning that the random effects are not identified
  expect_warning(fit_bad(modify(id = function(v) factor(seq_along(v))), formula = y ~ x1 + (1 | id)),
                 "all 160 clusters of `id` have a single row")
  # 20. constant covariates (tree): fits, no split on them
  cc <- fit_bad(modify(x1 = function(v) rep(3, length(v)), x2 = function(v) rep(1, length(v))))
  expect_identical(unname(cc$importance[c("x1", "x2")]), c(0, 0))
  # 21. a constant response: fits with a warning; predictions are the constant, variances at their floor
  expect_warning(cr <- fit_bad(modify(y = function(v) rep(5, length(v)))), "response `y` is constant \\(5\\)")
  expect_equal(predict(cr), rep(5, nrow(bad)))
  expect_lt(sigma(cr), 1e-3)
  # 22. 10^5 clusters of 2 rows (few rounds): fits in well under a few seconds
  set.seed(1)
  m <- 1e5
  many <- data.frame(id = rep(seq_len(m), each = 2), x = runif(2 * m))
  many$y <- many$x + rnorm(m)[many$id] + rnorm(2 * m)
  mf <- gbmixed(y ~ x + (1 | id), many, control = gbmixed_control(nrounds = 2, seed = 1, progress = FALSE))
  expect_identical(length(mf$cluster_levels), as.integer(m))
  expect_equal(mf$G[1], 1, tolerance = 0.1)
  # 23. a 50-level factor: fits with the tree learner and with the linear one (49 dummies)
  d <- bad
  d$f50 <- factor(rep_len(paste0("L", 1:50), nrow(d)))
  expect_s3_class(fit_bad(d, formula = y ~ x1 + f50 + (1 | id)), "gbmixed")
  lin50 <- fit_bad(d, formula = y ~ x1 + f50 + (1 | id), control = quick_control(learner = "linear"))
  expect_length(fixef(lin50), 51L)
})

test_that("wrong columns, types and arguments", {
  # 24. a misspelled column: error naming it
  expect_error(fit_bad(formula = y ~ x1 + x22 + (1 | id)), "column `x22` not found in `data`")
  # 25. a factor level unseen in training in newdata: error listing it
  fit <- fit_bad()
  nd <- bad[1:2, ]
  nd$g <- c("a", "new")
  expect_error(predict(fit, nd), "covariate `g` in `newdata` has a level not seen in training: \"new\"")
  # 26. a treatment column with values other than 0/1: error showing them
  d <- bad
  d$tr <- rep(0:2, length.out = nrow(d))
  expect_error(fit_bad(d, formula = y ~ x1 + tr + (1 | id), treatment = "tr"), "must be numeric 0/1.*0, 1, 2")
  # 27. a covformula covariate varying within clusters: error naming it and the clusters
  d <- bad
  d$w <- seq_len(nrow(d))
  expect_error(fit_bad(d, covformula = ~ w), "`covformula` covariate `w` varies within 20 of 20 clusters")
  # 28. a character response: error, gbmixed fits a Gaussian model
  expect_error(fit_bad(modify(y = as.character)), "response `y` must be a numeric vector")
  # 29. a list column as covariate: error naming its class
  expect_error(fit_bad(modify(x1 = as.list)), "covariate `x1` has unsupported class \"list\"")
  # 30. a Date covariate: fits (used as its number of days)
  expect_s3_class(fit_bad(modify(x1 = function(v) as.Date("2020-01-01") + seq_along(v))), "gbmixed")
  # 31. data that is not a data frame: error
  expect_error(fit_bad(as.list(bad)), "`data` must be a data frame")
})

test_that("bad settings", {
  # 32. nrounds = 0 fits the constant-mean mixed model (what cv_gbmixed() may advise); negative: an error
  f0 <- fit_bad(control = gbmixed_control(nrounds = 0, progress = FALSE))
  expect_identical(f0$nrounds, 0L)
  expect_length(unique(predict(f0, re.form = NA)), 1L)
  expect_error(fit_bad(control = list(nrounds = -3)), "`nrounds`.*not -3")
  # 33. learning_rate outside (0, 1]: errors naming it
  expect_error(fit_bad(control = gbmixed_control(learning_rate = 0)),
               "`learning_rate` must be a single number in \\(0, 1\\]")
  expect_error(fit_bad(control = gbmixed_control(learning_rate = 1.01)), "`learning_rate`.*1.01")
  # 34. validation with too few clusters to hold out: error saying how many
  expect_error(fit_bad(control = quick_control(validation = 0.05)), "holds out 1 of the 20 clusters")
  # 35. validation leaving too few to fit: error
  expect_error(fit_bad(control = quick_control(validation = 0.95)), "holds out 19 of the 20.*smaller fraction")
  # 36. early stopping without held-out clusters (and without honest folds): error
  expect_error(fit_bad(control = quick_control(early_stopping_rounds = 5, honest_folds = 0)), "needs held-out clusters")
  # 37. predict with an nrounds the fit does not hold: error saying which rounds it holds
  expect_error(predict(fit_bad(), nrounds = 40), "keeps the model up to round 30")
  # 38. deep trees with one-row leaves and tiny subsamples: fit
  expect_s3_class(fit_bad(control = gbmixed_control(nrounds = 10, max_depth = 30, min_leaf = 1, subsample = 0.01,
                                                    colsample = 0.01, seed = 1, progress = FALSE)), "gbmixed")
  # 39. after all of the above, the engine still fits
  engine_alive()
})
