-- wrk script: POSTs the JSON request bodies in the file named by BENCH_BODY_FILE (one
-- per line; with several lines, each thread cycles through its own share of them), with
-- the header BENCH_AUTHORIZATION names if any, and prints one line
-- "BENCH_RESULT {json}" with the figures the runner reads.
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
-- BENCH_AUTHORIZATION, when not empty: the Authorization header of every request.
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
if #authorization > 0 then
  wrk.headers["Authorization"] = authorization
end

if #bodies == 1 then
  -- A static request: wrk builds it once.
  wrk.body = bodies[1]
else
  local requests = {}
  local next_index = 0
  function init(args)
    -- Thread k of n (`thread_id`, `thread_count`: set by setup() below, in the thread's
    -- own Lua state) sends bodies k+1, k+1+n, k+1+2n, ...: no two threads ever send
    -- the same body, so requests in flight differ however the threads' speeds drift.
    -- Built here, not at load, because wrk sets the Host header only before init.
    for index, body in ipairs(bodies) do
      if (index - 1) % thread_count == thread_id then
        requests[#requests + 1] = wrk.format(nil, nil, nil, body)
      end
    end
    if #requests == 0 then
      -- More threads than bodies: this thread shares them all.
      for index, body in ipairs(bodies) do
        requests[index] = wrk.format(nil, nil, nil, body)
      end
    end
  end
  function request()
    next_index = next_index % #requests + 1
    return requests[next_index]
  end
end

-- BENCH_THREADS is wrk's -t, which the script cannot read otherwise.
local threads = 0
local thread_total = math.max(1, tonumber(os.getenv("BENCH_THREADS") or "1"))
function setup(thread)
  thread:set("thread_id", threads)
  thread:set("thread_count", thread_total)
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
