-- wrk script: durable writes against many runs: three trades queued, then a step, on runs picked
-- in turn (so 48 runs of 2,160 steps last a 10 s measurement at peak); the run ids come from the
-- RUNS environment variable.
-- Paced by pace.lua when RATE is set.
dofile("server/bench/pace.lua")
local runs, key, n = {}, os.getenv("KEY"), 0
for id in string.gmatch(os.getenv("RUNS") or "", "[^,]+") do runs[#runs + 1] = id end

function setup(thread)
  thread:set("offset", math.random(1, #runs))
end

function request()
  n = n + 1
  local run = runs[(offset + math.floor(n / 4)) % #runs + 1]
  local headers = { ["X-API-Key"] = key, ["Content-Type"] = "application/json" }
  if n % 4 == 0 then
    return wrk.format("POST", "/api/v1/runs/" .. run .. "/step", headers, '{"count": 1}')
  end
  return wrk.format("POST", "/api/v1/runs/" .. run .. "/trades", headers,
    '{"symbol": "BTC/USD", "side": "buy", "quantity": 0.0001}')
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("non-2xx or failed: %d of %d\n", errors, summary.requests))
end
