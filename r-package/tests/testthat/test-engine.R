test_that("the Java engine is loaded and reports its version", {
  expect_null(gbmixed:::.engine$problem)
  v <- gbmixed:::engine_version()
  expect_type(v, "character")
  expect_true(nzchar(v))
  expect_identical(gbmixed:::java_major_version("17"), 17)
  expect_identical(gbmixed:::java_major_version("1.8"), 8)
  expect_true(is.na(gbmixed:::java_major_version(NA_character_)))
})

test_that("Java exceptions become R errors without the Java class prefix", {
  # bypass R's validation to reach the engine's own check
  ctl <- gbmixed_control(progress = FALSE)
  ctl$learning_rate <- 2
  err <- tryCatch(gbmixed:::make_config(ctl, 1, nclusters = 18), error = function(e) e)
  expect_s3_class(err, "gbmixed_engine_error")
  expect_match(conditionMessage(err), "learning_rate")
  expect_false(grepl("java\\.lang|Exception", conditionMessage(err)))
  err <- tryCatch(
    gbmixed:::jcall(gbmixed:::.java_class$gbmixed, gbmixed:::.java_class$model, "fromBytes",
                    gbmixed:::jarg_raw(as.raw(1:20))),
    error = function(e) e)
  expect_s3_class(err, "gbmixed_engine_error")
  expect_match(conditionMessage(err), "not a serialised gbmixed model")
})

test_that("verbose reports the loss as messages and progress draws a bar", {
  msgs <- capture_messages(
    gbmixed(Reaction ~ Days + (1 | Subject), sleep,
            control = gbmixed_control(nrounds = 60, seed = 1, verbose = TRUE, progress = FALSE))
  )
  # one message per chunk of rounds (a chunk takes about 0.25 s, at most 50 rounds)
  expect_gte(length(msgs), 2L)
  expect_match(msgs, "^round +[0-9]+ +training loss [0-9.]+", all = TRUE)
  expect_match(msgs[length(msgs)], "round +60 ")
  rounds <- as.integer(sub("^round +([0-9]+) .*", "\\1", msgs))
  expect_true(all(diff(rounds) > 0))
  # the bar appears only for fits projected to take longer than getOption("gbmixed.progress_after", 2) s
  expect_silent(
    gbmixed(Reaction ~ Days + (1 | Subject), sleep, control = gbmixed_control(nrounds = 10, seed = 1,
                                                                              progress = TRUE))
  )
  old <- options(gbmixed.progress_after = 0)
  on.exit(options(old), add = TRUE)
  expect_output(
    gbmixed(Reaction ~ Days + (1 | Subject), sleep, control = gbmixed_control(nrounds = 10, seed = 1,
                                                                              progress = TRUE)),
    "100%"
  )
})

test_that("threads do not change the fit", {
  d <- sim_clustered(30, 10, seed = 51)
  f1 <- gbmixed(y ~ x1 + x2 + (1 + t | id), d, control = quick_control(threads = 1))
  f2 <- gbmixed(y ~ x1 + x2 + (1 + t | id), d, control = quick_control(threads = 2))
  expect_equal(fitted(f1), fitted(f2), tolerance = 1e-12)
})
