#!/usr/bin/env bash
# Runs every test of the workspace. First installs, when missing, the tools
# that the tests check our work against: Prometheus and promtool (Debian's
# `prometheus` package), Alertmanager (`prometheus-alertmanager`), Python's
# official `prometheus_client` parser and the official `openai` client.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "installing Debian's prometheus package (server and promtool)"
  apt_install prometheus
fi
if ! command -v prometheus-alertmanager >/dev/null; then
  echo "installing Debian's prometheus-alertmanager package"
  apt_install prometheus-alertmanager
fi
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
  echo "installing Python's prometheus_client"
  python3 -m pip install --quiet prometheus-client 2>/dev/null || apt_install python3-prometheus-client
fi
if ! python3 -c 'import openai' 2>/dev/null; then
  echo "installing Python's openai client"
  python3 -m pip install --quiet openai 2>/dev/null || apt_install python3-openai
fi

cargo test --workspace "$@"
