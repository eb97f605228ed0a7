-- wrk script for scripts/bench --concurrency: every request carries a credential drawn at random
-- from a file (one a line), so the load spreads over many users and sessions.
--
--   wrk -t2 -c64 -d10s --latency -s tokens.lua URL -- TOKENS [METHOD] [BODY_FILE]
--
-- TOKENS holds lines "TOKEN" or "TOKEN<TAB>PATH" (PATH replaces the URL's path for that token:
-- a chat turn goes to its user's own conversation). Each response's `Server-Timing: app;dur=`
-- (Stoa's own time, in ms) is collected, and at the end one machine-readable line is printed:
-- "WRKJSON {...}" (latencies in microseconds; app_* from Server-Timing, when it was sent).

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

local reqs = {}
app = {}   -- global: done() copies it out of each thread with thread:get("app")
function init(args)
  local path = args[1] or "tokens.txt"
  local method = args[2] or "GET"
  local body = nil
  if args[3] then
    local b = assert(io.open(args[3], "r"), "cannot open body file " .. args[3])
    body = b:read("*a")
    b:close()
  end
  local f = assert(io.open(path, "r"), "cannot open token file " .. path)
  for line in f:lines() do
    local token, target = line:match("^([^\t]+)\t(.+)$")
    token = token or line
    if #token > 0 then
      local headers = { ["Authorization"] = "Bearer " .. token }
      if body then headers["Content-Type"] = "application/json" end
      reqs[#reqs + 1] = wrk.format(method, target or wrk.path, headers, body)
    end
  end
  f:close()
  assert(#reqs > 0, "no tokens in " .. path)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  return reqs[math.random(#reqs)]
end

function response(status, headers, body)
  local timing = headers["Server-Timing"] or headers["server-timing"]
  if timing then
    local dur = timing:match("app;dur=([%d%.]+)")
    if dur then app[#app + 1] = tonumber(dur) * 1000 end
  end
end

function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("app") or {}) do all[#all + 1] = v end
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return -1 end
    local k = math.max(1, math.min(#all, math.floor(p / 100 * #all + 0.5)))
    return all[k]
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"app_n":%d,"app_p50_us":%.0f,"app_p99_us":%.0f,"app_max_us":%.0f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    #all, pct(50), pct(99), pct(100),
    e.connect, e.read, e.write, e.status, e.timeout))
end
