# The one door to the Java engine. Every call into Java goes through jcall(), so every Java exception
# becomes a plain R error whose message is the engine's own message (no "java.lang.X:" prefix).

# Java class names used by the package (JNI notation).
.java_class <- list(
  gbmixed = "org/gbmixed/GBMixed",
  builder = "org/gbmixed/Config$Builder",
  config  = "Lorg/gbmixed/Config;",
  booster = "Lorg/gbmixed/boosting/Booster;",
  model   = "Lorg/gbmixed/model/Model;",
  builder_sig = "Lorg/gbmixed/Config$Builder;"
)

#' Call a Java method, turning Java exceptions into clean R errors
#'
#' @param obj a `jobjRef` or a class name (for static methods).
#' @param returnSig JNI return signature, e.g. `"D"`, `"[D"`, `"Lorg/gbmixed/model/Model;"`.
#' @param method method name.
#' @param ... arguments, already converted with [jarg_dbl()], [jarg_int()], ...
#' @param call the call to report in the error (default none: the engine's message says what is wrong).
#' @return the value returned by Java.
#' @noRd
jcall <- function(obj, returnSig, method, ..., call = NULL) {
  tryCatch(
    rJava::.jcall(obj, returnSig, method, ...),
    Throwable = function(e) stop(java_error(e, call))
  )
}

#' Create a Java object through the same error translation as jcall()
#' @noRd
jnew <- function(class, ..., call = NULL) {
  tryCatch(
    rJava::.jnew(class, ...),
    Throwable = function(e) stop(java_error(e, call))
  )
}

# Build an R error condition from a Java exception condition raised by rJava.
java_error <- function(e, call = NULL) {
  msg <- tryCatch(rJava::.jcall(e$jobj, "S", "getMessage"), error = function(e2) NULL)
  if (is.null(msg) || !nzchar(msg)) {
    # no message from Java: fall back to rJava's text without the class prefix
    msg <- sub("^[[:alnum:]_.$]+: ", "", conditionMessage(e))
  }
  if (inherits(e, "OutOfMemoryError")) {
    msg <- paste0(
      "the Java engine ran out of memory (", msg, "). Increase the Java heap by setting ",
      "options(java.parameters = \"-Xmx4g\") before gbmixed (or any other rJava package) is loaded, ",
      "in a fresh R session."
    )
  }
  structure(
    class = c("gbmixed_engine_error", "error", "condition"),
    list(message = msg, call = call)
  )
}

# ---- argument conversion: R values to the primitive Java types the facade expects ----

# double[] (a length-1 R numeric would otherwise reach Java as a double)
jarg_dbl <- function(x) rJava::.jarray(as.double(x))

# int[]
jarg_int <- function(x) rJava::.jarray(as.integer(x))

# byte[]
jarg_raw <- function(x) rJava::.jarray(as.raw(x))

# scalar int, checked to be representable
jarg_int1 <- function(x) {
  x <- as.double(x)
  if (length(x) != 1L || is.na(x) || abs(x) > .Machine$integer.max || x != round(x)) {
    stop("internal error: value is not a single integer for Java", call. = FALSE)
  }
  as.integer(x)
}

# scalar long
jarg_long <- function(x) rJava::.jlong(as.double(x))

# ---- engine-level helpers ----

# Version string of the loaded engine.
engine_version <- function() jcall(.java_class$gbmixed, "S", "version")

# Maximum heap size of the running JVM, in bytes.
java_max_memory <- function() {
  rt <- jcall("java/lang/Runtime", "Ljava/lang/Runtime;", "getRuntime")
  jcall(rt, "J", "maxMemory")
}
