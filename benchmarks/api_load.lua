-- wrk script of `bench_campaign.py api` (wrk's own Lua, one state per thread): with
-- BENCH_BODY set, POSTs that JSON with "%d" replaced by a number unique to the request, as
-- `Authorization: Bearer $BENCH_TOKEN`; else plain GETs. Counts answers by status and
-- prints machine-readable RESULT and STATUS lines that the benchmark parses.
local template = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  if token then wrk.headers["Authorization"] = "Bearer " .. token end
  if template then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if not template then return wrk.format() end
  counter = counter + 1
  local body = string.gsub(template, "%%d", tid .. "-" .. counter)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests %d duration_us %d p50_us %d p99_us %d errors %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout))
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %s %d\n", status, count))
    end
  end
end
