#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs them one
# after the other: the task grammar (two thirds of the time) and
# gh_table_open on crafted segment headers (one third).
# Usage: bash native/test/fuzz.sh [seconds]   (default 60, the total)
# Installs clang with apt-get when it is missing. Exits non-zero when the
# build fails or a fuzzer finds a crash; the last line is always
# "fuzz: N passed, N failed", one count per target.
set -u
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
GRAMMAR_SECONDS=$(( SECONDS_TO_RUN * 2 / 3 )); [ "$GRAMMAR_SECONDS" -ge 1 ] || GRAMMAR_SECONDS=1
HEADER_SECONDS=$(( SECONDS_TO_RUN - GRAMMAR_SECONDS )); [ "$HEADER_SECONDS" -ge 1 ] || HEADER_SECONDS=1
TARGETS="fuzz_task_grammar fuzz_table_header"
dir=build/fuzz
mkdir -p build
result() { echo "fuzz: $1 passed, $2 failed"; exit "$3"; }

if ! command -v clang++ >/dev/null 2>&1; then
  echo "installing clang (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq clang >/dev/null; } || { echo "apt-get install clang failed"; result 0 1 1; }
fi

if ! CC=clang CXX=clang++ cmake -S . -B "$dir" -DGH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.log" 2>&1 ||
   ! cmake --build "$dir" -j2 --target $TARGETS >>"$dir.log" 2>&1; then
  # Debian keeps the libFuzzer runtime in libclang-rt-<ver>-dev on some releases.
  ver=$(clang++ --version | sed -nE 's/.*clang version ([0-9]+).*/\1/p' | head -1)
  if [ -n "$ver" ] && ! dpkg -s "libclang-rt-$ver-dev" >/dev/null 2>&1 && apt-cache show "libclang-rt-$ver-dev" >/dev/null 2>&1; then
    echo "installing libclang-rt-$ver-dev (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-$ver-dev" >/dev/null
  fi
  if ! cmake --build "$dir" -j2 --target $TARGETS >>"$dir.log" 2>&1; then
    cat "$dir.log"; echo "fuzz: build failed"; result 0 2 1
  fi
fi

# Seed corpus and dictionary, written fresh each run (the corpus directory
# keeps what earlier runs found).
mkdir -p "$dir/corpus" "$dir/seeds" "$dir/artifacts"
i=0
while IFS= read -r line; do
  printf '%s' "$line" >"$dir/seeds/seed$i"; i=$((i+1))
done <<'SEEDS'
terminate session 678
terminate session ZGVmYXVsdC13ZWJzZWFsZC1ob3N0AA==_AAAAAgAAACw+Zm9v/2Jhcg==:
terminate session ab_defghijklmnopqrs-uv
terminate all_sessions dlucas
terminate all_sessions "Mary Jones"
refresh all_sessions "Mary \"MJ\" Jones"
refresh all_sessions "DOMAIN\\Mary"
help
help terminate all_sessions
signout all_sessions
list sessions "Grüße Jürgen"
list sessions "pattern"
list sessions pattern *ons* 100
session terminate session 678 ibm.com
session terminate all_sessions sec_m* ibm.com
session list "山田 *" 100 ibm.com
replica set list
replica set show ibm.com
server task default-webseald-cruz terminate all_sessions dlucas
SEEDS
cat >"$dir/task.dict" <<'DICT'
"terminate"
"refresh"
"signout"
"help"
"list"
"sessions"
"session"
"all_sessions"
"pattern"
"replica"
"set"
"show"
"server"
"task"
"\x22"
"\x5c\x22"
"\x5c\x5c"
"_"
"=="
"AA=="
"100000"
"\x09"
"\xc3\xbc"
DICT

passed=0; failed=0
# run_fuzzer <target> <seconds> <libFuzzer options and corpus directories...>
# (new inputs go to the first directory)
run_fuzzer() {
  local target=$1 secs=$2; shift 2
  echo "== $target for ${secs}s"
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$@" 2>&1 | tee "$dir/$target.log" |
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|.*(crash|leak|deadly|timeout|fuzz_[a-z_]+:))'
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    tail -40 "$dir/$target.log"
    echo "fuzz: $target exited $rc; reproducer in $dir/artifacts/"
    failed=$((failed+1))
  else
    passed=$((passed+1))
  fi
}

run_fuzzer fuzz_task_grammar "$GRAMMAR_SECONDS" -max_len=4096 -dict="$dir/task.dict" "$dir/corpus" "$dir/seeds"
# Header inputs: flags, a size change, then bytes XORed over the header (see
# test/fuzz_table_header.cpp); the empty input is a sound segment.
mkdir -p "$dir/header-corpus"
run_fuzzer fuzz_table_header "$HEADER_SECONDS" -max_len=600 "$dir/header-corpus"
[ "$failed" -eq 0 ] && result "$passed" 0 0
result "$passed" "$failed" 1
