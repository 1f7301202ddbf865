#!/usr/bin/env bash
# bench/task.sh -- `npm run bench:task`: parse + execute throughput of the task
# engine (native/bench/task_bench.cpp), Release build in native/build/bench.
set -euo pipefail
cd "$(dirname "$0")/../native"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j2 --target task_bench >/dev/null
exec build/bench/task_bench "$@"
