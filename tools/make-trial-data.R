# Writes inst/extdata/trial.csv: the simulated multi-site trial the report template runs on by default.
#   Rscript tools/make-trial-data.R        (from the repository root; the same seed gives the same file)
# 120 sites of 6..20 patients; treatment trt randomised within sites; outcome change in systolic blood pressure.
#   mean       mu(x)  = -2 + 0.08 (age - 60) + 3 sin((bmi - 30) / 4)
#   effect     tau(x) = -6 - 4 plogis((age - 65) / 4)                 (from -6 in the young to -10 in the old)
#   sites      (b0, bT) ~ N(0, G(w)): sd(b0) = exp(1.2 - 0.5 volume), sd(bT) = 1.5, correlation 0.3
#              volume: the site's standardised log patient volume (small sites differ more)
#   residual   sd = 4 + 6 (1 - adherence)                            (from 4 to 10 mmHg)
#   y = mu(x) + trt tau(x) + b0 + trt bT + e
set.seed(20261202)
m <- 120
n_i <- sample(6:20, m, replace = TRUE)
site <- rep(sprintf("S%03d", seq_len(m)), n_i)
volume <- round(rnorm(m), 2)
vol <- rep(volume, n_i)
n <- sum(n_i)
age <- round(runif(n, 40, 80))
bmi <- round(runif(n, 20, 40), 1)
adherence <- round(rbeta(n, 4, 1.5), 2)
trt <- unlist(lapply(n_i, function(k) sample(rep_len(0:1, k))))
sd0 <- exp(1.2 - 0.5 * volume)
b0 <- rnorm(m) * sd0
bT <- 1.5 * (0.3 * (b0 / sd0) + sqrt(1 - 0.3^2) * rnorm(m))
idx <- rep(seq_len(m), n_i)
mu <- -2 + 0.08 * (age - 60) + 3 * sin((bmi - 30) / 4)
tau <- -6 - 4 * stats::plogis((age - 65) / 4)
e <- rnorm(n) * (4 + 6 * (1 - adherence))
y <- mu + trt * tau + b0[idx] + trt * bT[idx] + e
d <- data.frame(sbp_change = round(y, 1), age, bmi, adherence, trt, volume = vol, site)
utils::write.csv(d, "inst/extdata/trial.csv", row.names = FALSE)
cat("inst/extdata/trial.csv:", nrow(d), "rows,", m, "sites\n")
