# gbmixed demo: gradient boosted mixed model on lme4's sleepstudy (reaction time over 10 days of sleep deprivation,
# 18 subjects, a random intercept and slope per subject). Run with: make demo   (or Rscript tools/demo.R)
suppressPackageStartupMessages(library(gbmixed))
data("sleepstudy", package = "lme4")
set.seed(1)

cat("\n## Fit: Reaction ~ Days + (Days | Subject)\n")
fit <- gbmixed(Reaction ~ Days + (Days | Subject), data = sleepstudy)
print(fit)

cat("\n## summary(fit)\n")
print(summary(fit))

cat("\n## Predictions for the training rows with 95% prediction intervals\n")
print(head(predict(fit, interval = "prediction")))

cat("\n## A subject the model has never seen (random effects set to 0, interval from G)\n")
new_subject <- data.frame(Subject = "new", Days = 0:9)
print(cbind(new_subject, predict(fit, newdata = new_subject, allow.new.levels = TRUE,
                                 interval = "prediction")))
