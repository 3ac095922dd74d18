#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/src/browser), once: does nothing
# when /usr/bin/chromium is there, and only says so when not root (the tests then skip).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'present') at /usr/bin/chromium"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium: not installed, and installing it needs root (apt-get install chromium); the browser tests will skip"
  exit 0
fi
echo "chromium: installing Debian's package (apt-get install chromium)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: $(/usr/bin/chromium --version)"
