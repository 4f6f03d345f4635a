# gbmixed_save() / gbmixed_load(): a fit in the engine's versioned model file (org.gbmixed.model.ModelFile).

#' Save a fit to a model file, and load it back
#'
#' `gbmixed_save()` writes a fit to a versioned model file that the Java engine reads and writes as well
#' (class `org.gbmixed.model.ModelFile`, described in the package's `java/FACADE.md`): the engine's model, and the
#' R side of the fit (formula, factor levels, cluster names, training data for `fitted()` and `augment()`) as
#' the entry `"r.gbmixed"`. A Java program can read the file, predict from it and write it back unchanged,
#' byte for byte; `gbmixed_load()` then reads that file as well. `saveRDS()` also keeps a fit; the model file
#' is the form to share with Java callers, and it refuses, with a clear message, a file written by a newer
#' version of gbmixed.
#'
#' @param fit a fitted `"gbmixed"` object.
#' @param file path of the file to write or read.
#' @return `gbmixed_save()`: `file`, invisibly. `gbmixed_load()`: the `"gbmixed"` fit, with the same
#'   predictions, random effects and variance components as the one saved.
#' @seealso [gbmixed()]; `saveRDS()` for R-only storage.
#' @export
#' @examples
#' fit <- gbmixed(Reaction ~ Days + (Days | Subject), lme4::sleepstudy,
#'                control = gbmixed_control(nrounds = 30, learning_rate = 0.2, seed = 1))
#' f <- tempfile(fileext = ".gbmixed")
#' gbmixed_save(fit, f)
#' fit2 <- gbmixed_load(f)
#' all.equal(predict(fit), predict(fit2))
gbmixed_save <- function(fit, file) {
  if (!inherits(fit, "gbmixed")) stop_arg("`fit` must be a gbmixed fit, not ", show_value(fit), ".")
  check_file_arg(file)
  if (is.null(fit$model_bytes)) {
    stop_arg("`fit` is a view for prediction (it holds no model bytes); save the fit it came from.")
  }
  r_side <- fit
  r_side$model_bytes <- NULL
  r_side$handle <- NULL
  mf <- jnew("org/gbmixed/model/ModelFile", engine_model(fit))
  mf <- jcall(mf, "Lorg/gbmixed/model/ModelFile;", "with", "r.gbmixed", jarg_raw(serialize(r_side, NULL, xdr = TRUE)))
  mf <- jcall(mf, "Lorg/gbmixed/model/ModelFile;", "with", "gbmixed.version", as.character(utils::packageVersion("gbmixed")))
  bytes <- jcall(mf, "[B", "toBytes")
  con <- tryCatch(file(file, "wb"), error = function(e) stop_arg("cannot write `file` ", show_value(file), ": ",
                                                                conditionMessage(e)))
  on.exit(close(con))
  writeBin(bytes, con)
  invisible(file)
}

#' @rdname gbmixed_save
#' @export
gbmixed_load <- function(file) {
  check_file_arg(file)
  if (!file.exists(file)) stop_arg("`file` ", show_value(file), " does not exist.")
  require_engine()
  bytes <- readBin(file, "raw", file.size(file))
  mf <- jcall("org/gbmixed/model/ModelFile", "Lorg/gbmixed/model/ModelFile;", "fromBytes", jarg_raw(bytes))
  r <- jcall(mf, "[B", "get", "r.gbmixed")
  if (is.null(r)) {
    stop_arg("`file` ", show_value(file), " holds an engine model without the R side of a fit (its formula, ",
             "factor levels and cluster names): it was written by a Java program, not by gbmixed_save(). ",
             "gbmixed_load() reads files written by gbmixed_save(), also after a Java program read and wrote ",
             "them back.")
  }
  fit <- tryCatch(unserialize(r), error = function(e) {
    stop_arg("the R part of `file` ", show_value(file), " is damaged: ", conditionMessage(e))
  })
  if (!inherits(fit, "gbmixed")) stop_arg("the R part of `file` ", show_value(file), " is not a gbmixed fit.")
  model <- jcall(mf, .java_class$model, "model")
  fit$model_bytes <- jcall(model, "[B", "toBytes")
  fit$handle <- new.env(parent = emptyenv())
  fit$handle$model <- model
  fit
}

check_file_arg <- function(file) {
  if (!is.character(file) || length(file) != 1L || is.na(file) || !nzchar(file)) {
    stop_arg("`file` must be a single file path, not ", show_value(file), ".")
  }
}
