# Run the R test suite (r-package/tests/testthat) against the INSTALLED gbmixed package.
# Usage: Rscript tools/test.R [test dir]
# Prints testthat's progress table, then one closing line "testthat: N passed, N failed, N skipped"
# (failed counts failed expectations and tests that errored); exits 1 on any failure or when nothing ran.
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "r-package/tests/testthat"
Sys.setenv(NOT_CRAN = "true")   # run everything, skip_on_cran() included, as devtools::test() does
suppressPackageStartupMessages(library(testthat))

res <- tryCatch(
  test_dir(path, package = "gbmixed", load_package = "installed",
           reporter = ProgressReporter$new(show_praise = FALSE, max_failures = Inf, update_interval = Inf),
           stop_on_failure = FALSE, stop_on_warning = FALSE),
  error = function(e) {
    message("tools/test.R: the test run itself failed: ", conditionMessage(e))
    NULL
  })

count <- function(cls) {
  sum(vapply(res, function(t) sum(vapply(t$results, function(r) inherits(r, cls), TRUE)), 0))
}
passed  <- if (is.null(res)) 0 else count("expectation_success")
failed  <- if (is.null(res)) 1 else count("expectation_failure") + count("expectation_error")
skipped <- if (is.null(res)) 0 else count("expectation_skip")
cat(sprintf("testthat: %d passed, %d failed, %d skipped\n", passed, failed, skipped))
if (failed > 0 || passed == 0) quit(status = 1)
