#!/usr/bin/env bash
# gbmixed benchmark suite: ONE command that builds what it needs, runs every part and prints the report.
#
#   bench/run.sh                 everything (about 15-20 minutes on 2 cores), report -> stdout and target/results/report.md
#   bench/run.sh --base          (a) Base trees: gbmixed (honest_folds 0 and 3; Java and R routes) vs gbm vs xgboost4j
#   bench/run.sh --linear        (b) learner "linear" vs lme4::lmer
#   bench/run.sh --grboost       (c) GRBoost scaling, time and heap
#   bench/run.sh --jmh           JMH: one tree (TreeLearner), binning, one E-step (Likelihood), histogram kernels
#   bench/run.sh --profile       JFR profiles of the 1e6 Base fit (honest_folds 0 and 3) and the 1e6 GRBoost fit
#   bench/run.sh --report        only re-print the report from target/results/
# Flags combine (bench/run.sh --base --jmh). Running a subset keeps the other parts' earlier results (a part
# re-run replaces its rows in the report); the full run starts from scratch.
#   --quick      small sizes and few rounds (a smoke test of the whole pipeline, ~2 minutes; targets not judged)
#   --no-build   reuse the engine jar, the bench classes and the R library built by an earlier run
#   --retry-busy re-measure only the rows of target/results/ that other processes disturbed (others % > 15) or
#                that gave no result, then print the report (for a shared machine)
#
# Needs Java 17 + Maven (Maven Central reachable) and, for the R comparisons, R with rJava, lme4 and gbm: missing
# pieces are installed from Debian's apt by ../tools/install-deps.sh (needs root or sudo). Without R the R parts
# are skipped (the targets that need them show "not measured"). BENCH_OUT=dir writes the results elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
BENCH=$(pwd)
ROOT=$(cd .. && pwd)
OUT=${BENCH_OUT:-$BENCH/target/results}   # BENCH_OUT=dir keeps a run's results apart
DATA=$BENCH/target/data
RLIB=$BENCH/target/rlib
ENGINE=$BENCH/target/engine/gbmixed-engine.jar
MVN=${MVN:-mvn}

parts=()
quick=0 build=1 report_only=0 retry_busy=0
for a in "$@"; do
  case "$a" in
    --base|--linear|--grboost|--jmh|--profile) parts+=("${a#--}") ;;
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --report) report_only=1 ;;
    --retry-busy) retry_busy=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
full=0
if [ ${#parts[@]} -eq 0 ] && [ $retry_busy -eq 0 ]; then parts=(base linear grboost jmh profile); full=1; fi
want() { local p; for p in "${parts[@]+"${parts[@]}"}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

classpath() { echo "$BENCH/target/classes:$ENGINE:$(ls "$BENCH"/target/lib/*.jar | tr '\n' ':')"; }
report() {
  java -cp "$(classpath)" org.gbmixed.bench.Report "$OUT" | tee "$OUT/report.md"
}
if [ $report_only -eq 1 ]; then
  [ -s "$OUT/results.tsv" ] || { echo "run.sh: no results in $OUT yet (run bench/run.sh, or a part of it, first)" >&2; exit 1; }
  report; exit 0
fi

# ------------------------------------------------------------------ build
have_r=0
if [ $build -eq 1 ]; then
  if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'for (p in c("rJava", "lme4", "gbm")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' >/dev/null 2>&1; then
    if [ -x "$ROOT/tools/install-deps.sh" ]; then
      say "installing R, rJava, lme4, gbm from Debian apt (tools/install-deps.sh)"
      "$ROOT/tools/install-deps.sh" || say "install-deps failed: the R parts will be skipped"
    fi
  fi
  say "building the engine jar (mvn package -DskipTests at the repository root)"
  (cd "$ROOT" && $MVN -B -ntp -q package -DskipTests 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g')
  mkdir -p "$(dirname "$ENGINE")"
  cp "$ROOT/target/gbmixed-engine.jar" "$ENGINE"
  say "building the benchmark (bench/pom.xml: JMH 1.37, xgboost4j)"
  $MVN -B -ntp -q -f "$BENCH/pom.xml" package -Dengine.jar="$ENGINE" 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'
  if command -v Rscript >/dev/null 2>&1; then
    say "installing the gbmixed R package into bench/target/rlib"
    rm -rf "$BENCH/target/rpkg" "$RLIB"; mkdir -p "$RLIB"
    (cd "$ROOT" && tools/assemble.sh "$BENCH/target/rpkg")
    R CMD INSTALL --no-test-load --library="$RLIB" "$BENCH/target/rpkg" >"$BENCH/target/rinstall.log" 2>&1 \
      || { tail -20 "$BENCH/target/rinstall.log" >&2; say "R CMD INSTALL failed: the R parts will be skipped"; }
  fi
fi
if command -v Rscript >/dev/null 2>&1 && [ -d "$RLIB/gbmixed" ] \
   && R_LIBS="$RLIB" Rscript -e 'for (p in c("gbmixed", "lme4", "gbm")) if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' >/dev/null 2>&1; then
  have_r=1
else
  say "R with gbmixed, lme4 and gbm is not available: skipping the R measurements"
fi
CP=$(classpath)

mkdir -p "$OUT" "$DATA"
if [ $full -eq 1 ]; then rm -f "$OUT"/results.tsv "$OUT"/results.before-retry.tsv "$OUT"/retry.tsv "$OUT"/jmh*.csv "$OUT"/jmh.txt "$OUT"/profile_*.md "$OUT"/*.jfr "$OUT"/stderr.log; fi
touch "$OUT/results.tsv"

# versions (a full run starts the file; a partial run or --retry-busy adds a line saying what it re-ran)
if [ $full -eq 1 ] || [ ! -s "$OUT/versions.tsv" ]; then
  {
    echo -e "cores\t$(nproc) ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
    echo -e "memory\t$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)"
    java -cp "$CP" org.gbmixed.bench.BenchMain versions | grep -v '^cores'
    if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
      echo -e "engine source\tgit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" status --porcelain -- java pom.xml | grep -q . && echo ' + uncommitted changes in java/')"
    fi
    if [ $have_r -eq 1 ]; then R_LIBS="$RLIB" Rscript "$BENCH/r/bench.R" versions; fi
    echo -e "run\t$(date -u '+%Y-%m-%d %H:%M UTC')$([ $quick -eq 1 ] && echo ' (--quick)')"
  } > "$OUT/versions.tsv"
else
  echo -e "re-run $(date -u '+%Y-%m-%d %H:%M UTC')\t$*" >> "$OUT/versions.tsv"
fi

# ------------------------------------------------------------------ helpers
# A part re-run replaces its earlier rows.
drop_part() { local f="$OUT/results.tsv"; awk -F'\t' -v p="$1" '$1 != p' "$f" > "$f.tmp" && mv "$f.tmp" "$f"; }

# The machine may be shared: before each measurement wait (up to QUIET_MAX s) until other processes use less
# than 10% of it; a measurement during which they used more than 15% is repeated once and the less disturbed
# of the two kept. The report shows that share (others %) for every row.
busy_now() {  # machine-wide busy percent over one second
  local a b k tot=0 idle
  read -ra a < <(head -1 /proc/stat); sleep 1; read -ra b < <(head -1 /proc/stat)
  for k in 1 2 3 4 5 6 7 8; do tot=$((tot + b[k] - a[k])); done
  idle=$(( b[4] - a[4] + b[5] - a[5] ))
  echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}
wait_quiet() {
  local waited=0 b
  while [ $waited -lt "${QUIET_MAX:-90}" ]; do
    b=$(busy_now); [ "$b" -lt 10 ] && return 0
    [ $waited -eq 0 ] && say "  machine busy ($b%): waiting for it to calm down"
    waited=$((waited + 1))
  done
  say "  machine still busy ($b%) after ${QUIET_MAX:-90} s: measuring anyway"
}
# measure CAP FALLBACK CMD...: runs CMD (which prints one RESULT line) and appends that line to results.tsv;
# FALLBACK is the row recorded when CMD fails or exceeds CAP seconds.
measure() {
  local cap=$1 fallback=$2; shift 2
  local best="" bestO=999 try line o
  for try in 1 2; do
    wait_quiet
    line=$(timeout "$cap" "$@" 2>>"$OUT/stderr.log" | grep '^RESULT' || true)
    [ -n "$line" ] || break
    o=$(echo "$line" | cut -f15); o=${o%.*}; [[ "$o" =~ ^[0-9]+$ ]] || o=0
    if [ "$o" -lt "$bestO" ]; then best=$line; bestO=$o; fi
    [ "$o" -le 15 ] && break
    [ $try -eq 1 ] && say "  other processes used $o% of the machine during it: measuring again"
  done
  if [ -n "$best" ]; then
    echo "$best" | cut -f2- >> "$OUT/results.tsv"
    say "  $(echo "$best" | awk -F'\t' '{printf "total %s s, s/round %s, others %s%%", $11, $10, $15}')"
  else
    say "  no result within $cap s (failed or timed out; stderr in target/results/stderr.log)"
    printf '%s\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tno result within %s s (timed out or failed)\n' "$fallback" "$cap" \
      >> "$OUT/results.tsv"
  fi
}
# run_java CAP HEAP ARGS...: one measurement in a fresh JVM
run_java() {
  local cap=$1 heap=$2; shift 2
  say "java BenchMain $*"
  local impl=gbmixed; [[ " $* " == *" xgboost "* ]] && impl=xgboost4j
  measure "$cap" "$1	java	$impl	$*	$2	$3" java "-Xmx$heap" -cp "$CP" org.gbmixed.bench.BenchMain "$@"
}
# run_r CAP PART FILE ROUNDS IMPL [HONEST]: one measurement in a fresh R process
run_r() {
  local cap=$1; shift
  [ $have_r -eq 1 ] || return 0
  say "R bench.R $1 $(basename "$2") ${*:3}"
  local n; n=$(basename "$2" .bin); n=${n##*_}
  measure "$cap" "$1	R	$4	${5:+honest_folds=$5}	$n	$3" env R_LIBS="$RLIB" Rscript "$BENCH/r/bench.R" "$@"
}
data() {  # data KIND N -> path of the file for R (generated once)
  local f="$DATA/$1_$2.bin"
  [ -s "$f" ] || java -Xmx4g -cp "$CP" org.gbmixed.bench.BenchMain gen "$1" "$2" "$f"
  echo "$f"
}

if [ $quick -eq 1 ]; then
  A_SIZES="10000 100000"; A_ROUNDS=20; GBM_BIG_ROUNDS=20
  B_SIZES="10000 100000"; B_ROUNDS=20
  C_SIZES="10000 100000"; C_ROUNDS=20
  JMH_OPTS=(-f 1 -wi 1 -w 1s -i 2 -r 1s -p n=100000)
else
  A_SIZES="100000 1000000"; A_ROUNDS=100; GBM_BIG_ROUNDS=25   # gbm at 1e6: 25 trees (~5 s each), per-tree compared
  B_SIZES="10000 100000 1000000"; B_ROUNDS=50
  C_SIZES="10000 100000 1000000"; C_ROUNDS=100; C_BIG_ROUNDS=50  # 1e6: 50 rounds, 500 extrapolated
  JMH_OPTS=(-f 1 -wi 3 -w 1s -i 5 -r 2s)
fi

# ------------------------------------------------------------------ --retry-busy
if [ $retry_busy -eq 1 ]; then
  cp "$OUT/results.tsv" "$OUT/results.before-retry.tsv"
  # rows to redo: others % (column 14) above 15, or no result (column 10, total, is NA)
  awk -F'\t' '$14 > 15 || $10 == "NA"' "$OUT/results.tsv" > "$OUT/retry.tsv"
  awk -F'\t' '!($14 > 15 || $10 == "NA")' "$OUT/results.tsv" > "$OUT/results.tmp" && mv "$OUT/results.tmp" "$OUT/results.tsv"
  say "re-measuring $(wc -l < "$OUT/retry.tsv") disturbed row(s)"
  while IFS=$'\t' read -r part route impl setting n rounds rest; do
    h=$(echo "$setting" | sed -n 's/.*honest_folds=\([0-9]*\).*/\1/p')
    case "$part/$route/$impl" in
      base/java/gbmixed)   run_java 1200 8g base "$n" "$rounds" gbmixed "${h:-0}" ;;
      base/java/xgboost4j) run_java 1200 8g base "$n" "$rounds" xgboost 0 ;;
      base/R/gbm)          run_r 1200 base "$(data friedman "$n")" "$rounds" gbm ;;
      base/R/gbmixed)      run_r 1200 base "$(data friedman "$n")" "$rounds" gbmixed "${h:-0}" ;;
      linear/java/gbmixed) run_java 1200 8g linear "$n" "$rounds" ;;
      linear/R/gbmixed)    run_r 1200 linear "$(data lmm "$n")" "$rounds" gbmixed ;;
      linear/R/lmer)       run_r 900 linear "$(data lmm "$n")" 0 lmer ;;
      grboost/java/gbmixed) run_java 1800 2g grboost "$n" "$rounds" "${h:-0}" ;;
      *) say "  do not know how to re-run: $part $route $impl $setting $n" ;;
    esac
  done < "$OUT/retry.tsv"
fi

# ------------------------------------------------------------------ (a)
if want base; then
  drop_part base
  for n in $A_SIZES; do
    f=$(data friedman "$n")
    run_java 1200 8g base "$n" "$A_ROUNDS" gbmixed 0
    run_java 1200 8g base "$n" "$A_ROUNDS" gbmixed 3
    run_java 1200 8g base "$n" "$A_ROUNDS" xgboost 0
    gr=$A_ROUNDS; [ "$n" -ge 1000000 ] && gr=$GBM_BIG_ROUNDS
    run_r 1200 base "$f" "$gr" gbm
    run_r 1200 base "$f" "$A_ROUNDS" gbmixed 0
    run_r 1200 base "$f" "$A_ROUNDS" gbmixed 3
  done
fi

# ------------------------------------------------------------------ (b)
if want linear; then
  drop_part linear
  for n in $B_SIZES; do
    f=$(data lmm "$n")
    run_java 1200 8g linear "$n" "$B_ROUNDS"
    run_r 1200 linear "$f" "$B_ROUNDS" gbmixed
    run_r 900 linear "$f" 0 lmer       # lmer capped at 15 minutes (it takes ~15 s at 1e6 here)
  done
fi

# ------------------------------------------------------------------ (c)
if want grboost; then
  drop_part grboost
  for h in 0 3; do
    for n in $C_SIZES; do
      r=$C_ROUNDS; [ "$n" -ge 1000000 ] && r=$C_BIG_ROUNDS
      run_java 1800 2g grboost "$n" "$r" "$h"
    done
  done
fi

# ------------------------------------------------------------------ JMH
if want jmh; then
  wait_quiet
  say "JMH: TreeBench, EStepBench, HistKernelBench, CrossProductBench (${JMH_OPTS[*]})"
  java -cp "$CP" org.openjdk.jmh.Main "${JMH_OPTS[@]}" -rf csv -rff "$OUT/jmh.csv" \
       'org\.gbmixed\.[a-z]+\.(TreeBench|EStepBench|HistKernelBench|CrossProductBench)\.' > "$OUT/jmh.txt" 2>&1 || { tail -20 "$OUT/jmh.txt" >&2; say "JMH failed"; }
  # one tree at n = 1e6: depth 5 vs 6 (cost of the last level) and 1 vs 2 threads (parallel speed-up)
  if [ $quick -eq 0 ]; then
    say "JMH: TreeBench.treeFit at n = 1e6, depth 5/6, threads 1/2"
    java -cp "$CP" org.openjdk.jmh.Main "${JMH_OPTS[@]}" -p n=1000000 -p depth=5,6 -p threads=1,2 \
         -rf csv -rff "$OUT/jmh_tree.csv" 'org\.gbmixed\.learners\.TreeBench\.treeFit' >> "$OUT/jmh.txt" 2>&1 \
      || { tail -20 "$OUT/jmh.txt" >&2; say "JMH failed"; }
  fi
fi

# ------------------------------------------------------------------ profiles
if want profile; then
  pn=1000000; pr=30; [ $quick -eq 1 ] && pn=100000
  profile() {  # profile NAME TITLE HEAP ARGS...
    local name=$1 title=$2 heap=$3; shift 3
    say "JFR profile: $*"
    local jfr="$OUT/${name}_$(echo "$*" | tr ' ' '_').jfr" line
    wait_quiet
    line=$(java "-Xmx$heap" -Dbench.jfr="$jfr" -cp "$CP" org.gbmixed.bench.BenchMain "$@" 2>>"$OUT/stderr.log" \
           | grep '^RESULT' || true)
    {
      echo "### Profile: $title"
      echo
      echo "JFR (settings \"profile\", jdk.ExecutionSample every 10 ms per running Java thread) of \`BenchMain $*\`,"
      echo "recording the boosting rounds only (not data generation or setup). That run: $(echo "$line" | \
        awk -F'\t' '{printf "setup %s s, round 1 %s s, s/round %s, total %s s, others %s%%", $8, $9, $10, $11, $15}')."
      echo
      java -cp "$CP" org.gbmixed.bench.JfrTop "$jfr" 12
    } >> "$OUT/$name.md.tmp"
  }
  rm -f "$OUT"/profile_*.md "$OUT"/profile_*.md.tmp
  profile profile_base "Base, N = $pn, honest_folds 0, $pr rounds" 8g base "$pn" "$pr" gbmixed 0
  profile profile_base "Base, N = $pn, honest_folds 3, $pr rounds" 8g base "$pn" "$pr" gbmixed 3
  profile profile_grboost "GRBoost, N = $pn, honest_folds 0, $pr rounds" 2g grboost "$pn" "$pr" 0
  for f in "$OUT"/profile_*.md.tmp; do mv "$f" "${f%.tmp}"; done
fi

say "report (also in $OUT/report.md)"
report
