#!/usr/bin/env bash
# Loads the example gateway (release build) with wrk until it has served a
# million requests, each from a tenant never seen before, while /metrics is
# scraped twice a second. Then checks that:
#   - every scrape answered 200 within 5 s (a liveness bound, not a
#     performance claim);
#   - the requests counted add up to the requests wrk completed (plus at
#     most the requests in flight when each wrk round was cut off);
#   - the requests family kept its series limit (10,000 plus the overflow
#     series), and the gateway's peak memory stayed under 256 MiB;
#   - promtool accepts the final scrape.
# Usage: scripts/load.sh [REQUESTS]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gateway.sh

target=${1:-1000000}
connections=64
round_seconds=10
max_rounds=20

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
cargo build --quiet --release --example gateway

dir=$(mktemp -d)
gateway_pid=
scraper_pid=
cleanup() {
  [ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null || true
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

write_unlimited_config "$dir/gateway.toml"

start_gateway "$dir"

# Scrapes twice a second; one line per scrape: HTTP status and seconds.
(
  while true; do
    curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' "$url/metrics" >>"$dir/scrapes" || echo "timeout 5" >>"$dir/scrapes"
    sleep 0.5
  done
) &
scraper_pid=$!

recorded() {
  curl -s -m 30 "$url/metrics" | requests_counted
}

completed=0
rounds=0
started=$(date +%s)
while [ "$rounds" -lt "$max_rounds" ] && [ "$(recorded)" -lt "$target" ]; do
  rounds=$((rounds + 1))
  wrk -t2 -c$connections -d${round_seconds}s --timeout 5s -s scripts/load.lua "$url" -- "$rounds" >"$dir/wrk.$rounds"
  line=$(grep '^wrk: ' "$dir/wrk.$rounds")
  echo "round $rounds: $line"
  requests=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')
  non2xx=$(echo "$line" | sed 's/.*non2xx=\([0-9]*\).*/\1/')
  errors=$(echo "$line" | sed 's/.*socket_errors=\([0-9]*\).*/\1/')
  [ "$non2xx" -eq 0 ] && [ "$errors" -eq 0 ] || { echo "FAIL: errors under load"; cat "$dir/wrk.$rounds"; exit 1; }
  completed=$((completed + requests))
done
elapsed=$(( $(date +%s) - started ))
kill "$scraper_pid"; scraper_pid=

curl -s "$url/metrics" >"$dir/final"
total=$(requests_counted <"$dir/final")
tenants=$(grep '^aigateway_requests_total{' "$dir/final" | sed 's/.*tenant_id="\([^"]*\)".*/\1/' | sort -u | wc -l)
overflow=$(grep '^aigateway_requests_total{tenant_id="__overflow__"' "$dir/final" | awk '{ s += $NF } END { printf "%d\n", s }')
peak_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$gateway_pid/status")
scrapes=$(wc -l <"$dir/scrapes")
slowest=$(sort -k2 -n "$dir/scrapes" | tail -n 1)
bad_scrapes=$(awk '$1 != 200' "$dir/scrapes" | wc -l)

echo "requests: $completed completed by wrk in $rounds rounds ($elapsed s), $total counted by the gateway, all from distinct tenants"
echo "series of aigateway_requests_total: $tenants tenant values (the overflow series holds $overflow requests)"
echo "scrapes during the load: $scrapes, slowest: $slowest (status seconds), failed: $bad_scrapes"
echo "gateway peak memory: $((peak_kib / 1024)) MiB"

fail=0
[ "$total" -ge "$target" ] || { echo "FAIL: fewer than $target requests counted"; fail=1; }
[ "$total" -ge "$completed" ] && [ "$((total - completed))" -le "$((rounds * connections))" ] ||
  { echo "FAIL: $total counted for $completed completed"; fail=1; }
[ "$tenants" -le 10001 ] || { echo "FAIL: $tenants tenant values, over the series limit"; fail=1; }
[ "$bad_scrapes" -eq 0 ] || { echo "FAIL: $bad_scrapes scrapes failed or took over 5 s"; fail=1; }
[ "$peak_kib" -lt $((256 * 1024)) ] || { echo "FAIL: peak memory over 256 MiB"; fail=1; }
promtool check metrics <"$dir/final" >"$dir/promtool" 2>&1 || { echo "FAIL: promtool:"; head "$dir/promtool"; fail=1; }
[ "$fail" -eq 0 ] && echo "load: ok"
exit "$fail"
