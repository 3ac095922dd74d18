#!/usr/bin/env bash
# Provides promtool, for the test that checks deploy/prometheus/alerts.yml with
# `promtool check rules`. Idempotent: does nothing when promtool is on the PATH or already
# unpacked here. Otherwise it downloads Debian's `prometheus` package with apt-get and
# unpacks only its files into .tools/prometheus (nothing is installed system-wide, so no
# Prometheus server is set up or started on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

local_bin=.tools/prometheus/usr/bin/promtool
if command -v promtool >/dev/null 2>&1; then
  echo "promtool present: $(promtool --version 2>&1 | head -n 1)"
  exit 0
fi
if [ -x "$local_bin" ]; then
  echo "promtool present: $local_bin"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-promtool: apt-get not found; put Prometheus' promtool on the PATH by hand" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); then
  # The package lists may be missing on a fresh machine; refreshing them needs root.
  run=()
  if [ "$(id -u)" -ne 0 ]; then run=(sudo); fi
  "${run[@]}" apt-get update -qq
  (cd "$work" && apt-get download -qq prometheus)
fi
mkdir -p .tools/prometheus
dpkg-deb -x "$work"/prometheus_*.deb .tools/prometheus
echo "promtool unpacked: $local_bin ($("$local_bin" --version 2>&1 | head -n 1))"
