#!/usr/bin/env bash
# The R help pages in r-package/man/ must be what roxygen2 writes from the R sources' comments: roxygenise a
# copy of r-package/ (against the installed gbmixed, so run after make install) and compare its man/ with the
# committed one. Prints the differing pages and fails when any differs (fix: make man).
set -euo pipefail
cd "$(dirname "$0")/.."
RSCRIPT=${RSCRIPT:-Rscript}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r r-package "$tmp/pkg"
(cd "$tmp/pkg" && "$RSCRIPT" -e 'roxygen2::roxygenise(load_code = roxygen2::load_installed)' >/dev/null 2>"$tmp/log") \
  || { cat "$tmp/log" >&2; echo "man-sync: roxygen2 failed"; exit 1; }
if diff -rq r-package/man "$tmp/pkg/man" >"$tmp/diff"; then
  echo "man-sync: r-package/man matches the roxygen comments"
else
  sed 's/^/  /' "$tmp/diff"
  echo "man-sync: FAILED: r-package/man is behind the roxygen comments in r-package/R (run make man, commit man/)"
  exit 1
fi
