#!/usr/bin/env bash
# Builds the libFuzzer target for the task grammar with clang (ASan + UBSan)
# and runs it. Usage: bash native/test/fuzz.sh [seconds]   (default 60)
# Installs clang with apt-get when it is missing. Exits non-zero when the
# build fails or the fuzzer finds a crash; the last line is always
# "fuzz: 1 passed, 0 failed" or "fuzz: 0 passed, 1 failed".
set -u
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
dir=build/fuzz
mkdir -p build
result() { echo "fuzz: $1 passed, $2 failed"; exit "$3"; }

if ! command -v clang++ >/dev/null 2>&1; then
  echo "installing clang (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq clang >/dev/null; } || { echo "apt-get install clang failed"; result 0 1 1; }
fi

if ! CC=clang CXX=clang++ cmake -S . -B "$dir" -DGH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.log" 2>&1 ||
   ! cmake --build "$dir" -j2 --target fuzz_task_grammar >>"$dir.log" 2>&1; then
  # Debian keeps the libFuzzer runtime in libclang-rt-<ver>-dev on some releases.
  ver=$(clang++ --version | sed -nE 's/.*clang version ([0-9]+).*/\1/p' | head -1)
  if [ -n "$ver" ] && ! dpkg -s "libclang-rt-$ver-dev" >/dev/null 2>&1 && apt-cache show "libclang-rt-$ver-dev" >/dev/null 2>&1; then
    echo "installing libclang-rt-$ver-dev (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-$ver-dev" >/dev/null
  fi
  if ! cmake --build "$dir" -j2 --target fuzz_task_grammar >>"$dir.log" 2>&1; then
    cat "$dir.log"; echo "fuzz: build failed"; result 0 1 1
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

echo "== fuzz_task_grammar for ${SECONDS_TO_RUN}s"
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$dir/fuzz_task_grammar" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -dict="$dir/task.dict" -artifact_prefix="$dir/artifacts/" \
  "$dir/corpus" "$dir/seeds" 2>&1 | tee "$dir/run.log" | grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|.*(crash|leak|deadly|timeout|fuzz_task_grammar:))' 
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  tail -40 "$dir/run.log"
  echo "fuzz: fuzzer exited $rc; reproducer in $dir/artifacts/"
  result 0 1 1
fi
result 1 0 0
