# The R side of the benchmark: one measurement per R process (run.sh starts a fresh one for each), printed as
# one tab-separated RESULT line with the columns of BenchMain.HEADER. Reads a data file written by
# `BenchMain gen` (so R fits exactly the numbers the Java side fits).
#   Rscript bench.R base   FILE ROUNDS gbm            gbm: n.trees ROUNDS, interaction.depth 6, shrinkage 0.1,
#                                                     bag.fraction 1, n.minobsinnode 20, no cluster column
#   Rscript bench.R base   FILE ROUNDS gbmixed HONEST gbmixed(y ~ . + (1 | id)), lr 0.1, depth 6, 256 bins
#   Rscript bench.R linear FILE ROUNDS gbmixed        learner "linear", learning_rate 1
#   Rscript bench.R linear FILE 0      lmer           lme4::lmer(y ~ x1 + ... + x20 + (1 | id), REML = FALSE)
#   Rscript bench.R versions
# Times are wall-clock seconds of the fitting call alone (data already in a data frame); setup and per-round
# times are not separable from R, so the per-round column is total / rounds.
options(java.parameters = c("-Xmx8g", "--enable-native-access=ALL-UNNAMED"), warn = 1)
args <- commandArgs(trailingOnly = TRUE)

if (args[1] == "versions") {
  cat("R\t", R.version$major, ".", R.version$minor, "\n", sep = "")
  for (p in c("gbm", "lme4", "rJava", "gbmixed"))
    cat(p, "\t", tryCatch(as.character(packageVersion(p)), error = function(e) "not installed"), "\n", sep = "")
  quit(save = "no")
}

read_bench <- function(file) {
  con <- file(file, "rb")
  on.exit(close(con))
  h <- readBin(con, "integer", 3L, size = 4L, endian = "little")
  n <- h[1]; p <- h[2]
  y <- readBin(con, "double", n, endian = "little")
  x <- matrix(readBin(con, "double", n * p, endian = "little"), n, p)
  cl <- readBin(con, "integer", n, size = 4L, endian = "little")
  colnames(x) <- paste0("x", seq_len(p))
  d <- data.frame(y = y, x)
  d$id <- factor(cl)
  d
}

part <- args[1]; file <- args[2]; rounds <- as.integer(args[3]); impl <- args[4]
honest <- if (length(args) >= 5) as.integer(args[5]) else 0L
d <- read_bench(file)
n <- nrow(d)
xs <- paste0("x", 1:20)

# Other processes' share of the machine while the fit ran (percent; see CpuWatch.java): machine busy time from
# /proc/stat minus this process's CPU time (R and the JVM inside it), over wall time x cores.
machine_busy <- function() {
  f <- tryCatch(as.numeric(strsplit(trimws(readLines("/proc/stat", n = 1L)), "[[:space:]]+")[[1]][2:9]),
                error = function(e) rep(NA_real_, 8))
  (sum(f) - f[4] - f[5]) / 100
}
own_cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
cores <- parallel::detectCores()
clock <- new.env()

elapsed <- function(expr) {
  gc()
  clock$busy <- machine_busy(); clock$cpu <- own_cpu()
  t0 <- proc.time()[["elapsed"]]
  force(expr)
  t <- proc.time()[["elapsed"]] - t0
  clock$others <- max(0, 100 * ((machine_busy() - clock$busy) - (own_cpu() - clock$cpu)) / (t * cores))
  t
}

emit <- function(setting, total, rounds, note = "") {
  per <- if (rounds > 0) sprintf("%.4f", total / rounds) else "NA"
  cat(sprintf("RESULT\t%s\tR\t%s\t%s\t%d\t%d\tNA\tNA\t%s\t%.3f\tNA\tNA\tNA\t%.0f\t%s\n",
              part, impl, setting, n, rounds, per, total, clock$others, note))
}

if (part == "base" && impl == "gbm") {
  suppressPackageStartupMessages(library(gbm))
  dx <- d[, c("y", xs)]
  fit <- NULL
  t <- elapsed(fit <- gbm::gbm(y ~ ., data = dx, distribution = "gaussian", n.trees = rounds,
                               interaction.depth = 6, shrinkage = 0.1, bag.fraction = 1, train.fraction = 1,
                               n.minobsinnode = 20, keep.data = FALSE, verbose = FALSE, n.cores = 1))
  rmse <- sqrt(mean((d$y - fit$fit)^2))
  emit("depth 6, bag.fraction 1", t, rounds, sprintf("rmse(y)=%.3f (no random effect)", rmse))
} else if (part == "base" && impl == "gbmixed") {
  suppressPackageStartupMessages(library(gbmixed))
  fit <- NULL
  ctl <- gbmixed_control(nrounds = rounds, learning_rate = 0.1, max_depth = 6, max_bins = 256,
                         honest_folds = honest, seed = 1, progress = FALSE)
  t <- elapsed(fit <- gbmixed(y ~ . + (1 | id), d, control = ctl))
  rmse <- sqrt(mean((d$y - fitted(fit))^2))
  emit(paste0("honest_folds=", honest), t, rounds, sprintf("rmse(y)=%.3f sigma=%.3f", rmse, sigma(fit)))
} else if (part == "linear" && impl == "gbmixed") {
  suppressPackageStartupMessages(library(gbmixed))
  fit <- NULL
  ctl <- gbmixed_control(nrounds = rounds, learning_rate = 1, learner = "linear", seed = 1, progress = FALSE)
  t <- elapsed(fit <- gbmixed(y ~ . + (1 | id), d, control = ctl))
  emit("learner=linear lr=1", t, fit$nrounds, sprintf("logLik=%.4f sigma=%.4f", as.numeric(logLik(fit)), sigma(fit)))
} else if (part == "linear" && impl == "lmer") {
  suppressPackageStartupMessages(library(lme4))
  f <- as.formula(paste("y ~", paste(xs, collapse = " + "), "+ (1 | id)"))
  fit <- NULL
  t <- elapsed(fit <- lme4::lmer(f, d, REML = FALSE))
  emit("REML=FALSE", t, 0, sprintf("logLik=%.4f sigma=%.4f", as.numeric(logLik(fit)), sigma(fit)))
} else {
  stop("unknown part/impl: ", part, " ", impl)
}
