#!/usr/bin/env bash
# NGSI-LD broker benchmark (issue 13), SQLite, release build, load from a
# second process (bench/sensors_load.py, then wrk for single updates):
# batch upserts, partial attribute updates over HTTP, type+q and near
# queries over 100,000 entities, daily aggregation of a year of 5-minute
# data, and the start-up time with 100,000 entities.
# Usage: bench/sensors.sh   (needs wrk: apt-get install wrk; BENCH_PORT=N for
# another port than 18324, when two runs share a machine)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BENCH_PORT:-18324}
source bench/prelude.sh $port

"$bin" --data-dir "$work" init --region 35.22 --default >/dev/null
"$bin" --data-dir "$work" user add --email bench@bojonegoro.go.id --password bench-password-1 --role walidata >/dev/null
token=$("$bin" --data-dir "$work" token create --email bench@bojonegoro.go.id)
export PENDOPO_TOKEN=$token
start_server() {
  local t0
  t0=$(date +%s.%N)
  "$bin" --data-dir "$work" serve --listen 127.0.0.1:$port >>"$work/serve.log" 2>&1 &
  server=$!
  wait_for_server
  echo "server answering after $(echo "$(date +%s.%N) - $t0" | bc) s"
}
start_server

echo "== load and queries (bench/sensors_load.py)"
python3 bench/sensors_load.py 127.0.0.1 $port "$token" "$server"

# The server's user + system CPU seconds so far.
cpu() { awk '{print ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$server/stat"; }
echo "== single partial attribute updates over HTTP (wrk 2 threads, 16 connections, 15 s)"
cpu0=$(cpu)
wrk -t2 -c16 -d15s --latency -s bench/sensors_patch.lua "$base" | tee "$work/wrk.txt"
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
echo "server CPU $(echo "($(cpu) - $cpu0) * 1000000 / $requests" | bc) µs per PATCH (load average $(cut -d' ' -f1-3 /proc/loadavg))"

echo "== start-up with 100,000 entities"
kill "$server"; wait "$server" 2>/dev/null || true
start_server
curl -sf "$base/ngsi-ld/v1/entities?type=WaterObserved&limit=1&count=true" -o /dev/null -D - | grep -i ngsild-results-count
