#!/usr/bin/env bash
# BotTrade's documented loop with plain curl against a local VecTrade server:
# scenarios → run → market → trades → step … → results → publish.
# Usage: BASE=http://127.0.0.1:8080 KEY=ak_live_... bash server/examples/bottrade-loop.sh
set -euo pipefail
: "${BASE:?set BASE to the server URL}" "${KEY:?set KEY to an API key}"
json() { python3 -c "import json,sys; print(eval('json.load(sys.stdin)' + sys.argv[1]))" "$1"; }

curl -sf "$BASE/api/v1/scenarios" | json '["scenarios"][0]["slug"]'
RUN=$(curl -sf -X POST "$BASE/api/v1/runs" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"scenario_slug": "tech-2024-q2", "bot_name": "curl-bot"}' | json '["run"]["id"]')
echo "run $RUN"
done=False
while [ "$done" = False ]; do
  curl -sf "$BASE/api/v1/runs/$RUN/market?symbols=AAPL&lookback=1" -H "X-API-Key: $KEY" >/dev/null
  curl -s -X POST "$BASE/api/v1/runs/$RUN/trades" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
    -d "{\"symbol\": \"AAPL\", \"side\": \"buy\", \"quantity\": 1, \"idempotency_key\": \"$(python3 -c 'import uuid; print(uuid.uuid4())')\"}" >/dev/null
  done=$(curl -sf -X POST "$BASE/api/v1/runs/$RUN/step" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
    -d '{"count": 20}' | json '["done"]')
done
curl -sf "$BASE/api/v1/runs/$RUN/results" -H "X-API-Key: $KEY" | json '["results"]'
curl -sf -X POST "$BASE/api/v1/runs/$RUN/publish" -H "X-API-Key: $KEY" | json '["published"]'
