#!/usr/bin/env bash
# Search benchmark (issue 3): datastore_search with one equality filter on a
# 1,000,000-row table (with and without include_total), and package_search
# over 10,000 datasets with two facets, uncached (every request a distinct
# query) and cached (one query repeated); wrk from a second process, SQLite.
# Usage: bench/search.sh [ROWS] [DATASETS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
datasets=${2:-10000}
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
export RUST_LOG=warn
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p pendopo --example datastore_import
cargo build --release --quiet -p pendopo

BENCH_DATASETS=$datasets target/release/examples/datastore_import "$rows" "" "" "$work/data" | tee "$work/setup.txt"
rid=$(awk '/resource_id:/ {print $2}' "$work/setup.txt")
target/release/pendopo --data-dir "$work/data" serve --listen 127.0.0.1:18282 >/dev/null &
server=$!
until curl -sf http://127.0.0.1:18282/healthz >/dev/null; do sleep 0.1; done

filter=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("{\"desa\":\"Desa 17\"}"))')
ds="http://127.0.0.1:18282/api/3/action/datastore_search?resource_id=$rid&filters=$filter&limit=10"
curl -s "$ds&include_total=true" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("rows matching the filter:", r["total"])'
echo "== datastore_search, one equality filter, include_total=false"
wrk -t1 -c4 -d15s --latency "$ds&include_total=false" | grep -E "Requests/sec|50%|90%|99%"
echo "== datastore_search, one equality filter, include_total=true"
wrk -t1 -c4 -d15s --latency "$ds&include_total=true" | grep -E "Requests/sec|50%|90%|99%"
ps="http://127.0.0.1:18282/api/3/action/package_search?q=padi&fq=license_id:cc-by-4.0&facet.field=%5B%22organization%22,%22tags%22%5D"
curl -s "$ps&rows=10" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("package_search count:", r["count"], "facets:", list(r["search_facets"]))'
echo "== package_search, first request of a query (not cached), one at a time"
for i in 1 2 3 4 5; do curl -s -o /dev/null -w "%{time_total}s\n" "$ps&rows=10&facet.limit=$((60 + i))"; done
echo "== package_search over $datasets datasets, two facets, uncached: every request a distinct query (bench/search_distinct.lua)"
wrk -t1 -c4 -d15s --latency -s bench/search_distinct.lua "$ps" | grep -E "Requests/sec|50%|90%|99%"
echo "== package_search over $datasets datasets, two facets, the same query again and again (cached)"
wrk -t1 -c4 -d15s --latency "$ps&rows=10" | grep -E "Requests/sec|50%|90%|99%"
