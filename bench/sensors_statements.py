"""The statements of one batch update of bench/sensors_load.py (1,000
entities, 2 attributes each), each run alone in its own transaction on a
copy of a benchmark database, with the server's pragmas: its time and the
write-ahead-log frames it wrote. Shows which table a batch's time goes to.

Usage: python3 bench/sensors_statements.py COPY_OF/pendopo.db ["SQL; SQL"]
  The database must hold sensors_load.py's 100,000 entities (keep the data
  directory of a bench/sensors.sh run, or load it again); it is changed, so
  give a copy. The optional SQL runs first (say, "DROP INDEX
  sensor_attr_values_num" to see what that index costs). Standard library only."""
import os
import random
import sqlite3
import sys
import time

db = sys.argv[1]
TYPES = ["WaterObserved", "WeatherObserved", "TrafficFlowObserved", "Device"]
c = sqlite3.connect(db, isolation_level=None)
for pragma in ["journal_mode=WAL", "wal_autocheckpoint=0", "synchronous=NORMAL", "cache_size=-32768",
               "mmap_size=2147418112", "temp_store=MEMORY"]:
    c.execute("PRAGMA " + pragma)
for statement in (sys.argv[2] if len(sys.argv) > 2 else "").split(";"):
    if statement.strip():
        c.execute(statement)
tenant = c.execute("SELECT tenant_id FROM sensor_entities LIMIT 1").fetchone()[0]
# Each attribute name with its number (migration 0035), which the value indexes are keyed by.
names = dict(c.execute("SELECT name, id FROM sensor_attr_names WHERE tenant_id = ?", (tenant,)))
level = next(n for n in names if n.endswith("waterLevel"))
temperature = next(n for n in names if n.endswith("temperature"))
at_us = 1_797_000_000_000_000
instance = ('{"type":"Property","value":1.5,"observedAt":"2026-12-09T00:00:00Z",'
            '"createdAt":"2026-12-07T06:50:00.000Z","modifiedAt":"2026-12-07T06:50:00.000Z"}')
body = c.execute("SELECT body FROM sensor_entities LIMIT 1").fetchone()[0]


def run(label, start, statement, rows_of):
    """One statement over a batch's rows, 100 rows a statement as the server binds them."""
    ids = sorted(f"urn:ngsi-ld:{TYPES[i % 4]}:{i}" for i in range(start, start + 1000))
    rows = rows_of(ids)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    t = time.perf_counter()
    c.execute("BEGIN")
    for k in range(0, len(rows), 100):
        chunk = rows[k:k + 100]
        values = ",".join("(" + ",".join("?" * len(chunk[0])) + ")" for _ in chunk)
        c.execute(statement.replace("VALUES", "VALUES " + values), [x for r in chunk for x in r])
    c.execute("COMMIT")
    frames = os.path.getsize(db + "-wal") // (4096 + 24)
    print(f"{label}: {(time.perf_counter() - t) * 1000:.1f} ms, {frames} frames")


for start in (20_000, 30_000, 40_000):
    run("sensor_attr_values upsert of numbers", start,
        "INSERT INTO sensor_attr_values (tenant_id, entity_id, name, attr, num, txt, observed_at) VALUES "
        "ON CONFLICT (tenant_id, entity_id, name) DO UPDATE SET num = excluded.num, observed_at = excluded.observed_at",
        lambda ids: [(tenant, i, n, names[n], random.uniform(0, 30), None, at_us // 1000) for i in ids for n in (level, temperature)])
    run("sensor_instances insert", start,
        "INSERT INTO sensor_instances (tenant_id, entity_id, name, dataset_id, at, num, body) VALUES ON CONFLICT DO NOTHING",
        lambda ids: [(tenant, i, n, "", at_us, 1.5, instance) for i in ids for n in (level, temperature)])
    run("sensor_pending upsert", start,
        "INSERT INTO sensor_pending (tenant_id, entity_id, name, dataset_id, hour, marked_at) VALUES "
        "ON CONFLICT (tenant_id, entity_id, name, dataset_id, hour) DO UPDATE SET marked_at = excluded.marked_at",
        lambda ids: [(tenant, i, n, "", at_us // 1000, 5) for i in ids for n in (level, temperature)])
    run("sensor_entities upsert", start,
        "INSERT INTO sensor_entities (tenant_id, id, types, scope, body, created_at, modified_at) VALUES "
        "ON CONFLICT (tenant_id, id) DO UPDATE SET body = excluded.body, modified_at = excluded.modified_at",
        lambda ids: [(tenant, i, "[]", None, body, 1, 2) for i in ids])
