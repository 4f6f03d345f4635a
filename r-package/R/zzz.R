# Loading the Java engine. A problem found here (no Java 17, jar missing) does not stop the package from
# loading -- documentation tools must still be able to load it -- but is reported when the package is
# attached and raised as an error by the first function that needs the engine.

.engine <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  .engine$problem <- NULL
  params <- getOption("java.parameters")
  if (!any(grepl("enable-native-access", params, fixed = TRUE))) {
    params <- c(params, "--enable-native-access=ALL-UNNAMED")
  }
  ok <- tryCatch({
    rJava::.jpackage(pkgname, lib.loc = libname, parameters = params)
    TRUE
  }, error = function(e) {
    .engine$problem <- paste0("could not start Java through rJava: ", conditionMessage(e))
    FALSE
  })
  if (!ok) return(invisible())
  add_dev_jar(pkgname, libname)
  .engine$problem <- check_java_engine()
  invisible()
}

.onAttach <- function(libname, pkgname) {
  if (!is.null(.engine$problem)) {
    packageStartupMessage("gbmixed: the Java engine is not usable: ", .engine$problem)
  }
}

# When the package is loaded from its source tree (pkgload::load_all(), roxygen2) there is no installed
# inst/java: look for the jar named by GBMIXED_JAR or built by Maven next to the sources.
add_dev_jar <- function(pkgname, libname) {
  if (nzchar(system.file("java", "gbmixed-engine.jar", package = pkgname, lib.loc = libname))) {
    return(invisible(FALSE))
  }
  pkg_path <- tryCatch(getNamespaceInfo(pkgname, "path"), error = function(e) file.path(libname, pkgname))
  candidates <- c(
    Sys.getenv("GBMIXED_JAR"),
    file.path(pkg_path, "inst", "java", "gbmixed-engine.jar"),
    file.path(pkg_path, "..", "inst", "java", "gbmixed-engine.jar"),
    file.path(pkg_path, "..", "target", "gbmixed-engine.jar")
  )
  found <- candidates[nzchar(candidates) & file.exists(candidates)]
  if (length(found)) {
    rJava::.jaddClassPath(normalizePath(found[1L]))
  }
  invisible(length(found) > 0L)
}

# NULL when the engine is usable, otherwise a message saying what is wrong and how to fix it.
check_java_engine <- function() {
  spec <- tryCatch(
    rJava::.jcall("java/lang/System", "S", "getProperty", "java.specification.version"),
    error = function(e) NA_character_
  )
  major <- java_major_version(spec)
  if (is.na(major) || major < 17) {
    return(paste0(
      "gbmixed needs Java 17 or newer, but rJava runs Java ", if (is.na(spec)) "(unknown)" else spec,
      ". Install a JDK >= 17 and run 'R CMD javareconf', then reinstall rJava if needed."
    ))
  }
  found <- tryCatch({
    rJava::.jfindClass("org.gbmixed.GBMixed", silent = FALSE)
    TRUE
  }, error = function(e) conditionMessage(e))
  if (!isTRUE(found)) {
    return(paste0(
      "the engine class org.gbmixed.GBMixed cannot be found or loaded (", found, "). ",
      "The package may have been built without its jar (inst/java/gbmixed-engine.jar); reinstall gbmixed."
    ))
  }
  NULL
}

# "17" -> 17, "1.8" -> 8
java_major_version <- function(spec) {
  if (length(spec) != 1L || is.na(spec)) return(NA_real_)
  parts <- strsplit(spec, ".", fixed = TRUE)[[1L]]
  v <- suppressWarnings(as.numeric(parts[1L]))
  if (!is.na(v) && v == 1 && length(parts) > 1L) v <- suppressWarnings(as.numeric(parts[2L]))
  v
}

# Called by every user-facing function that needs Java.
require_engine <- function() {
  if (!is.null(.engine$problem)) {
    stop("the gbmixed Java engine is not usable: ", .engine$problem, call. = FALSE)
  }
  invisible(TRUE)
}
