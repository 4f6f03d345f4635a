# The variance parts against other implementations, exactly. With the linear mean learner at learning rate 1, a
# dispformula or covformula of one factor makes the boosted variance functions piecewise constant, so their
# fixed point is a classical ML model that nlme and lme4 fit:
# - RBoost, dispformula = ~ g: R = sigma^2_g, nlme::lme(..., weights = varIdent(form = ~ 1 | g), method = "ML");
# - GBoost, covformula = ~ w2 with (1 + t | id): a full, correlated 2 x 2 G per level of the cluster factor w2,
#   lmer's model with one unstructured block per level, (0 + lo + lo:t | id) + (0 + hi + hi:t | id), ML.
# These pin what the boosting rounds run (the gradients and Fisher weights of rho and theta, the level steps, the
# ensembles that predict() reads for new clusters): dropping z'Pz from the rho gradient moves R_lo by 0.6%,
# dropping P_i from the G gradient or the off-diagonal scale from the level step moves an entry of G by 5-7%.
# Tolerances: 1e-4 relative (the references are fitted to a tight tolerance; observed <= 3e-5).

sim_groups <- function(seed) {
  withr_seed(seed, {
    m <- 300
    ni <- sample(5:10, m, replace = TRUE)
    id <- rep(seq_len(m), ni)
    n <- length(id)
    w2 <- sample(c("lo", "hi"), m, replace = TRUE)
    G <- list(lo = matrix(c(1, 0.3, 0.3, 0.5), 2), hi = matrix(c(0.3, -0.1, -0.1, 1.2), 2))
    b <- t(vapply(w2, function(k) drop(t(chol(G[[k]])) %*% stats::rnorm(2)), numeric(2)))
    g <- sample(c("lo", "hi"), n, replace = TRUE)
    x1 <- stats::runif(n, -1, 1)
    t <- stats::runif(n, -1, 1)
    data.frame(x1, t, g, w2 = w2[id], id = factor(id), lo = as.numeric(w2[id] == "lo"),
               hi = as.numeric(w2[id] == "hi"), b0 = b[id, 1], b1 = b[id, 2])
  })
}

exact_linear <- gbmixed_control(learner = "linear", learning_rate = 1, nrounds = 400, seed = 1, progress = FALSE)

test_that("RBoost with a factor dispformula is nlme's lme with varIdent (ML)", {
  d <- sim_groups(1)
  d$y <- withr_seed(2, 1 + 2 * d$x1 + d$b0 + stats::rnorm(nrow(d), sd = ifelse(d$g == "lo", sqrt(0.1), 1)))
  nl <- nlme::lme(y ~ x1, random = ~ 1 | id, weights = nlme::varIdent(form = ~ 1 | g), data = d, method = "ML",
                  control = nlme::lmeControl(tolerance = 1e-10, msTol = 1e-12, niterEM = 100))
  delta <- coef(nl$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
  R_nlme <- nl$sigma^2 * delta[c("lo", "hi")]^2
  fit <- gbmixed(y ~ x1 + (1 | id), d, dispformula = ~ g, control = exact_linear)
  expect_identical(fit$variant, "RBoost")
  R_fit <- predict(fit, data.frame(x1 = 0, g = c("lo", "hi"), id = d$id[1]), type = "disp")
  expect_each_equal(R_fit, R_nlme, tolerance = 1e-4)
  expect_equal(VarCorr(fit)$id[1, 1], as.numeric(nlme::getVarCov(nl)), tolerance = 1e-4)
  expect_each_equal(lme4::fixef(fit), nlme::fixef(nl), tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(nl)), tolerance = 1e-6)
})

test_that("GBoost with a factor covformula is lmer's model with one full G block per level (ML)", {
  d <- sim_groups(3)
  d$y <- withr_seed(4, 1 + 2 * d$x1 + d$b0 + d$b1 * d$t + stats::rnorm(nrow(d), sd = 0.5))
  fm <- lme4::lmer(y ~ x1 + (0 + lo + lo:t | id) + (0 + hi + hi:t | id), d, REML = FALSE,
                   control = lme4::lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))
  vc <- lme4::VarCorr(fm)
  blocks <- list(lo = unclass(vc[[grep("^id$", names(vc))[1]]]), hi = unclass(vc[[grep("^id\\.1$", names(vc))]]))
  # which block is which: the lo block's rows are named "lo", "lo:t"
  names(blocks) <- vapply(blocks, function(b) sub(":t$", "", rownames(b)[1]), "")
  fit <- gbmixed(y ~ x1 + (1 + t | id), d, covformula = ~ w2, control = exact_linear)
  expect_identical(fit$variant, "GBoost")
  expect_false(fit$diagonal)
  # G(w) for new clusters (the ensembles) and for training clusters (the fit's state) alike
  G_new <- predict(fit, data.frame(x1 = 0, t = 0, w2 = c("lo", "hi"), id = c("new1", "new2")), type = "cov",
                   allow.new.levels = TRUE)
  first <- d[!duplicated(d$id), ]
  G_old <- predict(fit, first, type = "cov")
  for (k in c("lo", "hi")) {
    ref <- blocks[[k]][cbind(c(1, 2, 2), c(1, 1, 2))]   # (1,1), (2,1), (2,2)
    expect_each_equal(G_new[match(k, c("lo", "hi")), ], ref, tolerance = 1e-4)
    expect_each_equal(G_old[match(k, first$w2), ], ref, tolerance = 1e-4)
  }
  expect_equal(sigma(fit), sigma(fm), tolerance = 1e-4)
  expect_each_equal(lme4::fixef(fit), lme4::fixef(fm), tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(fm)), tolerance = 1e-6)
})
