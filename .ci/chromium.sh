#!/usr/bin/env bash
# Sourced by .ci/run: installs Debian's Chromium for the browser tests (test/browser), which
# playwright-core drives at /usr/bin/chromium. No npm package downloads a browser.
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
CHROMIUM_PATH="$(command -v chromium)"
export CHROMIUM_PATH
echo "== $("$CHROMIUM_PATH" --version 2>/dev/null)"
