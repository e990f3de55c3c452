-- wrk: one line with p50/p95/p99 (ms), requests/s and non-2xx answers, for docs/benchmarks.md.
local bad = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.1fms p95=%.1fms p99=%.1fms rps=%.1f requests=%d non2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, summary.errors.status))
end
