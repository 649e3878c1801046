"""Load and query driver of bench/sensors.sh (the NGSI-LD broker), run as a
second process against a release server: batch upserts of 100,000
entities, batch attribute updates, type+q and near queries, a year of
5-minute readings and its daily aggregation. Standard library only."""
import http.client
import json
import os
import random
import sys
import time

host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# The server's pid (bench/sensors.sh passes it): its CPU time per operation
# is reported beside the rates, a figure other load on the machine moves
# far less than wall-clock rates.
server_pid = sys.argv[4] if len(sys.argv) > 4 else None


def server_cpu():
    """The server's user + system CPU seconds so far (0 when unknown)."""
    if not server_pid:
        return 0.0
    with open(f"/proc/{server_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per(cpu0, n, what):
    """`, server CPU x µs per <what>` when the server's pid is known."""
    if not server_pid:
        return ""
    return f", server CPU {(server_cpu() - cpu0) * 1e6 / n:,.0f} µs per {what}"
conn = http.client.HTTPConnection(host, port)
random.seed(13)
N = 100_000
TYPES = ["WaterObserved", "WeatherObserved", "TrafficFlowObserved", "Device"]


def call(method, path, body=None):
    """A request; `body` is JSON, or bytes already encoded."""
    headers = {"Authorization": token}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, "/ngsi-ld/v1" + path, body=data, headers=headers)
    r = conn.getresponse()
    out = r.read()
    if r.status >= 300 and r.status != 207:
        raise SystemExit(f"{method} {path}: {r.status} {out[:300]}")
    return r.status, out


def entity(i):
    lon, lat = random.uniform(111.45, 112.15), random.uniform(-7.45, -6.95)
    return {
        "id": f"urn:ngsi-ld:WaterObserved:{i}" if i % 4 == 0 else f"urn:ngsi-ld:{TYPES[i % 4]}:{i}",
        "type": TYPES[i % 4],
        "waterLevel": {"type": "Property", "value": round(random.uniform(0, 30), 2), "unitCode": "MTR"},
        "temperature": {"type": "Property", "value": round(random.uniform(22, 34), 1), "unitCode": "CEL"},
        "status": {"type": "Property", "value": random.choice(["ok", "low battery", "offline"])},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def latencies(paths):
    ts = []
    for p in paths:
        t = time.perf_counter()
        call("GET", p)
        ts.append((time.perf_counter() - t) * 1000)
    return f"p50 {pct(ts, 50):.1f} ms, p99 {pct(ts, 99):.1f} ms, max {max(ts):.1f} ms over {len(ts)}"


# The batches are encoded before the clock starts, as wrk prepares its
# requests: building and encoding a batch of 1,000 entities takes this
# Python 10-20 ms, which is not the server's time.
# 1. 100,000 entities (4 attributes each) through /entityOperations/upsert, 1,000 a batch.
batches = [json.dumps([entity(i) for i in range(start, start + 1000)]).encode() for start in range(0, N, 1000)]
t, cpu0 = time.perf_counter(), server_cpu()
for batch in batches:
    call("POST", "/entityOperations/upsert", batch)
dt = time.perf_counter() - t
print(f"upsert (create) of {N:,} entities, 4 attributes each: {dt:.1f} s, {N / dt:,.0f} entities/s, {4 * N / dt:,.0f} attribute writes/s"
      + cpu_per(cpu0, 4 * N, "attribute write"))

# 2. Batch attribute updates of existing entities (upsert options=update, 2 attributes each).
stamp = "2026-12-01T00:00:00Z"
batches = [json.dumps([{"id": entity(i)["id"], "type": TYPES[i % 4],
                        "waterLevel": {"type": "Property", "value": round(random.uniform(0, 30), 2), "observedAt": stamp},
                        "temperature": {"type": "Property", "value": round(random.uniform(22, 34), 1), "observedAt": stamp}}
                       for i in range(start, start + 1000)]).encode() for start in range(0, N, 1000)]
t, cpu0 = time.perf_counter(), server_cpu()
for batch in batches:
    call("POST", "/entityOperations/upsert?options=update", batch)
dt = time.perf_counter() - t
print(f"upsert (update) of 2 attributes on {N:,} entities: {dt:.1f} s, {2 * N / dt:,.0f} attribute updates/s"
      + cpu_per(cpu0, 2 * N, "attribute update"))

# `writes` as the fifth argument stops here: the write figures alone, on a
# fresh server each time, for comparing two builds taking turns.
if sys.argv[5:6] == ["writes"]:
    sys.exit(0)

# 3. type + q over 100,000 entities (25,000 of the type).
paths = [f"/entities?type=WaterObserved&q=waterLevel%3E{random.uniform(5, 29.9):.2f};status==%22offline%22&limit=20" for _ in range(300)]
print("type+q (limit 20):", latencies(paths))
paths = [f"/entities?type=WaterObserved&q=waterLevel%3E{random.uniform(29.0, 29.99):.2f}&count=true&limit=20" for _ in range(300)]
print("type+q selective, with count:", latencies(paths))

# 4. near within 5 km of random points (all 100,000 entities have a location).
paths = [f"/entities?type=WaterObserved&georel=near;maxDistance==5000&geometry=Point&coordinates=%5B{random.uniform(111.5, 112.1):.4f},{random.uniform(-7.4, -7.0):.4f}%5D&limit=100" for _ in range(300)]
print("near 5 km (type, limit 100):", latencies(paths))

# 5. A year of 5-minute readings of one attribute, backfilled, then daily aggregates.
gauge = "urn:ngsi-ld:WaterObserved:0"
year0 = 1_767_225_600  # 2026-01-01T00:00:00Z
points = 365 * 24 * 12
t, cpu0 = time.perf_counter(), server_cpu()
for start in range(0, points, 5000):
    inst = [{"type": "Property", "value": round(10 + 3 * random.random(), 3),
             "observedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(year0 + 300 * k))}
            for k in range(start, min(points, start + 5000))]
    call("POST", "/temporal/entities", {"id": gauge, "type": "WaterObserved", "flow": inst})
dt = time.perf_counter() - t
print(f"backfill of {points:,} instances: {dt:.1f} s, {points / dt:,.0f} instances/s"
      + cpu_per(cpu0, points, "instance"))
# Each backfill queued a roll-up of its hours into hourly rows: wait until
# the worker has run it, as it would have long before anyone asks for a year.
t = time.perf_counter()
while time.perf_counter() - t < 120:
    conn.request("GET", "/api/v1/jobs", headers={"Authorization": token})
    jobs = json.loads(conn.getresponse().read())["jobs"]
    if not any(j["kind"] == "sensor:retention_sweep" and j["state"] in ("queued", "running") and j["dedup_key"] == "rollup" for j in jobs):
        break
    time.sleep(0.2)
print(f"roll-up of the backfilled hours done after {time.perf_counter() - t:.1f} s more")
path = (f"/temporal/entities/{gauge}?attrs=flow&options=aggregatedValues&aggrMethods=avg,min,max&aggrPeriodDuration=P1D"
        "&timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2027-01-01T00:00:00Z")
_, body = call("GET", path)
days = len(json.loads(body)["flow"]["avg"])
print(f"daily avg/min/max over a year of 5-minute data ({days} days):", latencies([path] * 50))
