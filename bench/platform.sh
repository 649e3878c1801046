#!/usr/bin/env bash
# Platform benchmark (issue 2): region API throughput and latency under load,
# `init --region` for the largest regency, start-up time and idle memory.
# Usage: bench/platform.sh   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin=target/release/pendopo
work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
export RUST_LOG=warn

echo "== init --region 11.08 (Kabupaten Aceh Utara, 852 villages, the largest)"
start=$(date +%s.%N)
"$bin" --data-dir "$work/aceh" init --region 11.08
end=$(date +%s.%N)
printf 'init wall time: %.3f s\n' "$(echo "$end - $start" | bc)"

echo "== start-up: from exec to the first /healthz answer"
"$bin" --data-dir "$work/bjn" init --region 35.22 >/dev/null
start=$(date +%s.%N)
"$bin" --data-dir "$work/bjn" serve --listen 127.0.0.1:18181 >/dev/null &
server=$!
until curl -sf http://127.0.0.1:18181/healthz >/dev/null; do sleep 0.01; done
end=$(date +%s.%N)
printf 'start-up: %.3f s\n' "$(echo "$end - $start" | bc)"
sleep 1
printf 'idle RSS: %s MB\n' "$(( $(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024 ))"

echo "== GET /api/v1/wilayah/35.22.16 (a kecamatan), wrk 2 threads, 64 connections, 20 s"
wrk -t2 -c64 -d20s --latency http://127.0.0.1:18181/api/v1/wilayah/35.22.16
printf 'RSS after load: %s MB\n' "$(( $(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024 ))"
