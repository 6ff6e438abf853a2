#!/usr/bin/env bash
# HTTP load on loopback with wrk: market reads and durable writes (trades and steps, each answered
# after its commit) against the release server, at peak and at about half of peak, with latency
# percentiles. Usage: bash server/bench/http-load.sh [seconds per measurement, default 10]
# [sqlite | postgres] (postgres: a throwaway PostgreSQL from scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
store=${2:-sqlite}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q -p vectrade-server
source scripts/local-server.sh
if [ "$store" = postgres ]; then
  source scripts/postgres.sh
  start_postgres
  trap 'stop_server; stop_postgres' EXIT
  psql "$postgres_url" -qc "CREATE DATABASE vectrade_bench"
  start_server target/release/vectrade-server "${postgres_url%/*}/vectrade_bench"
  described="PostgreSQL $("$postgres_bin/postgres" --version | awk '{print $3}') on loopback, synchronous_commit=on, group commit"
else
  trap stop_server EXIT
  start_server target/release/vectrade-server
  described="SQLite WAL, synchronous=FULL, group commit"
fi
dir=$server_dir
target/release/vectrade-server plan --db "$server_db" "$account" pro >/dev/null
# 48 fresh runs of 2,160 hourly steps each: enough steps for a measurement's writes.
new_runs() {
  local list="" id
  for _ in $(seq 48); do
    id=$(curl -sf -X POST "$base/api/v1/runs" -H "X-API-Key: $key" -H 'Content-Type: application/json' \
      -d '{"scenario_slug": "crypto-majors-2024-q3"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["id"])')
    list="$list${list:+,}$id"
  done
  echo "$list"
}
runs=$(new_runs)
first=${runs%%,*}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); server and wrk share it"
echo "store: $described"
# measure NAME CONNS RATE SCRIPT: prints one line and leaves the achieved rate in $dir/rate.
measure() {
  local name=$1 c=$2 rate=$3 script=$4
  RATE=$rate CONNS=$c wrk -t 2 -c "$c" -d "${secs}s" --latency -s "$script" "$base" 2>&1 | awk -v n="$name" -v c="$c" -v f="$dir/rate" '
    /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /non-2xx or failed/ {bad=$0}
    END {printf "%-30s %3d conns %8.0f req/s  p50 %8s  p99 %8s  %s\n", n, c, rps, p50, p99, bad; printf "%d\n", rps > f}'
}
export KEY=$key RUN=$first RUNS=$runs
measure "market reads, peak" 64 0 server/bench/reads.lua
half() { echo $(( $(cat "$dir/rate") / 2 )); }
# At half of peak: enough connections that each waits about 5 ms between requests.
conns_for() { echo $(( ($1 * 5 + 999) / 1000 )); }
r=$(half); measure "market reads, half of peak" "$(conns_for "$r")" "$r" server/bench/reads.lua
RUNS=$(new_runs) measure "durable writes, peak" 64 0 server/bench/writes.lua
r=$(half); RUNS=$(new_runs) measure "durable writes, half of peak" "$(conns_for "$r")" "$r" server/bench/writes.lua
