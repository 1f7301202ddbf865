#!/usr/bin/env bash
# install-test-deps.sh -- the Debian packages the tests need beyond Node:
# cmake and a compiler (native tests), libcurl (the ivadminapi.h client
# library), openssl (test certificates), chromium (the browser test),
# redis-server and redis-cli (the distributed session cache tests).
# Installs only what is missing; `npm test` runs it first (pretest) so the
# README's test command works on a fresh machine, and .ci/run calls it too.
set -euo pipefail
need=()
for pair in cmake:cmake g++:g++ make:make python3:python3 pkg-config:pkg-config openssl:openssl chromium:chromium redis-server:redis-server redis-cli:redis-tools; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${need[*]} and no apt-get here: install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-test-deps: installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
