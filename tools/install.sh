#!/usr/bin/env bash
# Install the assembled package build/gbmixed/ into the first writable R library
# (as root: /usr/local/lib/R/site-library; otherwise R_LIBS_USER, created if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/gbmixed/DESCRIPTION ] || { echo "install: build/gbmixed is not assembled" >&2; exit 1; }
lib=$(Rscript --vanilla -e 'l <- .libPaths(); w <- l[file.access(l, 2) == 0]; cat(if (length(w)) w[1] else "")')
if [ -z "$lib" ]; then
  lib=$(Rscript --vanilla -e 'cat(path.expand(Sys.getenv("R_LIBS_USER")))')
  mkdir -p "$lib"
fi
R CMD INSTALL --library="$lib" build/gbmixed > build/install.log 2>&1 \
  || { cat build/install.log >&2; echo "install: R CMD INSTALL failed" >&2; exit 1; }
echo "install: gbmixed $(sed -n 's/^Version:[[:space:]]*//p' build/gbmixed/DESCRIPTION) -> $lib"
