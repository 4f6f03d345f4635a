# Treatment effects under a random treatment slope whose covariance depends on a cluster covariate, with a
# nonlinear mean and CATE and a residual variance varying 15-fold (issue 9's simulation).
#   m = 300 clusters of 6..20 rows; w_i ~ U(-1, 1) per cluster; x1, x2 ~ U(-1, 1) per row; T ~ Bernoulli(1/2)
#   mu(x) = 2 cos(2 x2) + x1 + 0.5 w;  tau(x) = 1 + 1.5 sin(pi x1)            (var of tau over x: 1.13)
#   b_i = (b0, bT) ~ N(0, G(w)): sd(b0) = exp(0.2 + 0.4 w), sd(bT) = 0.6 exp(0.5 w), cor 0.3
#   e ~ N(0, R(x)), log R(x) = -1 + 1.35 x2                                   (R from 0.10 to 1.42)
#   y = mu(x) + T tau(x) + b0 + bT T + e
# Model: gbmixed(y ~ x1 + x2 + w + trt + (1 + trt | id), dispformula = ~ x1 + x2, covformula = ~ w,
#                treatment = "trt")
# Scores: CATE MSE on 2000 fresh points against tau(x); the mean BLUP of the treatment slope (truth 0);
# coverage of 90% intervals of the population CATE (where the fit gives them); coverage of 90% prediction
# intervals for new rows of the training clusters and for rows of 300 new clusters, overall and in the low and
# high thirds of x2 (the variance driver).
#   Rscript bench/r/cate_sim.R [lib] [seeds] [config ...]   lib: an R library holding gbmixed ("" = default)
args <- commandArgs(trailingOnly = TRUE)
lib <- if (length(args) >= 1 && nzchar(args[1])) args[1] else NULL
seeds <- if (length(args) >= 2) eval(parse(text = args[2])) else 1:3
suppressPackageStartupMessages(library(gbmixed, lib.loc = lib))

sim <- function(m, seed, prefix = "c") {
  set.seed(seed)
  ni <- sample(6:20, m, replace = TRUE)
  id <- rep(seq_len(m), ni)
  n <- length(id)
  w <- runif(m, -1, 1)
  x1 <- runif(n, -1, 1)
  x2 <- runif(n, -1, 1)
  trt <- rbinom(n, 1, 0.5)
  s0 <- exp(0.2 + 0.4 * w)
  s1 <- 0.6 * exp(0.5 * w)
  z0 <- rnorm(m)
  z1 <- 0.3 * z0 + sqrt(1 - 0.3^2) * rnorm(m)
  b0 <- s0 * z0
  b1 <- s1 * z1
  tau <- 1 + 1.5 * sin(pi * x1)
  mu <- 2 * cos(2 * x2) + x1 + 0.5 * w[id]
  R <- exp(-1 + 1.35 * x2)
  y <- mu + trt * tau + b0[id] + b1[id] * trt + rnorm(n, sd = sqrt(R))
  d <- data.frame(y, x1, x2, w = w[id], trt, id = factor(paste0(prefix, id)), tau, R)
  attr(d, "b") <- cbind(b0 = b0, b1 = b1)   # the true random effects, row i = cluster i
  d
}

# y for rows of the same clusters (fresh x, T, e), from the stored random effects
resimulate <- function(d, nd) {
  b <- attr(d, "b")
  k <- as.integer(sub("^c", "", as.character(nd$id)))
  2 * cos(2 * nd$x2) + nd$x1 + 0.5 * nd$w + nd$trt * (1 + 1.5 * sin(pi * nd$x1)) + b[k, 1] + b[k, 2] * nd$trt +
    rnorm(nrow(nd), sd = sqrt(exp(-1 + 1.35 * nd$x2)))
}

fit_one <- function(d, ctl) {
  gbmixed(y ~ x1 + x2 + w + trt + (1 + trt | id), d, dispformula = ~ x1 + x2, covformula = ~ w,
          treatment = "trt", control = ctl)
}

score <- function(fit, d, seed) {
  set.seed(1000 + seed)
  grid <- data.frame(x1 = runif(2000, -1, 1), x2 = runif(2000, -1, 1), w = runif(2000, -1, 1), trt = 0)
  tau <- 1 + 1.5 * sin(pi * grid$x1)
  ce <- cate(fit, grid, level = 0.9)
  # new rows of the training clusters: the same clusters, fresh x, T, e
  old <- d[sample(nrow(d), 3000, replace = TRUE), ]
  old$x1 <- runif(3000, -1, 1); old$x2 <- runif(3000, -1, 1); old$trt <- rbinom(3000, 1, 0.5)
  y_old <- resimulate(d, old)
  new <- sim(300, 5000 + seed, prefix = "n")
  cover <- function(nd, yv) {
    p <- predict(fit, nd, interval = "prediction", level = 0.9, allow.new.levels = TRUE)
    inside <- yv >= p$lwr & yv <= p$upr
    lo <- nd$x2 < -1/3; hi <- nd$x2 > 1/3
    c(all = mean(inside), low = mean(inside[lo]), high = mean(inside[hi]))
  }
  re <- ranef(fit)$id
  slope <- re[, grep("trt", colnames(re))[1]]
  c(cate_mse = mean((ce$estimate - tau)^2),
    cate_cover90 = if (all(is.na(ce$lwr))) NA else mean(tau >= ce$lwr & tau <= ce$upr),
    cate_width90 = if (all(is.na(ce$lwr))) NA else mean(ce$upr - ce$lwr),
    mean_slope_blup = mean(slope),
    setNames(cover(old, y_old), paste0("pi_old_", c("all", "low", "high"))),
    setNames(cover(new, new$y), paste0("pi_new_", c("all", "low", "high"))),
    rounds = fit$nrounds)
}

new_engine <- "early_stopping_metric" %in% names(formals(gbmixed_control))
rec <- list(learning_rate_disp = 0.02, learning_rate_cov = 0.01)       # the defaults of the new engine
configs <- list(
  "defaults" = list(),
  "100 rounds" = c(rec, nrounds = 100),
  "300 rounds" = c(rec, nrounds = 300),
  "1000 rounds" = c(rec, nrounds = 1000),
  "depth 3, 300 rounds" = c(rec, nrounds = 300, max_depth = 3),
  "early stopping" = if (new_engine) list(nrounds = 3000, early_stopping_rounds = 50)
                     else c(rec, nrounds = 3000, validation = 0.2, early_stopping_rounds = 50)
)
extra <- Sys.getenv("CATE_CONFIGS")
if (nzchar(extra)) configs <- c(if (!nzchar(Sys.getenv("CATE_ONLY"))) configs, eval(parse(text = extra)))
if (length(args) >= 3) configs <- configs[args[-(1:2)]]

res <- lapply(names(configs), function(nm) {
  rows <- lapply(seeds, function(s) {
    d <- sim(300, s)
    ctl <- do.call(gbmixed_control, c(configs[[nm]], list(seed = s, threads = 2, progress = FALSE)))
    t0 <- proc.time()[["elapsed"]]
    fit <- suppressWarnings(fit_one(d, ctl))
    c(score(fit, d, s), seconds = proc.time()[["elapsed"]] - t0)
  })
  colMeans(do.call(rbind, rows))
})
tab <- do.call(rbind, res)
rownames(tab) <- names(configs)
cat("\n## CATE simulation (means over seeds", deparse(seeds), ")\n")
print(round(tab, 3))

# robustness to the number of rounds: early stopping chooses T, then fits of T/2 and 2T rounds
if (nzchar(Sys.getenv("CATE_ROUNDS"))) {
  rr <- t(sapply(seeds, function(s) {
    d <- sim(300, s)
    base <- c(list(seed = s, threads = 2, progress = FALSE), eval(parse(text = Sys.getenv("CATE_BASE", "list()"))))
    es_ctl <- if (new_engine) list(nrounds = 3000, early_stopping_rounds = 50)
              else c(rec, nrounds = 3000, validation = 0.2, early_stopping_rounds = 50)
    fit <- suppressWarnings(fit_one(d, do.call(gbmixed_control, c(es_ctl, base))))
    chosen <- fit$nrounds
    mse_at <- function(k) {
      f <- suppressWarnings(fit_one(d, do.call(gbmixed_control, c(if (new_engine) list() else rec,
                                                                  list(nrounds = max(1L, k)), base))))
      score(f, d, s)[["cate_mse"]]
    }
    c(chosen = chosen, mse_chosen = score(fit, d, s)[["cate_mse"]], mse_half = mse_at(chosen %/% 2),
      mse_twice = mse_at(2L * chosen))
  }))
  cat("\n## CATE MSE at the rounds early stopping chose, at half and at twice as many (per seed)\n")
  print(round(rr, 4))
}
