#!/usr/bin/env bash
# R CMD build build/gbmixed/ into build/gbmixed_<version>.tar.gz (builds the vignette). Run tools/assemble.sh first.
set -euo pipefail
cd "$(dirname "$0")/../build"
[ -f gbmixed/DESCRIPTION ] || { echo "build: build/gbmixed is not assembled (run make build)" >&2; exit 1; }
version=$(sed -n 's/^Version:[[:space:]]*//p' gbmixed/DESCRIPTION)
rm -f gbmixed_*.tar.gz
R CMD build --no-manual gbmixed > build.log 2>&1 || { cat build.log >&2; echo "build: R CMD build failed" >&2; exit 1; }
cat build.log
[ -f "gbmixed_${version}.tar.gz" ] || { cat build.log >&2; exit 1; }
echo "build: build/gbmixed_${version}.tar.gz ($(du -k "gbmixed_${version}.tar.gz" | cut -f1) KB)"
