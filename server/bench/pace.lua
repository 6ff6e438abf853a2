-- Shared by the wrk scripts: with RATE and CONNS set, each connection waits between requests so
-- that all of them together send about RATE requests a second (an open load below peak).
local rate, conns = tonumber(os.getenv("RATE") or ""), tonumber(os.getenv("CONNS") or "")

function delay()
  if rate and conns and rate > 0 then
    return math.floor(conns * 1000 / rate)
  end
  return 0
end
