#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS each (default 60) under AddressSanitizer +
# UndefinedBehaviorSanitizer and prints the executions of each. Usage: scripts/fuzz.sh [SECONDS]
#   - builds them first if needed, in build-asan/ (the sanitizer build of scripts/test.sh: clang,
#     -DMAIEV_SANITIZE=ON -DMAIEV_FUZZ=ON), or in $MAIEV_FUZZ_BUILD_DIR when set, configured as
#     $MAIEV_FUZZ_BUILD_TYPE (default Debug, as test.sh's; RelWithDebInfo runs several times
#     faster, for long runs);
#   - each target's corpus is BUILD/fuzz/corpus/NAME/, seeded from the committed fuzz/corpus/NAME/
#     and kept between runs (so a longer run goes on from where the last one stopped);
#   - targets run $MAIEV_FUZZ_JOBS at a time (default: the number of cores);
#   - a crash, a leak, a timeout (10 s for one input) or too much memory (2 GB) stops that target;
#     its input is written to BUILD/fuzz/artifacts/ and the script exits non-zero at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${MAIEV_FUZZ_BUILD_DIR:-build-asan}
jobs=${MAIEV_FUZZ_JOBS:-$(nproc)}
build_type=${MAIEV_FUZZ_BUILD_TYPE:-Debug}

if ! grep -qs '^MAIEV_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE="$build_type" \
    -DMAIEV_WERROR=ON -DMAIEV_SANITIZE=ON -DMAIEV_FUZZ=ON -DMAIEV_BENCH=OFF \
    -DMAIEV_STACK_TESTS=OFF -DMAIEV_WEB=OFF >/dev/null
fi
nice -n 10 cmake --build "$build" -j "$(nproc)" --target maiev_fuzz

out=$build/fuzz
mkdir -p "$out/artifacts" "$out/logs"
mapfile -t targets < <(find fuzz/corpus -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)

# Runs one target; its log is $out/logs/NAME.log.
run_target() {
  local name=$1 corpus=$out/corpus/$1
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  local dict=()
  [ -f "fuzz/$name.dict" ] && dict=(-dict="fuzz/$name.dict")
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" "${dict[@]}" "$corpus" \
    >"$out/logs/$name.log" 2>&1
}
export -f run_target
export out seconds

started=$SECONDS
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_target {} || true'

total=0
failed=()
printf '%-24s %14s %10s  %s\n' target executions exec/s result
for name in "${targets[@]}"; do
  log=$out/logs/$name.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  result=ok
  if grep -qE '^(SUMMARY|==[0-9]+== ?ERROR)' "$log" || [ -z "$execs" ]; then
    result="FAILED: $(grep -m 1 -E 'SUMMARY|ERROR' "$log" || echo 'no statistics')"
    failed+=("$name")
  fi
  total=$((total + ${execs:-0}))
  printf '%-24s %14s %10s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$result"
done
printf '%-24s %14s  (%d targets, %d s each, %d s in all)\n' total "$total" "${#targets[@]}" \
  "$seconds" "$((SECONDS - started))"

if [ ${#failed[@]} -gt 0 ]; then
  for name in "${failed[@]}"; do
    echo "==== $name: $out/logs/$name.log"
    grep -E -A 30 'ERROR|runtime error|SUMMARY' "$out/logs/$name.log" | head -n 60
  done
  echo "fuzz: ${#failed[@]} target(s) failed; inputs in $out/artifacts/"
  exit 1
fi
echo "fuzz: OK"
