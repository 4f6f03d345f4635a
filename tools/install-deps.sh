#!/usr/bin/env bash
# Install what gbmixed needs to build, test and check, from Debian's apt only (CRAN is not reachable here).
# Checks first (dpkg -s / command -v / R's own library); installs only what is missing; silent when all is present.
# Usage: tools/install-deps.sh            (run as root, or as a user with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

# The system packages the build, the tests, the vignette and R CMD check --as-cran need.
APT_PKGS=(r-base-core r-base-dev r-cran-rjava r-cran-testthat r-cran-knitr r-cran-rmarkdown pandoc
          r-cran-lme4 r-cran-survival r-cran-roxygen2 qpdf)

log=${TMPDIR:-/tmp}/gbmixed-apt.log
updated=0
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "install-deps: need root (or sudo) to run: $*" >&2; exit 1
  fi
}
apt_install() {   # apt_install pkg...  (quiet; the full apt log goes to $log, shown on failure)
  echo "install-deps: installing from apt: $*"
  if [ $updated -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; exit 1; }
    updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; echo "install-deps: apt-get install failed (log: $log)" >&2; exit 1; }
}

# 1. Java and Maven (present on our machines; installed here only if someone runs this on a bare Debian 12).
missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn   >/dev/null 2>&1 || missing+=(maven)
# 2. The fixed list.
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# 3. Every R package r-package/DESCRIPTION names (Depends, Imports, LinkingTo, Suggests) that R cannot find,
#    mapped to Debian's r-cran-<lowercase name>.
if [ -f r-package/DESCRIPTION ]; then
  rmissing=$(Rscript --vanilla -e '
    d <- read.dcf("r-package/DESCRIPTION")
    f <- intersect(c("Depends", "Imports", "LinkingTo", "Suggests"), colnames(d))
    p <- unlist(strsplit(paste(d[1, f], collapse = ","), ","))
    p <- trimws(sub("\\(.*", "", p))
    p <- setdiff(p[nzchar(p)], c("R", rownames(installed.packages(priority = "base"))))
    p <- p[!vapply(p, function(x) nzchar(system.file(package = x)), TRUE)]
    cat(p)')
  if [ -n "$rmissing" ]; then
    debs=(); unknown=()
    [ $updated -eq 1 ] || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; updated=1; }
    for r in $rmissing; do
      d="r-cran-$(echo "$r" | tr '[:upper:]' '[:lower:]')"
      if apt-cache show "$d" >/dev/null 2>&1; then debs+=("$d"); else unknown+=("$r"); fi
    done
    [ ${#debs[@]} -eq 0 ] || apt_install "${debs[@]}"
    [ ${#unknown[@]} -eq 0 ] || echo "install-deps: WARNING: no Debian package for R package(s): ${unknown[*]}" >&2
  fi
fi
exit 0
