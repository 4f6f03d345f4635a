# Held-out clusters on the package's real data sets: gbmixed against lmer and against gbm without a cluster term.
# The vignettes' protocol: 4-fold cross-validation by cluster (PBC: patients, seed 2024; PSID: individuals,
# seed 1), the same folds for every model; held-out clusters are new clusters, predicted at population level.
#   Rscript bench/r/realdata.R [pbc|psid|both] [model ...]
# Scores per model (means over folds): RMSE, NLPD (mean negative log predictive density of a held-out row under
# its marginal normal), coverage and width of 90% prediction intervals, and the seconds a fit took.
# gbm: gaussian, interaction.depth 3, shrinkage 0.05, n.minobsinnode 20, bag.fraction 0.5; the number of trees
# and the predictive variance come from an inner 4-fold CV by cluster on the training clusters (the variance is
# the mean squared held-out residual at the chosen number of trees), so gbm gets honest intervals too.
suppressPackageStartupMessages({ library(gbmixed); library(lme4) })
args <- commandArgs(trailingOnly = TRUE)
which_data <- if (length(args)) args[1] else "both"
only <- if (length(args) > 1) args[-1] else NULL

pbc_data <- function() {
  pbc <- survival::pbcseq
  pbc$trt <- as.integer(pbc$trt == 1)
  pbc$years <- pbc$day / 365.25
  pbc$y <- log(pbc$bili)
  pbc <- pbc[order(pbc$id, pbc$day), ]
  first <- !duplicated(pbc$id)
  pbc$stage0 <- pbc$stage[first][match(pbc$id, pbc$id[first])]
  pbc$id <- factor(pbc$id)
  list(name = "PBC", data = pbc, seed = 2024, slope = "years",
       feats = c("years", "trt", "age", "sex", "stage", "edema", "albumin", "protime"),
       lmer = y ~ years + trt + age + sex + stage + edema + albumin + protime + (1 + years | id),
       disp = ~ years + stage + albumin + edema, cov = ~ age + sex + trt + stage0)
}

psid_data <- function() {
  data("PSID7682", package = "AER", envir = environment())
  d <- PSID7682
  d$y <- log(d$wage)
  d$exp10 <- (d$experience - 20) / 10
  list(name = "PSID", data = d, seed = 1, slope = "exp10",
       feats = c("exp10", "year", "education", "weeks", "occupation", "industry", "south", "smsa", "married",
                 "gender", "union", "ethnicity"),
       lmer = y ~ exp10 + I(exp10^2) + year + education + weeks + occupation + industry + south + smsa + married +
         gender + union + ethnicity + (1 + exp10 | id),
       disp = ~ exp10 + education + weeks + occupation + union, cov = ~ gender + education + ethnicity)
}

score <- function(y, mu, v) {
  half <- qnorm(0.95) * sqrt(v)
  c(RMSE = sqrt(mean((y - mu)^2)), NLPD = -mean(dnorm(y, mu, sqrt(v), log = TRUE)),
    cover90 = mean(abs(y - mu) <= half), width90 = mean(2 * half))
}

fit_gbm <- function(ds, train, test) {
  fx <- reformulate(ds$feats, "y")
  ids <- levels(droplevels(train$id))
  set.seed(11)
  inner <- sample(rep(1:4, length.out = length(ids)))
  ntr <- 3000
  err <- matrix(NA, nrow(train), ntr / 25)
  grid <- seq(25, ntr, by = 25)
  for (k in 1:4) {
    tr <- train$id %in% ids[inner != k]
    g <- gbm::gbm(fx, data = train[tr, ], distribution = "gaussian", n.trees = ntr, interaction.depth = 3,
                  shrinkage = 0.05, n.minobsinnode = 20, bag.fraction = 0.5, verbose = FALSE)
    err[!tr, ] <- (train$y[!tr] - predict(g, train[!tr, ], n.trees = grid))^2
  }
  best <- grid[which.min(colMeans(err))]
  v <- mean(err[, which.min(colMeans(err))])
  g <- gbm::gbm(fx, data = train, distribution = "gaussian", n.trees = best, interaction.depth = 3,
                shrinkage = 0.05, n.minobsinnode = 20, bag.fraction = 0.5, verbose = FALSE)
  list(mu = predict(g, test, n.trees = best), v = rep(v, nrow(test)), info = best)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

fit_lmer <- function(ds, train, test, intercept_only = FALSE) {
  form <- if (intercept_only) update(ds$lmer, paste(". ~ . - (1 +", ds$slope, "| id) + (1 | id)")) else ds$lmer
  fm <- lmer(form, train, REML = FALSE)
  G <- VarCorr(fm)$id
  z <- if (intercept_only) matrix(1, nrow(test), 1) else cbind(1, test[[ds$slope]])
  list(mu = predict(fm, test, re.form = NA), v = rowSums((z %*% G) * z) + sigma(fm)^2, info = NA)
}

gbmixed_model <- function(control, disp = FALSE, cov = FALSE, re = NULL) {
  force(control)
  function(ds, train, test) {
    form <- reformulate(c(ds$feats, re %||% sprintf("(1 + %s | id)", ds$slope)), "y")
    fit <- gbmixed(form, train, dispformula = if (disp) ds$disp else ~1, covformula = if (cov) ds$cov else ~1,
                   control = control)
    p <- predict(fit, test, allow.new.levels = TRUE, interval = "prediction", level = 0.9)
    half <- (p$upr - p$fit)
    list(mu = p$fit, v = (half / qnorm(0.95))^2, info = fit$nrounds)
  }
}

ctl <- function(...) gbmixed_control(seed = 1, threads = 2, progress = FALSE, ...)
es <- function(...) ctl(nrounds = 3000, early_stopping_rounds = 50, ...)   # on the honest folds
ri <- "(1 | id)"
models <- list(
  "lmer, (1 + slope | id)" = fit_lmer,
  "lmer, (1 | id)" = function(ds, train, test) fit_lmer(ds, train, test, intercept_only = TRUE),
  "gbm, no cluster term" = fit_gbm,
  "Base, (1 + slope | id)" = gbmixed_model(ctl()),
  "Base, (1 + slope | id), early stopping" = gbmixed_model(es()),
  "Base, (1 | id)" = gbmixed_model(ctl(), re = ri),
  "Base, (1 | id), early stopping" = gbmixed_model(es(), re = ri),
  "GRBoost, (1 + slope | id), early stopping" = gbmixed_model(es(), disp = TRUE, cov = TRUE),
  "GRBoost, (1 | id), early stopping" = gbmixed_model(es(), disp = TRUE, cov = TRUE, re = ri),
  "Base, (1 | id), early stopping on the NLL of 20% held out" =
    gbmixed_model(es(validation = 0.2, early_stopping_metric = "nll"), re = ri),
  "Base, (1 | id), without the new mean steps" = gbmixed_model(ctl(newton = FALSE, between = FALSE), re = ri)
)
extra <- Sys.getenv("REALDATA_MODELS")
if (nzchar(extra)) models <- c(if (!nzchar(Sys.getenv("REALDATA_ONLY"))) models, eval(parse(text = extra)))
if (!is.null(only)) models <- models[intersect(names(models), only)]

run <- function(ds) {
  d <- ds$data
  set.seed(ds$seed)
  ids <- levels(d$id)
  fold <- sample(rep(1:4, length.out = length(ids)))
  res <- lapply(names(models), function(nm) {
    s <- NULL
    t0 <- proc.time()[["elapsed"]]
    info <- NULL
    for (k in 1:4) {
      train <- droplevels(d[d$id %in% ids[fold != k], ])
      test <- droplevels(d[d$id %in% ids[fold == k], ])
      out <- suppressWarnings(models[[nm]](ds, train, test))
      s <- rbind(s, score(test$y, out$mu, out$v))
      info <- c(info, out$info)
    }
    c(colMeans(s), seconds = (proc.time()[["elapsed"]] - t0) / 4,
      rounds = if (all(is.na(info))) NA else mean(info))
  })
  tab <- do.call(rbind, res)
  rownames(tab) <- names(models)
  cat("\n##", ds$name, "- held-out clusters, 4-fold CV by cluster (means over folds)\n")
  print(round(tab, 3))
  invisible(tab)
}

if (which_data %in% c("pbc", "both")) run(pbc_data())
if (which_data %in% c("psid", "both")) run(psid_data())
