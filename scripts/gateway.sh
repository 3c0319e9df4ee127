# Sourced by scripts/load.sh and scripts/throughput.sh: the example gateway
# (release build) with limits too high to get in the way, on a free port.

# Writes to $1 a configuration with one instant simulated provider and no
# rate limit or budget that load could reach.
write_unlimited_config() {
  cat >"$1" <<'TOML'
[defaults]
rate_limit_rps = 1000000.0
rate_limit_burst = 1000000
budget_usd = 1000000.0

[[providers]]
name = "openai"
latency_ms = 0
token_interval_ms = 0
failure_threshold = 5
cooldown_ms = 10000
models = [{ name = "gpt-4o-mini", input_usd_per_mtok = 0.15, output_usd_per_mtok = 0.60 }]
TOML
}

# start_gateway DIR [FLAG...]: starts the gateway on DIR/gateway.toml, its
# output in DIR/gateway.out; sets gateway_pid, and url once it listens.
start_gateway() {
  local dir=$1
  shift
  target/release/examples/gateway --listen 127.0.0.1:0 --config "$dir/gateway.toml" "$@" >"$dir/gateway.out" 2>&1 &
  gateway_pid=$!
  url=
  for _ in $(seq 50); do
    url=$(sed -n 's/^gateway listening on //p' "$dir/gateway.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the gateway did not start:"; cat "$dir/gateway.out"; exit 1; }
}

# The requests counted in the exposition on standard input.
requests_counted() {
  awk '/^aigateway_requests_total\{/ { s += $NF } END { printf "%d\n", s }'
}
