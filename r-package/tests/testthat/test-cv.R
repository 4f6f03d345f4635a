# cv_gbmixed(): folds of clusters, the loss curves, user-given folds, print and plot.

cv_data <- sim_clustered(24, 6, seed = 81)
cv_ctl <- gbmixed_control(nrounds = 40, learning_rate = 0.2, min_leaf = 10, seed = 4, progress = FALSE)
cv <- cv_gbmixed(y ~ x1 + x2 + (1 + t | id), cv_data, nfolds = 3, control = cv_ctl)

test_that("cv_gbmixed() returns the mean and sd curves, per-fold curves and the best nrounds", {
  expect_s3_class(cv, "cv_gbmixed")
  expect_identical(cv$nfolds, 3L)
  expect_named(cv$loss, c("round", "mean", "sd", "train"))
  expect_identical(cv$loss$round, 0:40)
  expect_identical(dim(cv$fold_loss), c(41L, 3L))
  expect_equal(cv$loss$mean, rowMeans(cv$fold_loss))
  expect_equal(cv$loss$sd, apply(cv$fold_loss, 1, sd))
  expect_identical(cv$best_nrounds, which.min(cv$loss$mean) - 1L)
  expect_identical(cv$best_loss, min(cv$loss$mean))
  # folds are whole clusters, disjoint, covering every cluster; 8 clusters of 6 rows each
  expect_setequal(unlist(cv$folds), levels(cv_data$id))
  expect_identical(lengths(cv$folds), c(8L, 8L, 8L))
  expect_identical(cv$fold_nobs, c(48L, 48L, 48L))
  # the loss falls from round 0
  expect_lt(cv$best_loss, cv$loss$mean[1])
})

test_that("each fold's curve is the validation loss of a fit on the other folds", {
  held <- cv_data$id %in% cv$folds[[2]]
  fit <- gbmixed(y ~ x1 + x2 + (1 + t | id), droplevels(cv_data[!held, ]), validation_data = cv_data[held, ],
                 control = cv_ctl)
  expect_equal(cv$fold_loss[, 2], fit$valid_loss / sum(held), tolerance = 1e-10)
  expect_equal(cv$fold_train_loss[, 2], fit$loss / sum(!held), tolerance = 1e-10)
})

test_that("folds are reproducible from the seed, or from set.seed() when seed = NULL", {
  again <- cv_gbmixed(y ~ x1 + x2 + (1 + t | id), cv_data, nfolds = 3, control = cv_ctl)
  expect_identical(again$folds, cv$folds)
  expect_identical(again$fold_loss, cv$fold_loss)
  ctl <- gbmixed_control(nrounds = 5, progress = FALSE)
  set.seed(3)
  a <- cv_gbmixed(y ~ x1 + (1 | id), cv_data, nfolds = 4, control = ctl)
  set.seed(3)
  b <- cv_gbmixed(y ~ x1 + (1 | id), cv_data, nfolds = 4, control = ctl)
  expect_identical(a$folds, b$folds)
  expect_identical(a$fold_loss, b$fold_loss)
})

test_that("user folds: a fold id per row or a list of cluster sets", {
  ids <- as.integer(substring(cv_data$id, 2))
  by_row <- cv_gbmixed(y ~ x1 + (1 | id), cv_data, folds = ifelse(ids <= 12, "a", "b"),
                       control = gbmixed_control(nrounds = 10, seed = 1, progress = FALSE))
  expect_identical(by_row$nfolds, 2L)
  expect_setequal(by_row$folds[[1]], paste0("c", 1:12))
  by_list <- cv_gbmixed(y ~ x1 + (1 | id), cv_data, folds = list(paste0("c", 1:12), paste0("c", 13:24)),
                        control = gbmixed_control(nrounds = 10, seed = 1, progress = FALSE))
  expect_identical(by_list$fold_loss, by_row$fold_loss)
  # clusters in no fold are always trained on
  part <- cv_gbmixed(y ~ x1 + (1 | id), cv_data, folds = list(c("c1", "c2"), c("c3", "c4")),
                     control = gbmixed_control(nrounds = 3, seed = 1, progress = FALSE))
  expect_identical(part$fold_nobs, c(12L, 12L))
})

test_that("bad folds and arguments are refused with a message naming them", {
  f <- y ~ x1 + (1 | id)
  ctl <- gbmixed_control(nrounds = 3, seed = 1, progress = FALSE)
  expect_error(cv_gbmixed(f, cv_data, nfolds = 1, control = ctl),
               "`nfolds` must be a single whole number between 2 and 24")
  expect_error(cv_gbmixed(f, cv_data, nfolds = 25, control = ctl), "`nfolds`.*between 2 and 24")
  expect_error(cv_gbmixed(f, cv_data, folds = rep(1:2, length.out = nrow(cv_data)), control = ctl),
               "`folds` must be constant within each cluster of `id`; it varies within 24")
  expect_error(cv_gbmixed(f, cv_data, folds = 1:3, control = ctl), "one value per row of `data` \\(144\\)")
  expect_error(cv_gbmixed(f, cv_data, folds = list(c("c1", "zz"), "c2"), control = ctl),
               "`folds` names 1 level of `id` not in `data`: \"zz\"")
  expect_error(cv_gbmixed(f, cv_data, folds = list(c("c1", "c2"), "c2"), control = ctl), "disjoint.*\"c2\"")
  expect_error(cv_gbmixed(f, cv_data, folds = list(levels(cv_data$id)), control = ctl), "at least 2 sets")
  expect_error(cv_gbmixed(f, cv_data, folds = list(levels(cv_data$id)[-1], "c1"), control = ctl),
               "fold 1 leaves 1 cluster of `id` to train on")
  expect_error(cv_gbmixed(f, cv_data, control = gbmixed_control(validation = 0.2)), "leave `validation` at 0")
  expect_error(cv_gbmixed(f, cv_data, nrounds = 10), "passes only .*not `nrounds`")
  expect_error(cv_gbmixed(f, cv_data, 3), "an unnamed argument")
})

test_that("print and plot methods work; early stopping per fold truncates the mean curve", {
  expect_output(print(cv), "3-fold cross-validation of a gbmixed model \\(folds of clusters of id\\)")
  expect_output(print(cv), paste0("Best nrounds: ", cv$best_nrounds))
  pdf(NULL)
  on.exit(dev.off(), add = TRUE)
  expect_identical(plot(cv), cv)
  expect_silent(plot(cv, train = TRUE, main = "custom"))
  es <- cv_gbmixed(y ~ x1 + x2 + (1 + t | id), cv_data, nfolds = 3,
                   control = gbmixed_control(nrounds = 200, learning_rate = 0.5, min_leaf = 10, seed = 4,
                                             early_stopping_rounds = 3, progress = FALSE))
  runs <- colSums(!is.na(es$fold_loss))
  expect_true(all(runs < 201))
  expect_equal(sum(!is.na(es$loss$mean)), min(runs))
  expect_silent(plot(es))
})

test_that("cv passes dispformula, weights and treatment on to the fits", {
  d <- cv_data
  d$wt <- rep(c(1, 2), length.out = nrow(d))
  r <- cv_gbmixed(y ~ x1 + x2 + (1 | id), d, dispformula = ~ x2, weights = "wt", nfolds = 2,
                  control = gbmixed_control(nrounds = 5, seed = 1, progress = FALSE))
  expect_true(all(is.finite(r$fold_loss)))
  r2 <- cv_gbmixed(y ~ x1 + x2 + (1 | id), d, dispformula = ~ x2, weights = d$wt, nfolds = 2,
                   control = gbmixed_control(nrounds = 5, seed = 1, progress = FALSE))
  expect_identical(r2$fold_loss, r$fold_loss)
})
