# With a linear mean learner, learning rate 1 and constant G and sigma^2, the boosting fixed point is the ML
# linear mixed model: it must match lme4::lmer(REML = FALSE). lme4's default optimizer stops at a relative
# tolerance of about 1e-4 on G (its own error, 7e-5 on sleepstudy), so the reference is fitted with a tight
# bobyqa tolerance; then the remaining difference measures gbmixed alone. Tolerance: 1e-4 relative for every
# entry of fixef, G, sigma^2 and logLik. (Observed with lme4 1.1-31: <= 2e-6.)

tight <- lme4::lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
linear_ml <- gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 3000, seed = 1, progress = FALSE)

# G of an lmer fit as one q x q matrix (lme4 splits a || term into one block per effect).
lmer_G <- function(fm) {
  vc <- lme4::VarCorr(fm)
  blocks <- lapply(vc, function(v) { attributes(v) <- list(dim = dim(v)); v })
  q <- sum(vapply(blocks, nrow, 1L))
  G <- matrix(0, q, q)
  at <- 0L
  for (b in blocks) {
    k <- nrow(b)
    G[at + seq_len(k), at + seq_len(k)] <- b
    at <- at + k
  }
  G
}

expect_matches_lmer <- function(formula, q, df) {
  fit <- gbmixed(formula, sleep, control = linear_ml)
  fm <- lme4::lmer(formula, sleep, REML = FALSE, control = tight)
  expect_named(fixef(fit), c("(Intercept)", "Days"))
  expect_each_equal(fixef(fit), lme4::fixef(fm), tolerance = 1e-4)
  G <- VarCorr(fit)$Subject
  expect_identical(dim(G), c(q, q))
  Gref <- lmer_G(fm)
  nz <- Gref != 0
  expect_each_equal(G[nz], Gref[nz], tolerance = 1e-4)
  expect_true(all(G[!nz] == 0))
  expect_equal(sigma(fit)^2, sigma(fm)^2, tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(fm)), tolerance = 1e-4)
  expect_identical(attr(logLik(fit), "df"), df)
  expect_identical(attr(logLik(fit), "df"), as.integer(attr(logLik(fm), "df")))
  expect_equal(AIC(fit), AIC(fm), tolerance = 1e-4)
  list(fit = fit, fm = fm)
}

test_that("linear learner with full G matches lmer(Reaction ~ Days + (Days | Subject), REML = FALSE)", {
  r <- expect_matches_lmer(Reaction ~ Days + (Days | Subject), q = 2L, df = 6L)
  # BLUPs and their conditional variances match lme4's ranef(condVar = TRUE)
  re <- ranef(r$fit, condVar = TRUE)$Subject
  re_ref <- lme4::ranef(r$fm, condVar = TRUE)$Subject
  expect_identical(rownames(re), rownames(re_ref))
  expect_equal(as.matrix(re), as.matrix(re_ref), tolerance = 1e-4)
  expect_equal(attr(re, "postVar"), attr(re_ref, "postVar"), tolerance = 1e-4)
  expect_equal(fitted(r$fit), unname(fitted(r$fm)), tolerance = 1e-6)
})

test_that("the linear learner stops at convergence, where lmer stops, and says so", {
  # linear_ml allows 3000 rounds; the convergence stop (tol = 1e-8) ends the fit at lmer's estimates long before
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = linear_ml)
  expect_true(fit$converged)
  expect_lt(fit$nrounds, 100L)
  expect_identical(fit$rounds_run, fit$nrounds)
  expect_length(fit$loss, fit$nrounds + 1L)
  expect_output(print(fit), paste0("Rounds: ", fit$nrounds, " of 3000 run \\(converged: the last round moved no ",
                                   "parameter by more than tol = 1e-08\\)"))
  # tol = 0 runs every round and reaches the same fit
  all <- gbmixed(Reaction ~ Days + (Days | Subject), sleep,
                 control = gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 300, tol = 0, seed = 1,
                                           progress = FALSE))
  expect_false(all$converged)
  expect_identical(all$nrounds, 300L)
  expect_equal(VarCorr(fit)$Subject, VarCorr(all)$Subject, tolerance = 1e-6)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(all)), tolerance = 1e-8)
  # trees do not stop on it
  tr <- gbmixed(Reaction ~ Days + (1 | Subject), sleep,
                control = gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf = 10, seed = 1, progress = FALSE))
  expect_false(tr$converged)
  expect_identical(tr$nrounds, 40L)
})

test_that("linear learner with a random intercept matches lmer(Reaction ~ Days + (1 | Subject))", {
  expect_matches_lmer(Reaction ~ Days + (1 | Subject), q = 1L, df = 4L)
})

test_that("linear learner with diagonal G matches lmer(Reaction ~ Days + (Days || Subject))", {
  r <- expect_matches_lmer(Reaction ~ Days + (Days || Subject), q = 2L, df = 5L)
  expect_identical(VarCorr(r$fit)$Subject[1, 2], 0)
})

test_that("linear learner with a slope only matches lmer(Reaction ~ Days + (0 + Days | Subject))", {
  r <- expect_matches_lmer(Reaction ~ Days + (0 + Days | Subject), q = 1L, df = 4L)
  expect_identical(colnames(ranef(r$fit)$Subject), "Days")
})

test_that("linear learner with a factor covariate matches lmer and names coefficients like lm", {
  d <- sleep
  d$half <- factor(ifelse(d$Days < 5, "early", "late"), levels = c("early", "late"))
  fit <- gbmixed(Reaction ~ Days + half + (1 | Subject), d, control = linear_ml)
  fm <- lme4::lmer(Reaction ~ Days + half + (1 | Subject), d, REML = FALSE, control = tight)
  expect_named(fixef(fit), names(lme4::fixef(fm)))
  expect_each_equal(fixef(fit), lme4::fixef(fm), tolerance = 1e-4)
  expect_equal(sigma(fit), sigma(fm), tolerance = 1e-4)
})

test_that("an intercept-only mean matches lmer(Reaction ~ 1 + (1 | Subject))", {
  fit <- gbmixed(Reaction ~ 1 + (1 | Subject), sleep, control = linear_ml)
  fm <- lme4::lmer(Reaction ~ 1 + (1 | Subject), sleep, REML = FALSE, control = tight)
  expect_named(fixef(fit), "(Intercept)")
  expect_equal(fixef(fit), lme4::fixef(fm), tolerance = 1e-4)
  expect_equal(VarCorr(fit)$Subject[1, 1], lme4::VarCorr(fm)$Subject[1, 1], tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(fm)), tolerance = 1e-4)
})
