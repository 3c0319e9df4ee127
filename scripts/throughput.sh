#!/usr/bin/env bash
# Measures what recording costs the example gateway: its throughput under
# wrk on loopback with recording on, and with `--no-recording`, in
# alternating rounds (on/off, then off/on, ...) so that drifts of a shared
# machine fall on both sides alike. Prints requests per second of every
# round and the gateway's CPU time per request (user + system, from
# /proc), the median of each side, and the ratios. The CPU time is the
# steadier figure: wrk shares the two cores, so throughput also moves with
# how the scheduler places wrk. A measurement, not a test:
# it asserts nothing about speed, only that no request failed.
# Usage: scripts/throughput.sh [ROUNDS] [SECONDS]   (default 6 rounds of 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gateway.sh

rounds=${1:-6}
seconds=${2:-10}
connections=32

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
cargo build --quiet --release --example gateway

dir=$(mktemp -d)
gateway_pid=
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

write_unlimited_config "$dir/gateway.toml"

# One round: starts a gateway ($1: on or off), warms it up for 2 s, then
# loads it for $seconds and prints its requests per second.
round() {
  if [ "$1" = off ]; then start_gateway "$dir" --no-recording; else start_gateway "$dir"; fi
  wrk -t1 -c$connections -d2s -s scripts/throughput.lua "$url" >/dev/null
  local ticks_before ticks_after
  ticks_before=$(cpu_ticks "$gateway_pid")
  wrk -t1 -c$connections -d${seconds}s -s scripts/throughput.lua "$url" >"$dir/wrk"
  ticks_after=$(cpu_ticks "$gateway_pid")
  local line
  line=$(grep '^wrk: ' "$dir/wrk")
  echo "$line" | grep -q 'non2xx=0 socket_errors=0' || { echo "FAIL: errors under load: $line"; exit 1; }
  # Both sides must be what they claim: the recording gateway counted at
  # least the requests of the measured run, the other one none.
  local counted requests
  counted=$(curl -s "$url/metrics" | requests_counted)
  requests=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')
  if [ "$1" = on ]; then
    [ "$counted" -ge "$requests" ] || { echo "FAIL: recording on, $counted counted for $requests"; exit 1; }
  else
    [ "$counted" -eq 0 ] || { echo "FAIL: recording off, yet $counted counted"; exit 1; }
  fi
  kill "$gateway_pid"
  wait "$gateway_pid" 2>/dev/null || true
  gateway_pid=
  echo "$line" | awk -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" \
    '{ split($2, r, "="); split($3, s, "="); printf "%.0f %.2f\n", r[2] / s[2], 1e6 * ticks / hz / r[2] }'
}

# User + system CPU time of process $1 so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$dir/on"
: >"$dir/off"
for i in $(seq "$rounds"); do
  if [ $((i % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
  for mode in $order; do
    read -r rps cpu < <(round "$mode")
    echo "$rps" >>"$dir/$mode.rps"
    echo "$cpu" >>"$dir/$mode.cpu"
    echo "round $i, recording $mode: $rps requests/s, $cpu us of gateway CPU per request"
  done
done
on=$(median <"$dir/on.rps")
off=$(median <"$dir/off.rps")
on_cpu=$(median <"$dir/on.cpu")
off_cpu=$(median <"$dir/off.cpu")
echo "medians: recording on $on requests/s, $on_cpu us CPU per request; recording off $off requests/s, $off_cpu us CPU per request"
awk -v on="$on" -v off="$off" -v on_cpu="$on_cpu" -v off_cpu="$off_cpu" 'BEGIN {
  printf "throughput on / off: %.4f (lost to recording: %.2f%%)\n", on / off, 100 * (1 - on / off)
  printf "CPU per request on / off: %.4f (recording adds %.2f us, %.2f%%)\n", on_cpu / off_cpu, on_cpu - off_cpu, 100 * (on_cpu / off_cpu - 1)
}'
# The two sides of one round ran seconds apart, so their ratio
# is spared most of the host's drift: its median and quartiles over the
# rounds say how far the figures above can be trusted.
paste "$dir/on.rps" "$dir/off.rps" | awk '{ print $1 / $2 }' | sort -n >"$dir/ratios"
awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "per round, throughput on / off: median %.4f (lost: %.2f%%), quartiles %.4f to %.4f\n", m, 100 * (1 - m), v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)]
}' "$dir/ratios"
