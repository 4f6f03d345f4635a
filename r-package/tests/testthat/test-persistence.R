# Runs an R script in a fresh R session (Rscript --vanilla, this session's libraries) and expects it to succeed.
expect_fresh_r <- function(script) {
  libs <- paste(.libPaths(), collapse = .Platform$path.sep)
  status <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", shQuote(script)),
                    env = paste0("R_LIBS=", shQuote(libs)), stdout = TRUE, stderr = TRUE)
  expect_null(attr(status, "status"), label = paste(status, collapse = "\n"))
}

# A fit on sim_clustered(25, 8, seed) (more model arguments in ...), rows of three known clusters and of a new one,
# and their prediction intervals: what the saved fit must reproduce.
persisted_case <- function(seed, ...) {
  d <- sim_clustered(25, 8, seed = seed)
  fit <- gbmixed(y ~ x1 + x2 + g + (1 + t | id), d, ..., control = quick_control())
  nd <- rbind(d[c(1, 50, 100), ], transform(d[7, ], id = "new-one"))
  list(fit = fit, nd = nd, expected = predict(fit, nd, interval = "prediction", allow.new.levels = TRUE))
}

# A new temporary directory, removed when the calling test (env) ends.
temp_dir <- function(prefix, env = parent.frame()) {
  dir <- tempfile(prefix)
  dir.create(dir)
  do.call(on.exit, list(substitute(unlink(dir, recursive = TRUE), list(dir = dir)), add = TRUE), envir = env)
  dir
}

test_that("saveRDS/readRDS in a fresh R session gives identical predictions", {
  case <- persisted_case(31)
  fit <- case$fit
  nd <- case$nd
  expected <- case$expected
  dir <- temp_dir("gbmixed-rds")
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
  expect_fresh_r(script)
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

test_that("gbmixed_save()/gbmixed_load() keep a fit in the engine's model file, in a fresh session too", {
  case <- persisted_case(32, dispformula = ~ x2)
  fit <- case$fit
  nd <- case$nd
  expected <- case$expected
  dir <- temp_dir("gbmixed-file")
  f <- file.path(dir, "fit.gbmixed")
  expect_identical(gbmixed_save(fit, f), f)
  # the file's layout: "GBMF", version 1, then the model's own bytes ("GBMX", its format)
  bytes <- readBin(f, "raw", file.size(f))
  expect_identical(rawToChar(bytes[1:4]), "GBMF")
  expect_identical(readBin(bytes[5:8], "integer", endian = "big"), 1L)
  n <- readBin(bytes[9:12], "integer", endian = "big")
  expect_identical(bytes[12L + seq_len(n)], fit$model_bytes)
  # loaded in this session
  fit2 <- gbmixed_load(f)
  expect_s3_class(fit2, "gbmixed")
  expect_identical(predict(fit2, nd, interval = "prediction", allow.new.levels = TRUE), expected)
  expect_identical(ranef(fit2), ranef(fit))
  expect_identical(VarCorr(fit2), VarCorr(fit))
  expect_identical(fitted(fit2), fitted(fit))
  expect_identical(fit2$model_bytes, fit$model_bytes)
  # and in a fresh R session
  out <- file.path(dir, "pred.rds")
  script <- file.path(dir, "load.R")
  writeLines(c(
    "suppressPackageStartupMessages(library(gbmixed))",
    sprintf("fit <- gbmixed_load(%s)", deparse(f)),
    sprintf("nd <- readRDS(%s)", deparse(file.path(dir, "nd.rds"))),
    sprintf("saveRDS(predict(fit, nd, interval = 'prediction', allow.new.levels = TRUE), %s)", deparse(out))
  ), script)
  saveRDS(nd, file.path(dir, "nd.rds"))
  expect_fresh_r(script)
  expect_identical(readRDS(out), expected)
})

test_that("a Java caller reads and writes the same bytes; newer and foreign files are refused clearly", {
  fit <- gbmixed(Reaction ~ Days + (Days | Subject), sleep, control = quick_control())
  dir <- temp_dir("gbmixed-java")
  f <- file.path(dir, "a.gbmixed")
  g <- file.path(dir, "b.gbmixed")
  gbmixed_save(fit, f)
  # what a Java program does: ModelFile.read(path).write(other)
  mf <- rJava::.jcall("org/gbmixed/model/ModelFile", "Lorg/gbmixed/model/ModelFile;", "read", f)
  expect_identical(rJava::.jcall(mf, "[Ljava/lang/String;", "keys"), c("r.gbmixed", "gbmixed.version"))
  expect_identical(rJava::.jcall(mf, "S", "getString", "gbmixed.version"),
                   as.character(utils::packageVersion("gbmixed")))
  rJava::.jcall(mf, "V", "write", g)
  expect_identical(readBin(g, "raw", file.size(g)), readBin(f, "raw", file.size(f)))
  expect_identical(predict(gbmixed_load(g)), predict(fit))

  # a newer file version, and a newer model format inside
  bytes <- readBin(f, "raw", file.size(f))
  newer <- bytes
  newer[5:8] <- writeBin(2L, raw(), endian = "big")
  writeBin(newer, g)
  expect_error(gbmixed_load(g), "version 2 was written by a newer gbmixed.*reads versions up to 1: update gbmixed",
               class = "gbmixed_engine_error")
  newer <- bytes
  newer[17:20] <- writeBin(99L, raw(), endian = "big")
  writeBin(newer, g)
  expect_error(gbmixed_load(g), "model format 99 was written by a newer gbmixed")
  # an engine model written by Java without the R side
  model <- rJava::.jcall(mf, "Lorg/gbmixed/model/Model;", "model")
  bare <- rJava::.jnew("org/gbmixed/model/ModelFile", model)
  rJava::.jcall(bare, "V", "write", g)
  expect_error(gbmixed_load(g), "holds an engine model without the R side of a fit.*written by a Java program")
  # not a model file, truncated, missing, bad arguments
  writeLines("hello", g)
  expect_error(gbmixed_load(g), "not a gbmixed model file")
  writeBin(bytes[1:(length(bytes) - 5L)], g)
  expect_error(gbmixed_load(g), "corrupt or truncated")
  expect_error(gbmixed_load(file.path(dir, "none.gbmixed")), "does not exist")
  expect_error(gbmixed_load(c("a", "b")), "`file` must be a single file path")
  expect_error(gbmixed_save(lm(Reaction ~ Days, sleep), g), "`fit` must be a gbmixed fit")
  expect_error(gbmixed_save(fit, NA_character_), "`file` must be a single file path")
})
