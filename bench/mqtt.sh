#!/usr/bin/env bash
# Device measures over MQTT (issue 13): how many measures a second go from a
# publisher in another process (mosquitto_pub -l, QoS 1) through Pendopo's
# subscriber into stored points (measures::store, SQLite), and how long a
# river gauge's status change takes to reach a subscriber of the status
# topic after the reading that causes it.
# Its own Mosquitto on a free port, with no in-flight or queue limit (the
# Debian default of 20 in-flight QoS 1 messages per client is what a
# region's broker should raise for a subscriber that batches).
# Usage: bench/mqtt.sh [MEASURES]   (needs mosquitto, mosquitto-clients)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
command -v mosquitto_pub >/dev/null || { apt-get update -qq && apt-get install -y -qq mosquitto mosquitto-clients >/dev/null; }
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
port=${BENCH_PORT:-18325}
mport=18883
source bench/prelude.sh $port

printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 0\nmax_queued_messages 0\n' "$mport" >"$work/mosquitto.conf"
"$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker=$!

echo "== Kabupaten Bojonegoro (35.22) on SQLite, a walidata's token, a gauge provisioned"
"$bin" --data-dir "$work" init --region 35.22 >/dev/null
"$bin" --data-dir "$work" user add --email bench@bojonegoro.go.id --password bench-password-1 --role walidata >/dev/null
token=$("$bin" --data-dir "$work" token create --email bench@bojonegoro.go.id)
"$bin" --data-dir "$work" serve --listen 127.0.0.1:$port --mqtt-url "mqtt://127.0.0.1:$mport?client_id=pendopo-bench" >"$work/serve.log" 2>&1 &
server=$!
wait_for_server
h=(-H "authorization: $token" -H "fiware-service: bojonegoro" -H "fiware-servicepath: /bench" -H "content-type: application/json")
curl -sf "${h[@]}" "$base/iot/services" -d '{"services":[{"apikey":"bench","resource":"/iot/json","entity_type":"WaterObserved"}]}'
devices=$(python3 -c 'import json; print(json.dumps({"devices": [{"device_id": f"awlr{i}", "entity_name": f"awlr{i}", "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]} for i in range(10)] + [{"device_id": "awlr-bojonegoro", "entity_name": "bojonegoro", "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]}]}))')
curl -sf "${h[@]}" "$base/iot/devices" -d "$devices"
stored() { curl -sf "$base/metrics" | awk '/^pendopo_iot_measures_total/ {print $2}'; }
# The subscriber is up once a probe is stored.
until [ "$(stored)" -ge 1 ] 2>/dev/null; do mosquitto_pub -p $mport -q 1 -t /json/bench/awlr9/attrs -m '{"l": 1}'; sleep 0.2; done
before=$(stored)

echo "== $n measures from 10 devices, one mosquitto_pub -l per device (QoS 1), each with its own TimeInstant"
per=$((n / 10))
for d in $(seq 0 9); do
  python3 -c "
import sys
d, per = int(sys.argv[1]), int(sys.argv[2])
for i in range(per):
    s = i % 60; m = i // 60 % 60; h = i // 3600 % 24; day = 1 + i // 86400
    sys.stdout.write('{\"l\": %.2f, \"TimeInstant\": \"2026-%02d-%02dT%02d:%02d:%02dZ\"}\n' % (10 + (i % 500) / 100, 1 + day // 28, 1 + day % 28, h, m, s))
" "$d" "$per" >"$work/lines$d"
done
# The server's user + system CPU seconds so far: per measure, a figure
# other load on the machine moves far less than the rate.
cpu() { awk '{print ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$server/stat"; }
cpu0=$(cpu)
start=$(date +%s.%N)
pubs=()
for d in $(seq 0 9); do mosquitto_pub -p $mport -q 1 -l -t "/json/bench/awlr$d/attrs" <"$work/lines$d" & pubs+=($!); done
wait_for=$((before + per * 10))
until [ "$(stored)" -ge "$wait_for" ]; do sleep 0.05; done
end=$(date +%s.%N)
cpu1=$(cpu)
wait "${pubs[@]}"
points=$(python3 - "$work" <<'PY'
import glob, sqlite3, sys
db = sqlite3.connect(sorted(glob.glob(sys.argv[1] + "/*.db"))[0])
print(db.execute("SELECT COUNT(*) FROM sensor_instances WHERE entity_id LIKE 'urn:ngsi-ld:WaterObserved:awlr%' AND entity_id != 'urn:ngsi-ld:WaterObserved:awlr9'").fetchone()[0])
PY
)
python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'{n} measures stored in {t:.2f} s: {n / t:,.0f} measures/s ({sys.argv[4]} points in the series), server CPU {(float(sys.argv[6]) - float(sys.argv[5])) * 1e6 / n:,.0f} µs per measure')" "$((per * 10))" "$start" "$end" "$points" "$cpu0" "$cpu1"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== status change: a reading above Siaga Merah, to the retained status message"
python3 - "$work" <<'PY'
import glob, sqlite3, sys, time
db = sqlite3.connect(sorted(glob.glob(sys.argv[1] + "/*.db"))[0])
db.execute("INSERT OR IGNORE INTO flood_gauges VALUES ('35.22','bojonegoro','Bengawan Solo di Bojonegoro','urn:ngsi-ld:WaterObserved:bojonegoro','bpbd','[]',1)")
db.execute("INSERT OR IGNORE INTO flood_levels VALUES ('35.22','bojonegoro',0,1206,1306,1404)")
db.execute("INSERT OR IGNORE INTO flood_settings (tenant_id, stale_after_ms, webhook_url, status_topic) VALUES ('35.22',21600000,'','pendopo/banjir/status')")
db.commit()
PY
for i in 1 2 3 4 5; do
  level=$([ $((i % 2)) = 1 ] && echo 14.50 || echo 11.00)
  mosquitto_sub -p $mport -t pendopo/banjir/status/bojonegoro -C 1 -R >"$work/status$i" &
  sub=$!
  sleep 0.3
  t0=$(date +%s.%N)
  mosquitto_pub -p $mport -q 1 -t /json/bench/awlr-bojonegoro/attrs -m "{\"l\": $level}"
  wait $sub
  t1=$(date +%s.%N)
  python3 -c "import sys; print(f'reading {sys.argv[3]} m -> {open(sys.argv[4]).read().strip()[:60]}...: {1000 * (float(sys.argv[2]) - float(sys.argv[1])):.0f} ms')" "$t0" "$t1" "$level" "$work/status$i"
done
