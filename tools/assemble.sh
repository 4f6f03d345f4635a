#!/usr/bin/env bash
# Assemble the R source package build/gbmixed/ from the pieces that live once in git:
#   r-package/      DESCRIPTION, NAMESPACE, R/, man/, tests/ (and dotfiles such as .Rbuildignore)
#   inst/           -> build/gbmixed/inst/
#   vignettes/      -> build/gbmixed/vignettes/
#   target/gbmixed-engine.jar            -> build/gbmixed/inst/java/   (make jar builds it)
#   pom.xml + java/src/main/java         -> build/gbmixed/java/        (Java sources, as CRAN asks)
#   java/FACADE.md, java/ENGINE.md       -> build/gbmixed/java/        (the API and the packages)
# Usage: tools/assemble.sh [outdir]   (default build/gbmixed); prints nothing on success.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/gbmixed}
jar=target/gbmixed-engine.jar

die() { echo "assemble: $*" >&2; exit 1; }
[ -f r-package/DESCRIPTION ] || die "r-package/DESCRIPTION is missing: the R package has not been written yet"
[ -f "$jar" ] || die "$jar is missing: run 'make jar' first"
[ -d java/src/main/java ] || die "java/src/main/java is missing"

rm -rf "$out"; mkdir -p "$out"
cp -R r-package/. "$out/"
if [ -d inst ]; then mkdir -p "$out/inst"; cp -R inst/. "$out/inst/"; fi
if [ -d vignettes ]; then mkdir -p "$out/vignettes"; cp -R vignettes/. "$out/vignettes/"; fi
mkdir -p "$out/inst/java"
cp "$jar" "$out/inst/java/"

# Java sources: java/pom.xml + java/src/main/java, so that `cd java && mvn package` rebuilds the jar from the
# tarball. The repository pom points at java/src/...; inside the package the pom sits in java/ itself.
mkdir -p "$out/java/src/main"
cp -R java/src/main/java "$out/java/src/main/"
sed -e 's#<sourceDirectory>java/src/main/java</sourceDirectory>#<sourceDirectory>src/main/java</sourceDirectory>#' \
    -e 's#<testSourceDirectory>java/src/test/java</testSourceDirectory>#<testSourceDirectory>src/test/java</testSourceDirectory>#' \
    pom.xml > "$out/java/pom.xml"
grep -q '<sourceDirectory>src/main/java</sourceDirectory>' "$out/java/pom.xml" \
  || die "pom.xml no longer has <sourceDirectory>java/src/main/java</sourceDirectory>: update tools/assemble.sh"
cat > "$out/java/README" <<'TXT'
Java sources of the gbmixed engine (inst/java/gbmixed-engine.jar).
Rebuild the jar with Java 17 and Maven:  cd java && mvn -B package -DskipTests  (-> java/target/gbmixed-engine.jar)
The tests of the engine and the full build live in the development repository.
FACADE.md describes the engine's API (what R calls), ENGINE.md its packages.
TXT
cp java/FACADE.md java/ENGINE.md "$out/java/"
# Editor and OS leftovers never belong in the package.
find "$out" \( -name '.DS_Store' -o -name '*~' -o -name '.Rhistory' -o -name '.RData' \) -exec rm -f {} +
