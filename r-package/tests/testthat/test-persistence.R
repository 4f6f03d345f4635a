test_that("saveRDS/readRDS in a fresh R session gives identical predictions", {
  d <- sim_clustered(25, 8, seed = 31)
  fit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), d, control = quick_control())
  nd <- rbind(d[c(1, 50, 100), ], transform(d[7, ], id = "new-one"))
  expected <- predict(fit, nd, interval = "prediction", allow.new.levels = TRUE)

  dir <- tempfile("gbmixed-rds")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  fit_file <- file.path(dir, "fit.rds")
  nd_file <- file.path(dir, "newdata.rds")
  out_file <- file.path(dir, "pred.rds")
  saveRDS(fit, fit_file)
  saveRDS(nd, nd_file)
  script <- file.path(dir, "predict.R")
  writeLines(c(
    "suppressPackageStartupMessages(library(gbmixed))",
    sprintf("fit <- readRDS(%s)", deparse(fit_file)),
    sprintf("nd <- readRDS(%s)", deparse(nd_file)),
    "stopifnot(rJava::is.jnull(fit$handle$model))",
    "p <- predict(fit, nd, interval = 'prediction', allow.new.levels = TRUE)",
    sprintf("saveRDS(list(p = p, ranef = ranef(fit), sigma = sigma(fit)), %s)", deparse(out_file))
  ), script)
  libs <- paste(.libPaths(), collapse = .Platform$path.sep)
  status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
                    env = paste0("R_LIBS=", shQuote(libs)), stdout = TRUE, stderr = TRUE)
  expect_null(attr(status, "status"), label = paste(status, collapse = "\n"))
  got <- readRDS(out_file)
  expect_identical(got$p, expected)
  expect_identical(got$ranef, ranef(fit))
  expect_identical(got$sigma, sigma(fit))
})

test_that("a deserialised object with a null Java handle is rebuilt from its bytes in the same session", {
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = quick_control())
  f <- tempfile(fileext = ".rds")
  on.exit(unlink(f))
  saveRDS(fit, f)
  fit2 <- readRDS(f)
  expect_true(rJava::is.jnull(fit2$handle$model))
  expect_identical(predict(fit2, sleep[1:20, ], interval = "prediction"),
                   predict(fit, sleep[1:20, ], interval = "prediction"))
  expect_false(rJava::is.jnull(fit2$handle$model))
})

test_that("set.seed() reproduces a fit when seed = NULL; the seed is recorded", {
  d <- sim_clustered(20, 10, seed = 41)
  ctl <- gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf = 10, progress = FALSE)
  set.seed(123)
  fit1 <- gbmixed(y ~ x1 + x2 + (1 | id), d, control = ctl)
  set.seed(123)
  fit2 <- gbmixed(y ~ x1 + x2 + (1 | id), d, control = ctl)
  set.seed(123)
  expect_identical(fit1$seed, sample.int(.Machine$integer.max, 1L))
  expect_identical(fit1$seed, fit2$seed)
  expect_identical(fitted(fit1), fitted(fit2))
  expect_identical(fit1$model_bytes, fit2$model_bytes)
  # an explicit seed gives the same fit as the recorded one
  fit3 <- gbmixed(y ~ x1 + x2 + (1 | id), d,
                  control = gbmixed_control(nrounds = 40, learning_rate = 0.1, min_leaf = 10,
                                            seed = fit1$seed, progress = FALSE))
  expect_identical(fitted(fit3), fitted(fit1))
})
