# gbmixed_sitrep(): what a fit runs on, and advice about the Java heap.

test_that("gbmixed_sitrep() reports versions, heap, BLAS and threads", {
  s <- gbmixed_sitrep()
  expect_s3_class(s, "gbmixed_sitrep")
  expect_null(s$problem)
  expect_identical(s$package_version, as.character(packageVersion("gbmixed")))
  expect_identical(s$engine_version, rJava::.jcall("org/gbmixed/GBMixed", "S", "version"))
  expect_match(s$java_version, "^[0-9]+")
  expect_true(nzchar(s$java_vendor))
  expect_gt(s$heap_max, 0)
  expect_gt(s$heap_used, 0)
  expect_lte(s$heap_used, s$heap_total)
  expect_identical(s$blas, "none (pure Java kernels)")
  expect_identical(s$threads_default, s$processors)
  expect_gte(s$processors, 1L)
  out <- capture.output(print(s))
  expect_match(out, "gbmixed situation report", all = FALSE)
  expect_match(out, "BLAS: +none \\(pure Java kernels\\)", all = FALSE)
  expect_match(out, "heap: +[0-9.]+ [MG]B max", all = FALSE)
  expect_match(out, "threads: +[0-9]+ by default", all = FALSE)
})

test_that("heap advice: a small heap, and an -Xmx option set after Java started", {
  expect_identical(gbmixed:::requested_heap("-Xmx4g"), 4 * 2^30)
  expect_identical(gbmixed:::requested_heap(c("-Xss2m", "-Xmx512m")), 512 * 2^20)
  expect_true(is.na(gbmixed:::requested_heap(NULL)))
  expect_true(is.na(gbmixed:::requested_heap("--enable-native-access=ALL-UNNAMED")))
  # rJava's default, honoured: small heap
  a <- gbmixed:::heap_advice(512 * 2^20 * 0.96, 512 * 2^20)
  expect_match(a, "the Java heap is 492 MB, enough for data of about.*options\\(java.parameters = \"-Xmx4g\"\\)")
  # asked for 4 GB, got 512 MB: Java was started by someone else first
  b <- gbmixed:::heap_advice(512 * 2^20, 4 * 2^30)
  expect_match(b, "asks for a 4.0 GB heap, but the running Java has 512 MB.*started before the option was set")
  expect_match(b, "\"-Xmx4g\"")
  expect_length(gbmixed:::heap_advice(4 * 2^30, 4 * 2^30), 0L)
  expect_length(gbmixed:::heap_advice(6 * 2^30, NA), 0L)
  s <- gbmixed_sitrep()
  s$advice <- b
  expect_output(print(s), "Note: java.parameters asks for a 4.0 GB heap")
})
