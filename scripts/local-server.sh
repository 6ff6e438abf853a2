# Sourced by the scripts that need a running local server (scripts/test.sh, scripts/fuzz-api.sh,
# server/bench/http-load.sh): `start_server BINARY [DB]` starts it on a fresh database in a
# temporary folder (or on DB, a PostgreSQL URL, with its secret in that folder) on a free port with
# a manual market, and leaves `--db` in $server_db; it reads what its first start prints into
# $server_dir, $server_pid, $base, $key, $secret, $account, $bot and $operator. `stop_server`
# ends it and removes the folder.
start_server() {
  server_dir=$(mktemp -d)
  server_db=${2:-$server_dir/vectrade.db}
  "$1" --db "$server_db" --secret-file "$server_dir/secret" --port 0 --bar-interval manual >"$server_dir/out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$server_dir/out" && break; sleep 0.1; done
  base=$(sed -n 's/^VecTrade server listening on \([^ ]*\).*/\1/p' "$server_dir/out")
  [ -n "$base" ] || { cat "$server_dir/out" >&2; echo "the server did not start" >&2; return 1; }
  printed() { awk -v l="$1" 'index($0, l) {print $3; exit}' "$server_dir/out"; }
  key=$(printed "API key:")
  secret=$(printed "API secret:")
  account=$(printed "account id:")
  bot=$(printed "bot key:")
  operator=$(sed -n 's/.*operator token: \([^ ]*\).*/\1/p' "$server_dir/out")
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$server_dir"
}
