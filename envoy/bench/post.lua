-- wrk script for the customs benchmark: every request is the same POST of one
-- chat body, read from the file named after `--` on wrk's command line:
--
--   wrk -t1 -c1 -d10s --latency -s envoy/bench/post.lua URL -- BODY.json
--
-- At the end it prints one line, `BENCH {json}`, that bench.py reads: request
-- and error counts, the measured duration and latency percentiles (microseconds).

function init(args)
   local path = args[1]
   if path == nil then
      error("post.lua: give the body file after --")
   end
   local file = assert(io.open(path, "rb"))
   wrk.body = file:read("*a")
   file:close()
   wrk.method = "POST"
   wrk.path = "/v1/chat/completions"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer sk-bench-client-key"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,' ..
      '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max))
end
