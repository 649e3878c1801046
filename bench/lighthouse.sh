#!/usr/bin/env bash
# Lighthouse (mobile: its default phone with simulated slow 4G and CPU) over
# the demo's main pages, printed as a Markdown table for docs/benchmarks.md.
# A benchmark, not a test: scores move with the machine's load.
#
#   bench/lighthouse.sh                      # builds the release binary, serves the demo
#   PENDOPO_URL=http://127.0.0.1:7390 bench/lighthouse.sh   # a demo already serving
#
# Needs Node.js with npm and Chromium (CHROME_PATH, default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
(cd bench/lighthouse && npm ci --no-audit --no-fund --silent)
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
base=${PENDOPO_URL:-}
if [ -z "$base" ]; then
  bin=${PENDOPO_BIN:-target/release/pendopo}
  [ -n "${PENDOPO_BIN:-}" ] || cargo build --release --locked -p pendopo
  "$bin" --data-dir "$work/data" serve --demo --listen 127.0.0.1:0 >"$work/log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    base=$(grep -o 'serving on http://[^ ]*' "$work/log" | cut -d' ' -f3 || true)
    [ -n "$base" ] && break
    sleep 1
  done
  [ -n "$base" ] || { cat "$work/log"; echo "the demo did not start" >&2; exit 1; }
fi
# A process with red flags, as a citizen finds one from the list.
process=$(curl -s "$base/pengadaan?flag=ID_HPS" | grep -o 'href="/pengadaan/ocds-[^"]*"' | head -1 | cut -d'"' -f2 || true)
echo "| page | performance | accessibility | best practices | SEO |"
echo "| --- | ---: | ---: | ---: | ---: |"
for page in / /dataset /dataset/produksi-padi /pengadaan "$process" /pengadaan/dasbor; do
  bench/lighthouse/node_modules/.bin/lighthouse "$base$page" --quiet \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="$work/report.json" >/dev/null 2>&1 || { echo "| $page | lighthouse failed | | | |"; continue; }
  node -e '
    const r = require(process.argv[1]);
    const c = r.categories;
    const s = (k) => Math.round(c[k].score * 100);
    const low = Object.values(r.audits).filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === "binary").map((a) => a.id);
    console.log(`| ${process.argv[2]} | ${s("performance")} | ${s("accessibility")} | ${s("best-practices")} | ${s("seo")} |`);
    if (low.length) console.error(`  ${process.argv[2]}: failed audits: ${low.join(", ")}`);
  ' "$work/report.json" "$page"
done
