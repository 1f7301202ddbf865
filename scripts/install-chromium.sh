#!/usr/bin/env bash
# install-chromium.sh -- puts Debian's `chromium` on this machine for the
# browser test (test/browser.test.ts drives it through playwright-core, which
# downloads no browser of its own). Idempotent: does nothing when a chromium
# is already on PATH. Needs root (CI and the dev machines run as root) or sudo.
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  echo "install-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is set; nothing to install"
  exit 0
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "install-chromium: $(command -v chromium || command -v chromium-browser) already present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: not root and no sudo; install the Debian package 'chromium' by hand" >&2
    exit 1
  fi
fi

start=$(date +%s)
# env, not export: sudo would drop an exported variable.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# Recommends included: the same set the browser test was verified with (fonts, mesa).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
echo "install-chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown')) in $(( $(date +%s) - start )) s"
