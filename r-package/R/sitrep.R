#' Situation report: the gbmixed engine and its Java environment
#'
#' Reports what a fit will run on: the package and engine versions, the Java version and vendor, the Java
#' heap (its maximum and the part in use), the linear algebra (the engine uses no BLAS: its kernels are pure
#' Java), and the number of threads a fit uses by default. Use it when a fit is slow or runs out of memory,
#' and when reporting a problem.
#'
#' **The Java heap** is fixed when the Java virtual machine starts, which happens once per R session, when the
#' first package that uses rJava is loaded: the size set by `options(java.parameters = "-Xmx4g")` (for 4 GB)
#' if that was set before, otherwise rJava's default of 512 MB or, when gbmixed itself starts Java before rJava
#' set that default, Java's own default of a quarter of the physical memory. If another package started Java first, a
#' later setting has no effect: set the option at the top of the script (or in `.Rprofile`), before loading
#' any package, in a fresh R session. The report says when the heap is small, and when the option asks for
#' more than the running machine has (the sign that Java was started before the option was set).
#'
#' @return An object of class `"gbmixed_sitrep"`: a list with `package_version`, `engine_version`,
#'   `java_version`, `java_vendor`, `java_vm`, `heap_max`, `heap_used` and `heap_total` (bytes), `jvm_xmx`
#'   (the `-Xmx` option Java was started with, `NA` for Java's default of a quarter of the memory), `blas`,
#'   `processors`, `threads_default`, `java_parameters` (the R option), `heap_requested` (bytes asked for by
#'   `-Xmx` in the option, or `NA`), `advice` (character, empty when all is well) and `problem` (why the
#'   engine is not usable, or `NULL`); printed as a short report.
#' @seealso [gbmixed_control()] (`threads`)
#' @export
#' @examples
#' gbmixed_sitrep()
gbmixed_sitrep <- function() {
  out <- list(
    package_version = as.character(utils::packageVersion("gbmixed")),
    engine_version = NA_character_, java_version = NA_character_, java_vendor = NA_character_,
    java_vm = NA_character_, heap_max = NA_real_, heap_used = NA_real_, heap_total = NA_real_,
    blas = "none (pure Java kernels)", processors = NA_integer_, threads_default = NA_integer_,
    java_parameters = getOption("java.parameters"), jvm_xmx = NA_character_,
    heap_requested = requested_heap(getOption("java.parameters")),
    advice = character(0), problem = .engine$problem
  )
  if (is.null(out$problem)) {
    prop <- function(name) jcall("java/lang/System", "S", "getProperty", name)
    rt <- jcall("java/lang/Runtime", "Ljava/lang/Runtime;", "getRuntime")
    out$engine_version <- engine_version()
    out$java_version <- prop("java.version")
    out$java_vendor <- prop("java.vendor")
    out$java_vm <- paste(prop("java.vm.name"), prop("java.vm.version"))
    out$heap_max <- jcall(rt, "J", "maxMemory")
    out$heap_total <- jcall(rt, "J", "totalMemory")
    out$heap_used <- out$heap_total - jcall(rt, "J", "freeMemory")
    out$jvm_xmx <- jvm_xmx()
    out$processors <- jcall(rt, "I", "availableProcessors")
    out$threads_default <- out$processors
    out$advice <- heap_advice(out$heap_max, out$heap_requested)
  }
  structure(out, class = "gbmixed_sitrep")
}

# The -Xmx option the running JVM was started with, or NA (then the heap is the JVM's default, a quarter of
# the physical memory): tells apart a heap set by us, by another package and by Java itself.
jvm_xmx <- function() {
  tryCatch({
    mx <- jcall("java/lang/management/ManagementFactory", "Ljava/lang/management/RuntimeMXBean;",
                "getRuntimeMXBean")
    args <- jcall(jcall(mx, "Ljava/util/List;", "getInputArguments"), "S", "toString")
    x <- regmatches(args, regexpr("-Xmx[0-9]+[kKmMgGtT]?", args))
    if (length(x)) x else NA_character_
  }, error = function(e) NA_character_)
}

# Bytes asked for by an -Xmx entry of java.parameters (e.g. "-Xmx4g"), NA if none.
requested_heap <- function(params) {
  x <- grep("^-Xmx[0-9]+[kKmMgGtT]?$", params, value = TRUE)
  if (!length(x)) return(NA_real_)
  x <- x[length(x)]
  num <- as.numeric(sub("^-Xmx([0-9]+).*$", "\\1", x))
  unit <- tolower(sub("^-Xmx[0-9]+", "", x))
  num * switch(unit, k = 2^10, m = 2^20, g = 2^30, t = 2^40, 1)
}

# What to do about the heap, if anything. `small`: below this many bytes the heap is likely too small for
# data of more than a few hundred thousand rows.
heap_advice <- function(heap_max, requested, small = 1 * 2^30) {
  if (is.na(heap_max)) return(character(0))
  # the JVM reports a little less than -Xmx (one survivor space): allow 15%
  if (!is.na(requested) && heap_max < 0.85 * requested) {
    return(paste0(
      "java.parameters asks for a ", format_bytes(requested), " heap, but the running Java has ",
      format_bytes(heap_max), ": Java was started before the option was set (probably by another package ",
      "using rJava, loaded first), so it had no effect. Start a fresh R session and call ",
      "options(java.parameters = \"-Xmx", round(requested / 2^30), "g\") before loading any package."
    ))
  }
  if (heap_max < small) {
    return(paste0(
      "the Java heap is ", format_bytes(heap_max), ", enough for data of about ",
      "a few hundred thousand rows. For more, start a fresh R session and call ",
      "options(java.parameters = \"-Xmx4g\") before loading gbmixed or any other package using rJava."
    ))
  }
  character(0)
}

format_bytes <- function(b) {
  if (is.na(b)) return("unknown")
  if (b >= 2^30) sprintf("%.1f GB", b / 2^30) else sprintf("%.0f MB", b / 2^20)
}

#' @export
print.gbmixed_sitrep <- function(x, ...) {
  check_dots(...)
  cat("gbmixed situation report\n")
  line <- function(name, value) cat(sprintf(" %-16s %s\n", paste0(name, ":"), value))
  line("package", x$package_version)
  if (!is.null(x$problem)) {
    line("engine", paste0("NOT USABLE: ", x$problem))
    return(invisible(x))
  }
  line("engine", x$engine_version)
  line("Java", paste0(x$java_version, " (", x$java_vendor, "; ", x$java_vm, ")"))
  origin <- if (is.na(x$jvm_xmx)) "Java's default, a quarter of the memory" else paste("Java started with", x$jvm_xmx)
  line("heap", paste0(format_bytes(x$heap_max), " max (", origin, "), ", format_bytes(x$heap_used), " in use"))
  line("BLAS", x$blas)
  line("threads", paste0(x$threads_default, " by default (all ", x$processors,
                         " available processors; set `threads` in gbmixed_control())"))
  for (a in x$advice) cat("\nNote: ", a, "\n", sep = "")
  invisible(x)
}
