# Sourced by the benchmarks that run against the Bojonegoro demo: builds the
# release binary unless PENDOPO_BIN names one, starts `serve --demo` on
# SQLite in a fresh directory on port $1, adds a walidata, and sets $bin,
# $work, $base, $server and $token (the walidata's API token). The server
# and the directory go when the script exits.
source bench/prelude.sh "$1"

echo "== the Bojonegoro demo on SQLite, a walidata and their API token"
"$bin" --data-dir "$work" serve --demo --listen "127.0.0.1:$1" >"$work/serve.log" 2>&1 &
server=$!
wait_for_server
"$bin" --data-dir "$work" user add --email bench@bojonegoro.go.id --password bench-password-1 --role walidata >/dev/null
token=$("$bin" --data-dir "$work" token create --email bench@bojonegoro.go.id)
