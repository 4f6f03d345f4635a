library(testthat)
library(gbmixed)

test_check("gbmixed")
