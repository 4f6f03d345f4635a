#!/usr/bin/env bash
# The engine's API docs (target/reports/apidocs/) with every doclint group on; any warning fails (pom.xml:
# failOnWarnings). Prints the warnings and the result. The plugin skips a run whose inputs look unchanged to it
# (it does not see edited comments), so its stale-data file goes first.
set -euo pipefail
cd "$(dirname "$0")/.."
MVN=${MVN:-mvn}
rm -f target/maven-javadoc-plugin-stale-data.txt
set +e
out=$($MVN -B -ntp javadoc:javadoc 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g')
rc=${PIPESTATUS[0]}
set -e
grep -E '\.java:[0-9]+: (warning|error)' <<<"$out" || true
if [ "$rc" -ne 0 ]; then
  grep -E '^\[ERROR\] Failed' <<<"$out" || true
  echo "javadoc: FAILED"
  exit 1
fi
echo "javadoc: clean (target/reports/apidocs/index.html)"
