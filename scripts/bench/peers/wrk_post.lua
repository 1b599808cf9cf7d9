-- wrk script: POSTs the JSON request bodies in the file named by BENCH_BODY_FILE (one
-- per line; with several lines each thread cycles through them, starting at a different
-- line) and prints one line "BENCH_RESULT {json}" with the figures the runner reads.
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local bodies = {}
for line in file:lines() do
  if #line > 0 then bodies[#bodies + 1] = line end
end
file:close()
assert(#bodies > 0, "no request body in BENCH_BODY_FILE")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

if #bodies == 1 then
  -- A static request: wrk builds it once.
  wrk.body = bodies[1]
else
  local requests = {}
  local next_index = 0
  function init(args)
    -- Built here, not at load, because wrk sets the Host header only before init.
    for index, body in ipairs(bodies) do
      requests[index] = wrk.format(nil, nil, nil, body)
    end
    -- `first` is set per thread by setup() below, in the thread's own Lua state.
    next_index = (first or 0) % #requests
  end
  function request()
    next_index = next_index % #requests + 1
    return requests[next_index]
  end
end

-- Threads start evenly spread over the bodies (BENCH_THREADS is wrk's -t), so that
-- their requests in flight do not overlap.
local threads = 0
local spread = math.max(1, tonumber(os.getenv("BENCH_THREADS") or "1"))
function setup(thread)
  thread:set("first", math.floor(threads * #bodies / spread))
  threads = threads + 1
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,' ..
    '"latency_mean_us":%.1f,"latency_p50_us":%d,"latency_p90_us":%d,' ..
    '"latency_p99_us":%d,"latency_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
