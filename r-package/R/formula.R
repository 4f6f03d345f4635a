# Parsing the model formula y ~ x1 + x2 + (1 + t | id).
#
# The fixed part lists the covariates (features) of the nonparametric mean f; the single bar term gives the
# random-effects design z (its left side) and the grouping factor (its right side). `|` means a full
# (correlated) G, `||` a diagonal G. lme4::findbars() expands `||` into several `|` terms, which would
# lose that distinction, so the bar term is found here by walking the formula; lme4::nobars() gives the
# fixed part.

# Returns a list: formula, response (language), features (character labels of the fixed-part terms),
# re_formula (one-sided formula of the random-effects design), group (column name), diagonal (logical).
parse_gbmixed_formula <- function(formula, data, exclude = character()) {
  if (!inherits(formula, "formula") || length(formula) != 3L) {
    stop_arg("`formula` must be a two-sided formula such as y ~ x1 + x2 + (1 | id).")
  }
  env <- environment(formula)
  rhs <- formula[[3L]]
  if (is.call(rhs) && (identical(rhs[[1L]], as.name("|")) || identical(rhs[[1L]], as.name("||")))) {
    stop_arg("random-effects terms need parentheses: `", deparse1(formula), "` reads the whole right-hand side `",
             deparse1(rhs), "` as one random-effects term, with `", deparse1(rhs[[2L]]), "` as random effects ",
             "and no covariates of the mean. Write e.g. ", deparse1(formula[[2L]]), " ~ ",
             deparse1(rhs[[2L]]), " + (1 | ", deparse1(rhs[[3L]]), ").")
  }
  bars <- find_bar_terms(rhs)
  if (length(bars) == 0L) {
    stop_arg("`formula` has no random-effects term: add one such as (1 | id) or (1 + t | id).")
  }
  if (length(bars) > 1L) {
    stop_arg(
      "gbmixed supports one random-effects term with one grouping factor; `formula` has ", length(bars),
      ": ", paste(vapply(bars, deparse1, ""), collapse = ", "),
      ". Combine them into one term, e.g. (1 + t | id), or use (1 + t || id) for uncorrelated effects."
    )
  }
  bar <- bars[[1L]]
  diagonal <- identical(bar[[1L]], as.name("||"))
  group <- bar[[3L]]
  if (!is.name(group)) {
    stop_arg(
      "the grouping factor of the random-effects term must be a single column name (gbmixed supports ",
      "one grouping factor only), not `", deparse1(group), "`."
    )
  }
  re_formula <- stats::as.formula(call("~", bar[[2L]]), env = env)
  re_terms <- stats::terms(re_formula)
  re_vars <- all.vars(re_formula)
  if (attr(re_terms, "intercept") == 0L && length(attr(re_terms, "term.labels")) == 0L) {
    stop_arg("the random-effects term `", deparse1(bar), "` has no effects: use e.g. (1 | id) or (0 + t | id).")
  }

  fixed <- lme4::nobars(formula)
  environment(fixed) <- env
  response <- fixed[[2L]]
  if (length(fixed) != 3L) fixed <- stats::as.formula(call("~", response, 1), env = env)
  has_dot <- "." %in% all.vars(fixed[[3L]])
  if (has_dot) {
    if (!is.data.frame(data)) stop_arg("`data` must be a data frame, not ", show_value(data), ".")
    keep <- setdiff(names(data), c(all.vars(response), as.character(group), exclude))
    fixed_terms <- stats::terms(fixed, data = data[keep])
  } else {
    fixed_terms <- stats::terms(fixed)
  }
  features <- attr(fixed_terms, "term.labels")
  inter <- features[attr(fixed_terms, "order") > 1L]
  if (length(inter)) {
    stop_arg(
      "the fixed part of `formula` lists covariates of a nonparametric mean, not interactions; remove ",
      paste0("`", inter, "`", collapse = ", "), " (trees find interactions themselves)."
    )
  }
  offsets <- list()
  if (!is.null(attr(fixed_terms, "offset"))) {
    # offset(expr) terms: known parts of the mean, added to f (evaluated in newdata for predictions too)
    vars <- as.list(attr(fixed_terms, "variables"))[-1L]
    offsets <- lapply(vars[attr(fixed_terms, "offset")], function(v) v[[2L]])
    features <- setdiff(features, vapply(vars[attr(fixed_terms, "offset")], deparse1, ""))
  }
  if (as.character(group) %in% features) {
    stop_arg("the grouping factor `", as.character(group), "` cannot also be a covariate in the fixed part.")
  }
  list(
    formula = formula,
    response = response,
    features = features,
    feature_vars = unique(unlist(lapply(features, function(l) all.vars(str2lang(l))))),
    re_formula = re_formula,
    re_vars = re_vars,
    group = as.character(group),
    diagonal = diagonal,
    offsets = offsets,
    env = env
  )
}

# All `|` and `||` calls in a formula's right-hand side, outermost first.
find_bar_terms <- function(expr) {
  if (!is.call(expr)) return(list())
  head <- expr[[1L]]
  if (identical(head, as.name("|")) || identical(head, as.name("||"))) return(list(expr))
  unlist(lapply(as.list(expr)[-1L], find_bar_terms), recursive = FALSE)
}

# Is `f` the formula ~ 1 (the default of dispformula and covformula)?
is_constant_formula <- function(f) {
  inherits(f, "formula") && length(f) == 2L && identical(f[[2L]], 1) ||
    inherits(f, "formula") && length(f) == 2L && identical(f[[2L]], 1L)
}
