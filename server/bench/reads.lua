-- wrk script: market reads (50 bars of one symbol) of a run, paced by pace.lua when RATE is set.
dofile("server/bench/pace.lua")
local key, run = os.getenv("KEY"), os.getenv("RUN")

function request()
  return wrk.format("GET", "/api/v1/runs/" .. run .. "/market?symbols=BTC/USD&lookback=50", { ["X-API-Key"] = key })
end
