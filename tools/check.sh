#!/usr/bin/env bash
# R CMD check --as-cran on build/gbmixed_<version>.tar.gz, offline (see shared/platform.md):
# CRAN is unreachable, so the incoming checks stay local and the CRAN repo is an empty local file:// repo.
# --no-manual: the PDF manual needs LaTeX, which we do not install; the HTML manual is still checked.
# Prints every check that was not OK with its detail and the final status; fails on any ERROR or WARNING.
set -euo pipefail
cd "$(dirname "$0")/../build"
b=$(pwd)
version=$(sed -n 's/^Version:[[:space:]]*//p' gbmixed/DESCRIPTION 2>/dev/null || true)
tarball=gbmixed_${version}.tar.gz
[ -n "$version" ] && [ -f "$tarball" ] || { echo "check: build/$tarball is missing (run make build)" >&2; exit 1; }

mkdir -p cran-empty/src/contrib
: > cran-empty/src/contrib/PACKAGES
gzip -c < /dev/null > cran-empty/src/contrib/PACKAGES.gz
cat > check-Rprofile <<R
options(repos = c(CRAN = "file://$b/cran-empty"))
R
rm -rf gbmixed.Rcheck
rc=0
env _R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=FALSE R_PROFILE_USER="$b/check-Rprofile" \
  R CMD check --as-cran --no-manual -o "$b" "$tarball" > check.log 2>&1 || rc=$?
log=gbmixed.Rcheck/00check.log
[ -f "$log" ] || { cat check.log >&2; echo "check: R CMD check did not run" >&2; exit 1; }
# Checks that did not end in OK (and their indented detail), then the status line.
awk 'function flush() { if (bad) printf "%s", sec; sec = ""; bad = 0 }
     /^\* / || /^Status:/ { flush() }
     { sec = sec $0 "\n" }
     /^\* .* (NOTE|WARNING|ERROR)$/ || /^ *(NOTE|WARNING|ERROR)$/ || /^Status:/ { bad = 1 }
     END { flush() }' "$log"
status=$(grep '^Status:' "$log" || echo "Status: unknown")
# Rd -> LaTeX conversion, which --no-manual skips along with LaTeX itself.
Rscript --vanilla -e 'for (f in list.files("gbmixed/man", "[.]Rd$", full.names = TRUE))
  tryCatch(tools::Rd2latex(f, out = tempfile()), error = function(e) {
    cat("check: Rd -> LaTeX conversion failed for", f, ":", conditionMessage(e), "\n"); quit(status = 1) })' || rc=1
if [ $rc -ne 0 ] || echo "$status" | grep -qE 'ERROR|WARNING|unknown'; then
  [ "$status" != "Status: unknown" ] || tail -n 40 check.log >&2
  echo "check: FAILED ($status; full log build/$log)" >&2
  exit 1
fi
echo "check: $status (full log build/$log)"
