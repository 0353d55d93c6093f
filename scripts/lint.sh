#!/usr/bin/env bash
# Format and lint checks. Usage: scripts/lint.sh BUILD_DIR
#   - clang-format: every tracked C++ file must already be formatted (no drift);
#   - clang-tidy: every library/tool source (not tests) against BUILD_DIR/compile_commands.json;
#     fuzz/*.cpp are left out: they are built only by clang (scripts/fuzz.sh, with -Werror), so
#     BUILD_DIR's database has no command for them.
# Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

mapfile -t cxx_files < <(git ls-files --cached --others --exclude-standard \
  '*.cpp' '*.hpp' '*.h' '*.cc' | sort -u)
echo "lint: clang-format on ${#cxx_files[@]} files"
clang-format --dry-run --Werror "${cxx_files[@]}"

mapfile -t tidy_files < <(printf '%s\n' "${cxx_files[@]}" | grep -E '\.cpp$' | grep -v -E '_test\.cpp$' |
  grep -v -E '^fuzz/')
echo "lint: clang-tidy on ${#tidy_files[@]} files"
run-clang-tidy -quiet -p "$build_dir" -j "$(nproc)" "${tidy_files[@]/#/$PWD/}" \
  > "$build_dir/clang-tidy.log" 2>&1 || {
  grep -E 'error:|warning:' "$build_dir/clang-tidy.log" | sort -u | head -50
  echo "lint: clang-tidy failed (full log: $build_dir/clang-tidy.log)"
  exit 1
}
echo "lint: OK"
