#!/usr/bin/env bash
# Builds and runs the native tests three ways: plain, AddressSanitizer +
# UndefinedBehaviorSanitizer, and ThreadSanitizer. Prints one
# "native: N passed, N failed" line summing every test binary's result.
set -u
cd "$(dirname "$0")/.."
STRESS_SECONDS=${GH_STRESS_SECONDS:-5}
passed=0; failed=0
run_variant() {
  local variant=$1 sanitize=$2 dir=build/$1
  cmake -S . -B "$dir" -DGH_SANITIZE="$sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || { failed=$((failed+1)); return; }
  if ! cmake --build "$dir" -j2 >"$dir.log" 2>&1; then
    cat "$dir.log"; echo "native[$variant]: build failed"; failed=$((failed+1)); return
  fi
  for bin in table_test eviction_test c_api_test task_grammar_test task_exec_test task_c_api_test "stress_test $STRESS_SECONDS"; do
    echo "== native[$variant] $bin"
    out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$dir"/$bin 2>&1); rc=$?
    echo "$out"
    line=$(echo "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -n "$line" ]; then
      p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
      passed=$((passed+p)); failed=$((failed+f))
      # A sanitizer report makes the binary exit non-zero even if checks passed.
      if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed+1)); echo "native[$variant] $bin: exit $rc (sanitizer report?)"; fi
    else
      failed=$((failed+1)); echo "native[$variant] $bin: crashed (exit $rc)"
    fi
  done
}
run_variant plain none
run_variant asan address
run_variant tsan thread
echo "native: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
