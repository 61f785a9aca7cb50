-- Shared by the contactd wrk scripts: done() prints one machine-readable line,
--   WRKJSON {"requests":...,"duration_us":...,"rps":...,"latency_us":{...},"errors":{...}}
-- which bench/run picks out of wrk's output. Latencies are in microseconds. A script may
-- define extra_json() returning more members (',"name":value...') for that line.
function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   local extra = ""
   if extra_json then
      extra = extra_json()
   end
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,' ..
      '"latency_us":{"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}%s}\n',
      summary.requests, summary.duration, summary.bytes, summary.requests / secs,
      latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout, extra))
end
