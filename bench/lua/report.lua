-- Appended to every scenario script. setup() remembers wrk's threads so that
-- done() can add up their counters; done() prints the results as one JSON
-- line starting with BENCHJSON, which the harness parses. Times are in
-- microseconds.
local bench_threads = {}

function setup(thread)
   table.insert(bench_threads, thread)
   thread:set("bench_id", #bench_threads)
end

function done(summary, latency, requests)
   local non2xx, statuses = 0, {}
   for _, t in ipairs(bench_threads) do
      non2xx = non2xx + (t:get("bench_non2xx") or 0)
      local st = t:get("bench_statuses")
      if st then
         for k, v in pairs(st) do
            local key = tostring(k)
            statuses[key] = (statuses[key] or 0) + v
         end
      end
   end
   local parts = {}
   for k, v in pairs(statuses) do
      parts[#parts + 1] = string.format('"%s":%d', k, v)
   end
   local e = summary.errors
   io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"non2xx":%d,"statuses":{%s},' ..
      '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      non2xx, table.concat(parts, ","),
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(95), latency:percentile(99), latency:percentile(99.9)))
end
