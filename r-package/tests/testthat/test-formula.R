test_that("| gives a full G, || a diagonal G, (0 + t | id) a slope only", {
  p <- gbmixed:::parse_gbmixed_formula(y ~ x + (1 + t | id), data.frame())
  expect_false(p$diagonal)
  expect_identical(p$group, "id")
  expect_identical(p$features, "x")
  p <- gbmixed:::parse_gbmixed_formula(y ~ x + (1 + t || id), data.frame())
  expect_true(p$diagonal)
  expect_identical(p$re_vars, "t")
  p <- gbmixed:::parse_gbmixed_formula(y ~ x + (0 + t | id), data.frame())
  expect_identical(attr(terms(p$re_formula), "intercept"), 0L)
})

test_that("y ~ . + (1 | id) uses every column but the response and the group", {
  d <- data.frame(y = 1, a = 2, b = "x", id = 1)
  p <- gbmixed:::parse_gbmixed_formula(y ~ . + (1 | id), d)
  expect_identical(p$features, c("a", "b"))
  fit <- gbmixed(Reaction ~ . + (1 | Subject), sleep, control = quick_control())
  expect_named(fit$importance, "Days")
})

test_that("diagonal and slope-only fits have the right G shape", {
  fit <- gbmixed(Reaction ~ Days + (Days || Subject), sleep, control = quick_control())
  G <- VarCorr(fit)$Subject
  expect_identical(dimnames(G), list(c("(Intercept)", "Days"), c("(Intercept)", "Days")))
  expect_identical(G[1, 2], 0)
  expect_false(grepl("Corr", paste(capture.output(print(VarCorr(fit))), collapse = "\n")))
  fit <- gbmixed(Reaction ~ Days + (0 + Days | Subject), sleep, control = quick_control())
  expect_identical(colnames(ranef(fit)$Subject), "Days")
})

test_that("covariates can be expressions and character columns", {
  d <- sleep
  d$grp <- ifelse(d$Days > 4, "late", "early")
  fit <- gbmixed(Reaction ~ log1p(Days) + grp + (1 | Subject), d, control = quick_control())
  expect_named(fit$importance, c("log1p(Days)", "grp"))
  expect_identical(fit$features$grp$levels, c("early", "late"))
  expect_equal(predict(fit, d[1:5, ]), fitted(fit)[1:5], tolerance = 1e-10)
})

test_that("factor random effects, a numeric grouping column and logical covariates work", {
  d <- sleep
  d$grp <- factor(ifelse(d$Days > 4, "late", "early"))
  d$even <- d$Days %% 2 == 0
  d$sid <- as.integer(as.character(d$Subject))
  fit <- gbmixed(Reaction ~ Days + even + (1 + grp | sid), d, control = quick_control())
  expect_identical(colnames(ranef(fit)$sid), c("(Intercept)", "grplate"))
  expect_identical(rownames(ranef(fit)$sid), as.character(sort(unique(d$sid))))
  nd <- data.frame(Days = c(3, 7), even = c(FALSE, FALSE), grp = c("early", "late"), sid = c(308, 308))
  expect_equal(predict(fit, nd), fitted(fit)[c(4, 8)], tolerance = 1e-10)
  nd$grp[2] <- "mid"
  expect_error(predict(fit, nd), "random-effects column `grp` in `newdata` has a level not seen in training: \"mid\"")
})
