-- wrk script for bench/load.sh: a mix of what a public archive is asked
-- for, cycled per request; counts answers by kind so load.sh can tell the
-- intended 404s (permalinks of messages that do not exist) from errors.
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do
  paths[#paths + 1] = line
end
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  i = offset
  ok, intended404, errors = 0, 0, 0
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  if status < 400 then
    ok = ok + 1
  elseif status == 404 and body:find("no message", 1, true) then
    intended404 = intended404 + 1
  else
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local o, n, e = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); n = n + t:get("intended404"); e = e + t:get("errors")
  end
  io.write(string.format("LOAD %d %d %d %d %.2f %.2f %d\n", summary.requests, o, n, e,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
