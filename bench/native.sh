#!/usr/bin/env bash
# bench/native.sh -- `npm run bench:table` (native half): builds the Release
# table benchmark into native/build/bench and runs it. Arguments are passed
# through (--quick: 100,000 instead of 1,000,000 sessions, for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/../native"
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j2 --target table_bench >/dev/null
exec build/bench/table_bench "$@"
