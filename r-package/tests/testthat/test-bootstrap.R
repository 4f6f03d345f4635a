# confint(method = "boot"): the parametric bootstrap refitted inside the engine, against lme4's.

test_that("bootstrap intervals of the variance components are lme4's (linear learner, sleepstudy)", {
  lin <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 60, seed = 1,
                                           progress = FALSE))
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
  ours <- confint(lin, method = "boot", nsim = 200, seed = 1)
  ref <- suppressMessages(suppressWarnings(confint(fm, method = "boot", nsim = 200, seed = 1)))
  expect_identical(rownames(ours), rownames(ref))
  expect_identical(colnames(ours), colnames(ref))
  width <- function(ci) ci[, 2] - ci[, 1]
  # measured: relative differences of the widths -0.009, 0.082, -0.162, 0.083, 0.018, 0.018 (with nsim = 1000:
  # within 0.07): the Monte Carlo error of 200 replicates on both sides
  expect_lt(max(abs(width(ours) / width(ref) - 1)), 0.3)
  # each interval holds the fit's own estimate
  G <- unclass(lin$G)
  est <- c(sqrt(G[1, 1]), G[2, 1] / sqrt(G[1, 1] * G[2, 2]), sqrt(G[2, 2]),
           sigma(lin), lin$coefficients)
  expect_true(all(ours[, 1] < est & est < ours[, 2]))
  expect_identical(attr(ours, "nsim"), 200)
  expect_true(attr(ours, "seconds") > 0)
  # reproducible from the seed; parm picks rows
  expect_identical(confint(lin, ".sigma", method = "boot", nsim = 20, seed = 3),
                   confint(lin, method = "boot", nsim = 20, seed = 3)[".sigma", , drop = FALSE], ignore_attr = TRUE)
})
