#!/usr/bin/env bash
# Installs promtool from Debian's `prometheus` package, for the test that checks
# deploy/prometheus/alerts.yml with `promtool check rules`. Idempotent: does nothing when
# promtool is already on the PATH. Needs apt-get (and root, or sudo).
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  echo "promtool present: $(promtool --version 2>&1 | head -n 1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-promtool: apt-get not found; install Prometheus' promtool by hand" >&2
  exit 1
fi
run=()
if [ "$(id -u)" -ne 0 ]; then run=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends prometheus
echo "promtool installed: $(promtool --version 2>&1 | head -n 1)"
