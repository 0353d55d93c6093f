#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   1. install build and runtime dependencies (scripts/setup.sh, idempotent);
#   2. build everything with -Werror into build/;
#   3. check formatting (clang-format) and lint (clang-tidy);
#   4. run every CTest test: unit, loopback, integration and e2e (the real stack is started once
#      by the `stack` fixture and stopped at the end);
#   5. build again with clang, AddressSanitizer + UndefinedBehaviorSanitizer and the fuzz targets
#      into build-asan/ (without the stack's tests) and run the unit and loopback tests there;
#   6. run each fuzz target for a few seconds (scripts/fuzz.sh; the longer run's figures are in
#      docs/RELIABILITY.md).
# Steps 3 and 5's build run beside step 4 at the lowest CPU priority: the tests against the stack
# mostly wait (for Swarm, for RabbitMQ), so the compilers use the cores they leave idle without
# slowing them. Their output goes to logs, printed when they fail.
# Any failure stops the run with a non-zero exit code.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

started=$SECONDS
# Each step's heading says how long the run has taken so far, so the slow steps show in CI logs.
step() { printf '\n==== [%4ds] %s\n' "$((SECONDS - started))" "$*"; }
# Background steps still running when the run ends (a failure) are stopped with it.
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT

# Waits for the background step `pid`; on failure prints its log and stops the run.
await() {
  local pid=$1 name=$2 log=$3
  if ! wait "$pid"; then
    step "$name failed; its log:"
    tail -n 200 "$log"
    exit 1
  fi
  step "$name: done"
}

step "setup"
bash scripts/setup.sh

step "build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAIEV_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "format and lint, and the sanitizer build, in the background at the lowest priority"
nice -n 19 bash scripts/lint.sh build >build/lint.log 2>&1 &
lint_pid=$!
(
  # Without the page (-DMAIEV_WEB=OFF: no second npm ci), which also builds that variant. Clang
  # (the fuzz targets need libFuzzer), so the code is also checked by a second compiler.
  cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DMAIEV_WERROR=ON -DMAIEV_SANITIZE=ON -DMAIEV_FUZZ=ON -DMAIEV_BENCH=OFF \
    -DMAIEV_STACK_TESTS=OFF -DMAIEV_WEB=OFF >/dev/null
  nice -n 19 cmake --build build-asan -j "$jobs"
) >build/asan-build.log 2>&1 &
asan_pid=$!

step "tests: unit, loopback, integration, e2e"
ctest --test-dir build --output-on-failure -j "$jobs"

step "waiting for the lint"
await "$lint_pid" "format and lint" build/lint.log
tail -n 3 build/lint.log

step "waiting for the sanitizer build"
await "$asan_pid" "sanitizer build" build/asan-build.log

step "unit and loopback tests under AddressSanitizer + UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'unit|loopback'

step "fuzzing: each target for a few seconds (built with the sanitizer build)"
bash scripts/fuzz.sh 5
step "done"
