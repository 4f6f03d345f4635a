# Every input error fails in R, before Java, with a message naming the argument or column and the counts.

small <- sim_clustered(20, 8, seed = 11)

fit_small <- function(data = small, formula = y ~ x1 + x2 + (1 + t | id), ...) {
  gbmixed(formula, data, control = quick_control(...))
}

with_na <- function(col, rows) {
  d <- small
  d[[col]][rows] <- NA
  d
}

test_that("NA in the response, a covariate, the group or a slope column names the column and count", {
  expect_error(fit_small(with_na("y", 1:3)), "NA.*`y` \\(3 rows\\)")
  # covariates of the mean may be missing with the tree learner (see test-missing.R), not with "linear"
  expect_error(fit_small(with_na("x1", 5), learner = "linear"), "NA.*`x1` \\(1 row\\).*learner = \"linear\"")
  expect_error(fit_small(with_na("id", c(2, 9))), "NA.*`id` \\(2 rows\\)")
  expect_error(fit_small(with_na("t", 1:4)), "NA.*`t` \\(4 rows\\)")
  d <- with_na("x1", 1)
  d$x2[1:2] <- NA
  expect_error(fit_small(d, learner = "spline"), "`x1` \\(1 row\\), `x2` \\(2 rows\\)")
})

test_that("a non-numeric response is an error naming it", {
  d <- small
  d$y <- as.character(d$y)
  expect_error(fit_small(d), "response `y` must be a numeric vector.*character")
  d$y <- factor(d$y)
  expect_error(fit_small(d), "response `y` must be a numeric vector.*factor")
})

test_that("infinite values are an error naming the column", {
  d <- small
  d$x2[3] <- Inf
  expect_error(fit_small(d), "infinite values in covariate `x2` \\(1 row\\)")
  d <- small
  d$y[1:2] <- -Inf
  expect_error(fit_small(d), "infinite values in the response `y` \\(2 rows\\)")
})

test_that("unknown columns are listed by name", {
  expect_error(fit_small(formula = y ~ x1 + nope + (1 | id)), "column `nope` not found in `data`")
  expect_error(fit_small(formula = y ~ x1 + (1 + slope | id)), "column `slope` not found in `data`")
  expect_error(fit_small(formula = y ~ x1 + a + (1 | grp)), "columns `a`, `grp` not found in `data`")
})

test_that("fewer than 2 clusters is an error; some single-row clusters are ordinary (no warning, as lme4)", {
  d <- small
  d$id <- "only"
  expect_error(fit_small(d, formula = y ~ x1 + (1 | id)), "grouping factor `id` has 1 cluster.*at least 2")
  d <- rbind(small, transform(small[1, ], id = "lonely"), transform(small[2, ], id = "alone"))
  expect_silent(fit_small(d, formula = y ~ x1 + (1 | id)))
})

test_that("formula errors are explained", {
  expect_error(fit_small(formula = y ~ x1), "no random-effects term")
  expect_error(fit_small(formula = y ~ x1 + (1 | id) + (0 + t | id)), "one random-effects term.*has 2")
  expect_error(fit_small(formula = y ~ x1 + (1 | id / g)), "single column name.*one grouping factor")
  expect_error(fit_small(formula = y ~ x1 * x2 + (1 | id)), "not interactions.*`x1:x2`")
  expect_error(fit_small(formula = ~ x1 + (1 | id)), "two-sided formula")
  expect_error(fit_small(formula = y ~ x1 + id + (1 | id)), "grouping factor `id` cannot also be a covariate")
})

test_that("validation, subsample and colsample reach the engine", {
  cfg <- gbmixed:::make_config(quick_control(subsample = 0.5, colsample = 0.7, validation = 0.2,
                                             early_stopping_rounds = 4), 1, nclusters = 20)
  expect_identical(rJava::.jcall(cfg, "D", "subsample"), 0.5)
  expect_identical(rJava::.jcall(cfg, "D", "colsample"), 0.7)
  expect_identical(rJava::.jcall(cfg, "I", "earlyStoppingRounds"), 4L)
  expect_s3_class(fit_small(subsample = 0.5, colsample = 0.5), "gbmixed")
})

lin_frame <- function(formula, d) {
  gbmixed:::prepare_gbmixed(formula, d, ~1, ~1, NULL, NULL, quick_control(learner = "linear"))$frame
}

test_that("a singular design for the linear learner names the aliased columns", {
  d <- small
  d$const <- 3
  d$x1b <- 2 * d$x1
  expect_error(
    gbmixed(y ~ x1 + x2 + x1b + (1 | id), d, control = quick_control(learner = "linear")),
    "singular.*`x1b`"
  )
  expect_error(
    gbmixed(y ~ x1 + const + (1 | id), d, control = quick_control(learner = "linear")),
    "singular.*`const` is constant"
  )
  # nearly aliased: x1n keeps about 1e-4 of its norm after the intercept and x1, x1m about 1e-6. The
  # cross-product screen passes both on to the QR, which accepts x1n (so does the engine) and refuses x1m
  # (as the engine would, but naming it)
  set.seed(3)
  e <- stats::rnorm(nrow(d))
  d$x1n <- d$x1 + 1e-4 * sqrt(mean(d$x1^2)) * e
  d$x1m <- d$x1 + 1e-6 * sqrt(mean(d$x1^2)) * e
  expect_false(gbmixed:::design_well_conditioned(lin_frame(y ~ x1 + x1n + (1 | id), d)))
  expect_s3_class(gbmixed(y ~ x1 + x1n + (1 | id), d, control = quick_control(learner = "linear")), "gbmixed")
  expect_error(gbmixed(y ~ x1 + x1m + (1 | id), d, control = quick_control(learner = "linear")),
               "singular or nearly so.*`x1m` is constant or \\(nearly\\) a linear combination")
  # a factor whose dummies add up to the intercept with another's: g2 is g recoded
  d$g <- factor(rep(c("a", "b", "c", "d"), length.out = nrow(d)))
  d$g2 <- factor(ifelse(d$g %in% c("a", "b"), "ab", "cd"))
  expect_error(
    gbmixed(y ~ x1 + g + g2 + (1 | id), d, control = quick_control(learner = "linear")),
    "singular.*`g2cd`"
  )
  expect_true(gbmixed:::design_well_conditioned(lin_frame(y ~ x1 + g + (1 | id), d)))
  # a constant covariate is fine for trees
  fit <- gbmixed(y ~ x1 + const + (1 | id), d, control = quick_control())
  expect_s3_class(fit, "gbmixed")
  expect_identical(unname(fit$importance[["const"]]), 0)
})

test_that("weights are checked", {
  expect_error(gbmixed(y ~ x1 + (1 | id), small, weights = 1:3, control = quick_control()),
               "`weights` must be NULL.*length 160")
  d <- small
  d$w <- 1
  d$w[4] <- 0
  expect_error(gbmixed(y ~ x1 + (1 | id), d, weights = "w", control = quick_control()),
               "weights `w` must be positive; 1 are <= 0")
  d$w[4] <- NA
  expect_error(gbmixed(y ~ x1 + (1 | id), d, weights = "w", control = quick_control()), "NA.*`w` \\(1 row\\)")
})

test_that("predict refuses unseen clusters and factor levels, listing them", {
  fit <- fit_small(formula = y ~ x1 + g + (1 + t | id))
  nd <- small[1:4, ]
  nd$id <- c("c1", "zz", "yy", "zz")
  expect_error(predict(fit, nd), "levels of `id` not seen in training: \"zz\", \"yy\".*allow.new.levels")
  nd <- small[1:3, ]
  nd$g <- c("a", "q", "r")
  expect_error(predict(fit, nd), "covariate `g` in `newdata` has levels not seen in training: \"q\", \"r\"")
  nd <- small[1:3, ]
  nd$t[2] <- NA
  expect_error(predict(fit, nd), "NA.*`newdata`.*`t` \\(1 row\\)")
  expect_error(predict(fit, small[, c("x1", "g", "id")]), "column `t` not found in `newdata`")
  expect_error(predict(fit, small, type = "fixed", interval = "prediction"), "only with `type = \"response\"`")
  expect_error(predict(fit, small, re.form = ~ (1 | other)), "`re.form` must be NULL")
  expect_error(predict(fit, small, nrounds = -1), "`nrounds` must be a single whole number >= 0")
  expect_error(predict(fit, small, level = 1.5), "`level` must be a single number in \\(0, 1\\)")
  expect_error(predict(fit, small, nrounds = 31), "keeps the model up to round 30.*`nrounds` = 31")
})

test_that("bad data arguments are errors", {
  expect_error(gbmixed(y ~ x1 + (1 | id), as.list(small)), "`data` must be a data frame")
  expect_error(gbmixed(y ~ x1 + (1 | id), small[0, ]), "`data` has no rows")
  expect_error(gbmixed(y ~ x1 + (1 | id), small, control = "fast"), "`control` must be made by gbmixed_control")
})
