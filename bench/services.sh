#!/usr/bin/env bash
# Public services benchmark (issue 11): filing through Open311 POST on
# SQLite (each POST a new case with its deadline job, receipt and the
# figures' refresh in one transaction), and the IKM report of a service
# with 10,000 responses. The dashboard and the staff inbox: bench/cases.sh.
# Usage: bench/services.sh   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
# PENDOPO_BIN: a binary already built (the release one by default).
source bench/demo_server.sh 18311
export PENDOPO_TOKEN=$token

echo "== Open311 POST requests.json: each a new case (wrk 2 threads, 16 connections, 20 s)"
wrk -t2 -c16 -d20s --latency -s bench/open311_post.lua "$base" 2>&1 | tee "$work/post.txt"
python3 - "$work" <<'PY'
import glob, sqlite3, sys
db = sqlite3.connect(sorted(glob.glob(sys.argv[1] + "/*.db"))[0])
n, = db.execute("SELECT COUNT(*) FROM service_cases c JOIN services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id WHERE s.code = 'SAMPAH'").fetchone()
print(f"SAMPAH cases in the store after the run: {n}")
PY

echo "== IKM of one service with 10,000 responses (GET /api/v1/ikm, wrk 2 threads, 8 connections, 15 s)"
python3 - "$base" "$token" <<'PY'
import json, random, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
random.seed(11)
for batch in range(10):
    rows = [{"service": "PPID", "date": "2026-06-%02d" % (1 + i % 28),
             "answers": [random.choice([2, 3, 3, 4, 4]) for _ in range(9)]} for i in range(1000)]
    req = urllib.request.Request(base + "/api/v1/ikm/responses", data=json.dumps({"responses": rows}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": token})
    assert urllib.request.urlopen(req).status == 201
print("stored 10,000 responses for PPID")
PY
q="/api/v1/ikm?service=PPID&from=2026-06-01&to=2026-06-30"
curl -sf "$base$q"; echo
wrk -t2 -c8 -d15s --latency "$base$q"
echo "== the same, one request at a time (wrk 1 thread, 1 connection, 10 s)"
wrk -t1 -c1 -d10s --latency "$base$q"
