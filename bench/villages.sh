#!/usr/bin/env bash
# Villages benchmark (issue 12): the comparison of all 430 Bojonegoro
# villages (the /desa table page with its chart and ranking, and
# GET /api/v1/desa), over the demo's APBDes 2024-2026, IDM and
# transparency items on SQLite.
# Usage: bench/villages.sh   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
port=18312
source bench/prelude.sh $port

echo "== the Bojonegoro demo on SQLite"
started=$(date +%s.%N)
"$bin" --data-dir "$work" serve --demo --listen 127.0.0.1:$port >"$work/serve.log" 2>&1 &
server=$!
wait_for_server
echo "demo served after $(python3 -c "import time,sys; print(round(time.time()-float(sys.argv[1]),1))" "$started") s"
rows=$(curl -sf "$base/api/v1/desa?year=2025" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))')
echo "villages compared: $rows"

# The page draws the map by kecamatan (Dana Desa per resident by default;
# `peta=idm` another measure).
for path in "/desa?tahun=2025" "/desa?tahun=2025&urut=dana_desa&arah=turun" "/desa?tahun=2025&peta=idm" "/api/v1/desa?year=2025"; do
  echo "== GET $path (wrk 2 threads, 8 connections, 15 s)"
  wrk -t2 -c8 -d15s --latency "$base$path"
  echo "== the same, one request at a time (wrk 1 thread, 1 connection, 10 s)"
  wrk -t1 -c1 -d10s --latency "$base$path"
done
