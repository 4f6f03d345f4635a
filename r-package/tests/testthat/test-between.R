# Between-cluster (Mundlak) features: the cluster means of the mean's row covariates (factor: level shares).

# A covariate x with a within-cluster effect (-1 per unit) and a different between-cluster effect (+3 per unit
# of the cluster's mean of x), a constant-within-cluster covariate w and a factor g whose share matters:
#   y = -1 (x - xbar_i) + 3 xbar_i + 2 share_i(g = "b") + w + b_i + e,  sd(b) = 0.5, sd(e) = 0.3
sim_between <- function(m, seed, prefix = "c") {
  withr_seed(seed, {
    n <- 8
    id <- rep(seq_len(m), each = n)
    centre <- stats::runif(m, -1, 1)
    x <- centre[id] + stats::rnorm(m * n, sd = 0.5)
    pb <- stats::runif(m)
    g <- factor(ifelse(stats::runif(m * n) < pb[id], "b", "a"), levels = c("a", "b"))
    w <- stats::runif(m)[id]
    d <- data.frame(x, g, w, id = factor(paste0(prefix, id)))
    xbar <- ave(x, id)
    share <- ave(as.numeric(g == "b"), id)
    d$y <- -(x - xbar) + 3 * xbar + 2 * share + w + stats::rnorm(m, sd = 0.5)[id] + stats::rnorm(m * n, sd = 0.3)
    d
  })
}
btrain <- sim_between(150, seed = 1)
btest <- sim_between(150, seed = 2, prefix = "n")
bctl <- function(...) gbmixed_control(nrounds = 150, learning_rate = 0.1, max_depth = 3, min_leaf = 20, seed = 3,
                                      progress = FALSE, ...)
bfit <- gbmixed(y ~ x + g + w + (1 | id), btrain, control = bctl())

test_that("the between columns are the cluster means and level shares, named after their source", {
  expect_identical(names(bfit$features), c("x", "g", "w", "x (cluster mean)", "g = b (cluster share)"))
  # w is constant within clusters: no column of its own
  expect_equal(bfit$x[, 4], ave(btrain$x, btrain$id), tolerance = 1e-12)
  expect_equal(bfit$x[, 5], ave(as.numeric(btrain$g == "b"), btrain$id), tolerance = 1e-12)
  expect_named(importance(bfit), names(bfit$features), ignore.order = TRUE)
  # the between association is what the trees need most here
  expect_gt(importance(bfit)[["x (cluster mean)"]], importance(bfit)[["w"]])
})

test_that("the same fit as with hand-made mean columns; prediction uses training means or newdata's means", {
  hand <- transform(btrain, xm = ave(x, id), gb = ave(as.numeric(g == "b"), id))
  hfit <- gbmixed(y ~ x + g + w + xm + gb + (1 | id), hand, control = bctl(between = FALSE))
  expect_identical(unname(fitted(bfit)), unname(fitted(hfit)))
  # rows of a training cluster get its training means, whatever the newdata rows are
  one <- btrain[btrain$id == "c7", ][1, ]
  one$x <- 5
  one_hand <- transform(one, xm = mean(btrain$x[btrain$id == "c7"]),
                        gb = mean(btrain$g[btrain$id == "c7"] == "b"))
  expect_equal(predict(bfit, one, type = "fixed"), predict(hfit, one_hand, type = "fixed"), tolerance = 1e-12)
  # a new cluster's rows get the means over its rows in newdata
  nd <- btest[btest$id %in% c("n1", "n2"), ]
  nd_hand <- transform(nd, xm = ave(x, id), gb = ave(as.numeric(g == "b"), id))
  expect_equal(predict(bfit, nd, allow.new.levels = TRUE), predict(hfit, nd_hand, allow.new.levels = TRUE),
               tolerance = 1e-12)
  # without the grouping factor (population level), each row is a cluster of its own
  nd1 <- nd[1:3, c("x", "g", "w")]
  nd1_hand <- transform(nd1, xm = x, gb = as.numeric(g == "b"))
  expect_equal(predict(bfit, nd1, re.form = NA), predict(hfit, nd1_hand, re.form = NA), tolerance = 1e-12)
})

test_that("new clusters are predicted better with the between features (fixed seeds, measured)", {
  plain <- gbmixed(y ~ x + g + w + (1 | id), btrain, control = bctl(between = FALSE))
  rmse <- function(f) sqrt(mean((btest$y - predict(f, btest, allow.new.levels = TRUE))^2))
  # measured: 0.76 with, 2.68 without; the true mean scores 0.60 (the sd of b + e for a new cluster is 0.58)
  expect_lt(rmse(bfit), 0.85)
  expect_lt(rmse(bfit), 0.5 * rmse(plain))
})

test_that("between = FALSE, the linear learner's default and partial dependence of a between column", {
  expect_identical(names(gbmixed(y ~ x + g + w + (1 | id), btrain, control = bctl(between = FALSE))$features),
                   c("x", "g", "w"))
  lin <- gbmixed(y ~ x + w + (1 | id), btrain, control = gbmixed_control(learner = "linear", learning_rate = 1,
                                                                          nrounds = 50, progress = FALSE))
  expect_identical(names(lin$features), c("x", "w"))
  pd <- partial_dependence(bfit, "x (cluster mean)", grid = c(-0.8, 0, 0.8))
  expect_identical(nrow(pd), 3L)
  expect_true(all(diff(pd$estimate) > 0))          # the between effect is +3
  expect_error(control <- gbmixed_control(between = NA), "`between` must be TRUE or FALSE")
})
