#!/usr/bin/env bash
# Datastore import benchmark (issue 3): a generated 1,000,000-row, 10-column
# CSV loaded through the upload path (check, record, typed load in one
# transaction) on SQLite and on PostgreSQL, beside sqlite3's own `.import`
# of the same file into an untyped table.
# Usage: bench/datastore.sh [ROWS] [POSTGRES_ADMIN_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
pg=${2:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RUST_LOG=warn
cargo build --release --quiet -p pendopo --example datastore_import
example=target/release/examples/datastore_import

echo "== pendopo, SQLite"
"$example" "$rows" "" "$work/bench.csv"

echo "== sqlite3 .import of the same file (no types, no checks)"
start=$(date +%s.%N)
sqlite3 "$work/plain.db" ".import --csv $work/bench.csv t"
end=$(date +%s.%N)
python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'sqlite3 .import: {t:.2f} s, {n/t:,.0f} rows/s')" "$start" "$end" "$rows"

echo "== pendopo, PostgreSQL"
db="pendopo_bench_$$"
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
"$example" "$rows" "${pg%/*}/$db" || true
psql "$pg" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
