-- wrk script for test_faults.py's soak: mixed GET traffic, each request drawn at random from a
-- file of "PATH<TAB>TOKEN" lines (TOKEN "-": no Authorization header), so the load spreads over
-- routes, users and sessions in the proportions the file has.
--
--   wrk -t2 -c1000 -d60s --latency -s soak.lua URL -- REQUESTS_FILE
--
-- Every status outside 2xx is counted (wrk's own "errors.status" counts only >= 400); at the
-- end one machine-readable line is printed: "SOAKJSON {...}" (latencies in microseconds).

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

local reqs = {}
non2xx = 0 -- globals: done() reads them from each thread with thread:get()
other = {} -- non-2xx answers by status

function init(args)
  local f = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in f:lines() do
    local path, token = line:match("^([^\t]+)\t(.+)$")
    if path then
      local headers = {}
      if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      reqs[#reqs + 1] = wrk.format("GET", path, headers)
    end
  end
  f:close()
  assert(#reqs > 0, "no requests in " .. args[1])
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  return reqs[math.random(#reqs)]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    other[status] = (other[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad, by_status = 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    for status, n in pairs(thread:get("other") or {}) do by_status[status] = (by_status[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(by_status) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'SOAKJSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,"non2xx_by_status":{%s},' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, bad, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout))
end
