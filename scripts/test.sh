#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root) to a verdict:
#   1. install build and runtime dependencies (scripts/setup.sh, idempotent);
#   2. build everything with -Werror into build/;
#   3. check formatting (clang-format) and lint (clang-tidy);
#   4. run every CTest test: unit, integration and e2e (the real stack is started once by the
#      `stack` fixture and stopped at the end);
#   5. build again with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/ and run the
#      unit and loopback tests there.
# Any failure stops the run with a non-zero exit code.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

started=$SECONDS
# Each step's heading says how long the run has taken so far, so the slow steps show in CI logs.
step() { printf '\n==== [%4ds] %s\n' "$((SECONDS - started))" "$*"; }

step "setup"
bash scripts/setup.sh

step "build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAIEV_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "format and lint"
bash scripts/lint.sh build

step "tests: unit, integration, e2e"
ctest --test-dir build --output-on-failure -j "$jobs"

step "unit and loopback tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAIEV_WERROR=ON -DMAIEV_SANITIZE=ON \
  -DMAIEV_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L 'unit|loopback'
step "done"
