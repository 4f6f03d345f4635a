# Calibration of 90% prediction intervals on heteroscedastic clustered data (fixed seeds):
#   y = 2 sin(2 x1) + b_i + e,  e ~ N(0, R(x)),  log R(x) = -1 + 2.4 x2  (x2 in (-1, 1): a factor 120),
#   b_i ~ N(0, G(w_i)),  log G(w) = 1.2 w  (w in (-1, 1): a factor 11).
# 600 training clusters of 10 rows; held out: 5 more rows of each training cluster (3000 rows of existing
# clusters) and 800 new clusters of 5 rows (4000 rows). Coverage is checked overall and within the thirds of
# x2 with the lowest and highest residual variance. GRBoost must cover 87-93% everywhere; Base, with constant
# variances, cannot (its intervals are too wide where R(x) is small and too narrow where it is large).

sim_hetero <- function(m, n, seed, prefix) {
  withr_seed(seed, {
    id <- rep(seq_len(m), each = n)
    w <- stats::runif(m, -1, 1)
    x1 <- stats::runif(m * n, -2, 2)
    x2 <- stats::runif(m * n, -1, 1)
    logR <- -1 + 2.4 * x2
    b <- stats::rnorm(m, sd = exp(0.6 * w))
    y <- 2 * sin(2 * x1) + b[id] + stats::rnorm(m * n, sd = exp(logR / 2))
    data.frame(y, x1, x2, w = w[id], id = factor(paste0(prefix, id)),
               third = cut(x2, c(-1, -1 / 3, 1 / 3, 1), labels = c("low", "mid", "high"), include.lowest = TRUE))
  })
}

cal_all <- sim_hetero(600, 15, seed = 1, prefix = "c")
cal_held <- ave(seq_len(nrow(cal_all)), cal_all$id, FUN = seq_along) > 10
cal_test <- cal_all[cal_held, ]
cal_train <- cal_all[!cal_held, ]
cal_new <- sim_hetero(800, 5, seed = 101, prefix = "n")

cal_control <- gbmixed_control(nrounds = 300, learning_rate = 0.05, learning_rate_disp = 0.02,
                               learning_rate_cov = 0.01, max_depth = 3, min_leaf = 20, min_leaf_cov = 40,
                               honest_folds = 3, seed = 3, progress = FALSE)
cal_gr <- gbmixed(y ~ x1 + x2 + (1 | id), cal_train, dispformula = ~ x2, covformula = ~ w,
                  control = cal_control)
cal_base <- gbmixed(y ~ x1 + x2 + (1 | id), cal_train, control = cal_control)

coverage <- function(fit, data, ...) {
  pi <- predict(fit, data, interval = "prediction", level = 0.9, ...)
  inside <- data$y >= pi$lwr & data$y <= pi$upr
  c(all = mean(inside), tapply(inside, data$third, mean))
}

in_band <- function(x) x >= 0.87 & x <= 0.93

test_that("GRBoost's 90% intervals cover 87-93% for existing clusters, overall and in the low/high-R thirds", {
  expect_identical(cal_gr$variant, "GRBoost")
  cov_gr <- coverage(cal_gr, cal_test)
  # measured: all 0.898, low 0.898, mid 0.903, high 0.893
  for (part in c("all", "low", "high")) {
    expect_gte(cov_gr[[part]], 0.87, label = paste("GRBoost coverage,", part))
    expect_lte(cov_gr[[part]], 0.93, label = paste("GRBoost coverage,", part))
  }
})

test_that("GRBoost's 90% intervals cover 87-93% for new clusters, overall and in the low/high-R thirds", {
  cov_gr <- coverage(cal_gr, cal_new, allow.new.levels = TRUE)
  # measured: all 0.893, low 0.886, mid 0.897, high 0.894
  for (part in c("all", "low", "high")) {
    expect_gte(cov_gr[[part]], 0.87, label = paste("GRBoost new-cluster coverage,", part))
    expect_lte(cov_gr[[part]], 0.93, label = paste("GRBoost new-cluster coverage,", part))
  }
})

test_that("Base miscovers the low- and high-variance thirds, for existing and for new clusters", {
  cov_old <- coverage(cal_base, cal_test)
  cov_new <- coverage(cal_base, cal_new, allow.new.levels = TRUE)
  # measured, existing clusters: all 0.901, low 0.999, high 0.735; new clusters: all 0.898, low 0.941, high 0.828
  expect_false(all(in_band(cov_old[c("low", "high")])))
  expect_false(all(in_band(cov_new[c("low", "high")])))
  # and in the expected directions: too wide where R(x) is small, too narrow where it is large
  expect_gt(cov_old[["low"]], 0.93)
  expect_lt(cov_old[["high"]], 0.87)
  expect_lt(cov_new[["high"]], 0.87)
})

test_that("GRBoost's intervals adapt: narrow where R(x) or G(w) is small, wide where large", {
  pi <- predict(cal_gr, cal_new, interval = "prediction", level = 0.9, allow.new.levels = TRUE)
  width <- pi$upr - pi$lwr
  truth <- 2 * stats::qnorm(0.95) * sqrt(exp(-1 + 2.4 * cal_new$x2) + exp(1.2 * cal_new$w))
  # measured: cor 0.954 between fitted and true widths; median ratio 0.996
  expect_gt(stats::cor(width, truth), 0.9)
  expect_equal(stats::median(width / truth), 1, tolerance = 0.05)
})
