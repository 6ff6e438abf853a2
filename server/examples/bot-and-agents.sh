#!/usr/bin/env bash
# The bot API and the agents API with plain curl against a local VecTrade server: register an
# account, log in for a JWT, make a bot key, trade on the live paper market, then make an agent
# with its own balance and limits and trade with its key.
# Usage: BASE=http://127.0.0.1:8080 OPERATOR=op_... bash server/examples/bot-and-agents.sh
set -euo pipefail
: "${BASE:?}" "${OPERATOR:?}"
json() { python3 -c "import json,sys; print(eval('json.load(sys.stdin)' + sys.argv[1]))" "$1"; }

ACCOUNT=$(curl -sf -X POST "$BASE/api/v1/auth/register" -H 'Content-Type: application/json' -d '{"display_name": "me"}')
KEY=$(echo "$ACCOUNT" | json '["api_key"]')
SECRET=$(echo "$ACCOUNT" | json '["api_secret"]')
JWT=$(curl -sf -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"api_key\": \"$KEY\", \"api_secret\": \"$SECRET\"}" | json '["token"]')
BOT=$(curl -sf -X POST "$BASE/api/trade/v1/bot/keys" -H "Authorization: Bearer $JWT" \
  -H 'Content-Type: application/json' -d '{"label": "my-claude-bot"}' | json '["key"]')
curl -sf -X POST "$BASE/api/trade/v1/bot/orders" -H "X-Bot-Key: $BOT" -H 'Content-Type: application/json' \
  -d '{"symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET", "asset_type": "STOCK"}' | json '["status"]'
# The next bar of the live market (the server's clock does this with --bar-interval).
curl -sf -X POST "$BASE/api/v1/operator/market/advance" -H "X-Operator-Token: $OPERATOR" | json '["sim_time"]'
curl -sf "$BASE/api/trade/v1/bot/portfolio" -H "X-Bot-Key: $BOT" | json '["positions"][0]["quantity"]'

AGENT=$(curl -sf -X POST "$BASE/api/v1/agents" -H "Authorization: Bearer $JWT" -H 'Content-Type: application/json' \
  -d '{"display_name": "RSI Scalper", "starting_balance": "5000.00", "risk_profile": {"max_position_size_pct": 20}}')
AGENT_KEY=$(echo "$AGENT" | json '["api_key"]')
curl -sf "$BASE/api/trade/v1/bot/portfolio" -H "X-API-Key: $AGENT_KEY" | json '["balance"]'
# 10 shares are more than 20 % of 5000: the engine refuses, the order is kept as REJECTED.
curl -sf -X POST "$BASE/api/trade/v1/bot/orders" -H "X-API-Key: $AGENT_KEY" -H 'Content-Type: application/json' \
  -d '{"symbol": "AAPL", "side": "BUY", "quantity": 10}' | json '["rejection_code"]'
curl -sf "$BASE/api/v1/agents" -H "Authorization: Bearer $JWT" | json '["total"]'
