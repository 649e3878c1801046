#!/usr/bin/env bash
# Regency budget benchmark (issue 12): import of a 50,000-line SIPD sheet
# (5,000 sub-kegiatan of ten account lines, realisation in each quarter)
# through POST /api/v1/apbd/{year}/import, then the tree with those 5,000
# sub-kegiatan read at every level (API and page, the sub-kegiatan level a
# page at a time) on SQLite.
# Usage: bench/budgets.sh   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
# PENDOPO_BIN: a binary already built (the release one by default).
source bench/demo_server.sh 18312

echo "== a SIPD sheet: 5,000 sub-kegiatan x 10 lines = 50,000 lines, amounts as 'Rp 1.234.000'"
python3 - "$work/apbd.csv" <<'PY'
import random, sys
random.seed(12)
rp = lambda v: "Rp " + f"{v:,}".replace(",", ".")
out = open(sys.argv[1], "w")
out.write("Kode SKPD;Nama SKPD;Kode Sub Kegiatan;Nama Sub Kegiatan;Kode Rekening;Uraian;Pagu;Realisasi TW I;Realisasi TW II;Realisasi TW III;Realisasi TW IV\n")
n = 0
for urusan in (1, 2):
    for bidang in range(1, 11):
        opd = f"{urusan}.{bidang:02d}.0.00.0.00.01.0000"
        for program in range(2, 7):
            for kegiatan in range(1, 6):
                for sub in range(1, 11):
                    code = f"{urusan}.{bidang:02d}.{program:02d}.2.{kegiatan:02d}.{sub:04d}"
                    for line in range(1, 11):
                        plan = random.randrange(10_000, 1_000_000) * 1000
                        q = [plan * random.randrange(10, 30) // 100 // 1000 * 1000 for _ in range(4)]
                        out.write(f"{opd};Dinas {urusan}.{bidang:02d};{code};Sub kegiatan {code};5.1.02.01.01.{line:04d};Belanja {line};{rp(plan)};{';'.join(map(str, q))}\n")
                        n += 1
print(n, "lines")
PY
ls -l "$work/apbd.csv"

echo "== import (one request: read, check, multi-row INSERTs of at most 400 parameters, one transaction)"
for i in 1 2 3; do
  curl -s -o "$work/import.json" -w "import %{http_code} in %{time_total} s\n" -X POST \
    -H "Authorization: Bearer $token" --data-binary @"$work/apbd.csv" "$base/api/v1/apbd/2030/import?version=apbd"
done
cat "$work/import.json"; echo

# The sub-kegiatan level is paged (100 nodes a page by default, at most
# 1,000): its first page, a page in the middle, the largest page, and the
# page of the site at a middle offset.
for q in "/api/v1/apbd/2030" "/api/v1/apbd/2030?code=1.05.04" "/api/v1/apbd/2030?code=2.07.03.2.04" \
         "/api/v1/apbd/2030?level=sub_kegiatan" "/api/v1/apbd/2030?level=sub_kegiatan&offset=2500" \
         "/api/v1/apbd/2030?level=sub_kegiatan&limit=1000&offset=4000" "/api/v1/apbd/2030?agency=1.03.0.00.0.00.01.0000" \
         "/anggaran/2030" "/anggaran/2030?code=1.05.04.2.02" "/anggaran/2030?level=sub_kegiatan&offset=2500" \
         "/anggaran/2030/sub-kegiatan/1.05.04.2.02.0007"; do
  echo "== GET $q (wrk 2 threads, 8 connections, 10 s)"
  curl -sf -o /dev/null -w "%{http_code} %{size_download} bytes\n" "$base$q"
  wrk -t2 -c8 -d10s --latency "$base$q" | grep -E 'Latency|50%|99%|Requests/sec'
done
