# Sourced by every benchmark: installs wrk when missing, builds the release
# binary unless PENDOPO_BIN names one, makes a fresh data directory, and
# sets $bin, $work and $base (http://127.0.0.1:$1). The server the script
# starts (its pid in $server, a broker in $broker) and the directory go
# when the script exits.
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bin=${PENDOPO_BIN:-$PWD/target/release/pendopo}
[ -n "${PENDOPO_BIN:-}" ] || cargo build --release --quiet -p pendopo
work=$(mktemp -d)
trap 'kill "${server:-}" "${broker:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
export RUST_LOG=warn
base=http://127.0.0.1:$1
# Waits until the server ($server) answers; when it ended instead (its port
# taken, say), says so with the end of its log rather than waiting forever.
wait_for_server() {
  until curl -sf "$base/healthz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { echo "the server ended before answering:" >&2; tail -5 "$work"/*.log >&2; exit 1; }
    sleep 0.01
  done
}
