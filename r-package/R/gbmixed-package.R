#' gbmixed: Gradient Boosted Mixed Models
#'
#' Gradient boosted mixed models for clustered data. The mean is an ensemble of regression trees (or a
#' linear learner) boosted on the marginal Gaussian log-likelihood together with the random-effects
#' covariance and the residual variance; the fit gives BLUPs of the random effects and prediction
#' intervals for existing and new clusters. The residual variance and the random-effects covariance can
#' themselves be boosted on covariates (`dispformula`, `covformula`: the RBoost, GBoost and GRBoost
#' variants), and [cate()] gives treatment effects. Start with [gbmixed()] and [gbmixed_control()], and see
#' `vignette("heteroscedastic", package = "gbmixed")`.
#'
#' The fitting engine is written in Java (17 or newer) and runs inside R through rJava. The Java heap is
#' set when the Java virtual machine starts, which happens when the first rJava-based package is loaded:
#' to give it more memory, call `options(java.parameters = "-Xmx4g")` before loading gbmixed.
#'
#' @docType package
#' @name gbmixed-package
#' @aliases gbmixed-package
#' @keywords internal
NULL
