#!/usr/bin/env bash
# Fuzzes the running local server from its OpenAPI document with schemathesis: every operation,
# generated and boundary inputs, with an account key, a bot key and a JWT. Passes when no response
# is a 5xx and every response (status, headers, content type, body) matches the document.
# Usage: bash scripts/fuzz-api.sh [examples per operation, default 25]; needs .venv (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-25}
st=.venv/bin/st
[ -x "$st" ] || .venv/bin/pip install -q --disable-pip-version-check "schemathesis==4.32.*"
cargo build --locked -q -p vectrade-server
server_bin="${CARGO_TARGET_DIR:-target}/debug/vectrade-server"
source scripts/local-server.sh
start_server "$server_bin"
trap stop_server EXIT
dir=$server_dir
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
jwt=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"api_key\": \"$key\", \"api_secret\": \"$secret\"}" | json token)
# Pro, so the monthly quota is not what most run creations meet.
"$server_bin" plan --db "$dir/vectrade.db" "$account" pro >/dev/null
log="$dir/st.log"
status=0
"$st" run server/openapi.json --url "$base" --max-examples "$examples" --seed 1 \
  -H "X-API-Key: $key" -H "X-Bot-Key: $bot" -H "Authorization: Bearer $jwt" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,response_headers_conformance \
  >"$log" 2>&1 || status=$?
cases=$(grep -Eo '[0-9]+ generated' "$log" | tail -n 1 | awk '{print $1}')
if [ "$status" -ne 0 ]; then
  grep -E '^(- |\[[0-9]{3}\]|    curl)' "$log" | head -n 60 >&2
  tail -n 5 "$log" >&2
  echo "api fuzz: ${cases:-?} cases, failures above" >&2
  exit 1
fi
echo "api fuzz: $cases cases against $base, 0 failures (no 5xx, every response as documented)"
