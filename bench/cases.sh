#!/usr/bin/env bash
# Complaints benchmark (issue 11): the public dashboard and the staff inbox
# over 100,000 cases on SQLite, p99 per page under 100 ms.
# Seeds the Bojonegoro demo (a year of ~1,800 cases with their histories),
# copies its cases to 100,000 (new ids, numbers and tokens, times shifted by
# minutes: the same year, the same mix of states, agencies and kecamatan),
# then measures each page with wrk (2 threads, 4 connections, 15 s).
# Usage: bench/cases.sh   (needs wrk and sqlite3: apt-get install wrk sqlite3)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
port=18191
source bench/prelude.sh $port

echo "== demo load"
"$bin" --data-dir "$work" serve --demo --listen 127.0.0.1:$port >"$work/serve.log" &
server=$!
wait_for_server
kill $server; wait $server 2>/dev/null || true
db=$work/pendopo.db
demo=$(sqlite3 "$db" "SELECT COUNT(*) FROM service_cases")
copies=$(( (100000 + demo - 1) / demo - 1 ))
echo "demo cases: $demo; copies: $copies"

echo "== copying the cases to 100,000"
start=$(date +%s.%N)
sqlite3 "$db" <<SQL
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < $copies)
INSERT INTO service_cases (tenant_id, id, number, service_id, kind, channel, state, description, lat, lon, address, address_id,
    media_url, attributes, reporter_name, reporter_email, reporter_phone, device_id, account_id, anonymous, confidential, token,
    stage_due, filed_by, idempotency_key, created_at, updated_at, agency_id, duplicate_of, referred_to, verified_on, desa_code,
    kecamatan_code, external_id, first_answer_at, closed_at)
SELECT tenant_id, id || '-' || n, number || '-' || n, service_id, kind, channel, state, description, lat, lon, address, address_id,
    media_url, attributes, reporter_name, reporter_email, reporter_phone, device_id, account_id, anonymous, confidential,
    token || '-' || n, stage_due, filed_by, NULL, created_at + n * 60000, updated_at + n * 60000, agency_id, duplicate_of,
    referred_to, verified_on, desa_code, kecamatan_code, NULL, first_answer_at + n * 60000, closed_at + n * 60000
FROM service_cases, k;
ANALYZE;
SQL
end=$(date +%s.%N)
printf 'cases: %s (copied in %.1f s)\n' "$(sqlite3 "$db" "SELECT COUNT(*) FROM service_cases")" "$(echo "$end - $start" | bc)"

token=$("$bin" --data-dir "$work" token create --email admin@bojonegorokab.go.id)
"$bin" --data-dir "$work" serve --listen 127.0.0.1:$port >>"$work/serve.log" &
server=$!
wait_for_server
year=$(date +%Y)

measure() {
  local name=$1 path=$2
  shift 2
  printf '\n== %s  (%s bytes)\n' "$name" "$(curl -s "$@" "$base$path" | wc -c)"
  wrk -t2 -c4 -d15s --latency "$@" "$base$path" | grep -E 'Requests/sec|^ +(50|90|99)%'
}
measure "public dashboard, the year" "/layanan/dasbor?year=$year"
measure "public dashboard, one agency and month" "/layanan/dasbor?year=$year&month=6&agency=dinas-pu-bina-marga"
measure "dashboard JSON" "/api/v1/cases/stats?year=$year"
measure "dashboard CSV" "/layanan/dasbor.csv?year=$year"
measure "weekly review" "/layanan/rekap"
measure "staff inbox page (region admin, all cases)" "/layanan/kasus" -H "Authorization: $token"
measure "staff inbox page, red cases" "/layanan/kasus?colour=red" -H "Authorization: $token"
measure "staff inbox API" "/api/v1/cases" -H "Authorization: $token"
measure "staff inbox API, one agency" "/api/v1/cases?agency=dinas-pu-bina-marga" -H "Authorization: $token"
