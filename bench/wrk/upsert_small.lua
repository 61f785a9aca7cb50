-- PUT /v3/marketing/contacts with one new contact a request, every body distinct: a durable
-- write per request (contactd answers 202 once the job is committed to disk).
--   wrk ... -s bench/wrk/upsert_small.lua http://HOST:PORT -- TAG
-- TAG (letters and digits) makes this run's emails and external_ids unique; each thread
-- numbers its own contacts. The key comes from $BENCH_API_KEY.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/report.lua")

local counter = 0
local n = 0
local tag, headers

function setup(thread)
   thread:set("thread_no", counter)
   counter = counter + 1
end

function init(args)
   local key = os.getenv("BENCH_API_KEY")
   if not args[1] or not args[1]:match("^[%w]+$") or not key then
      error("usage: wrk ... -s upsert_small.lua URL -- TAG (with BENCH_API_KEY set)")
   end
   tag = args[1] .. "t" .. (thread_no or 0)
   headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json",
               ["Content-Type"] = "application/json" }
end

function request()
   n = n + 1
   return wrk.format("PUT", "/v3/marketing/contacts", headers, string.format(
      '{"contacts":[{"email":"s%d.%s@bench.example.com","external_id":"s-%s-%d","first_name":"Small%d"}]}',
      n, tag, tag, n, n))
end
