-- DELETE /v3/marketing/contacts/{id}/identifiers of each contact's external_id: a durable
-- write per request (contactd answers 202 once the job is committed to disk).
--   wrk ... -s bench/wrk/delete_identifier.lua http://HOST:PORT -- DUMP_FILE THREADS
-- DUMP_FILE holds bench/store_tool dump lines "id<TAB>email<TAB>external_id" (contacts with
-- an email too, so that removing the external_id is allowed); THREADS is wrk's -t, so that
-- the threads split the list (thread k takes lines k+1, k+1+THREADS, ...) and no identifier
-- is deleted twice. When a thread runs out of lines it starts over; those jobs are still
-- accepted (202) but fail when they run, and extra_json() reports them as "wrapped".
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/report.lua")

local ids, exts = {}, {}
local i = 0
-- globals, so that done() can read them from each thread with thread:get()
n = 0
wraps = 0
local headers
local counter = 0
local threads = {}

function setup(thread)
   thread:set("thread_no", counter)
   counter = counter + 1
   threads[#threads + 1] = thread
end

function init(args)
   local path, nthreads = args[1], tonumber(args[2] or "")
   local key = os.getenv("BENCH_API_KEY")
   if not path or not nthreads or not key then
      error("usage: wrk ... -s delete_identifier.lua URL -- DUMP_FILE THREADS (with BENCH_API_KEY set)")
   end
   headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json",
               ["Content-Type"] = "application/json" }
   local line_no = 0
   for line in io.lines(path) do
      local id, _, ext = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
      if id and id ~= "" and ext ~= "" then
         if line_no % nthreads == (thread_no or 0) then
            n = n + 1
            ids[n], exts[n] = id, ext
         end
         line_no = line_no + 1
      end
   end
   if n == 0 then
      error("no id/external_id lines for this thread in " .. path)
   end
end

function request()
   i = i + 1
   if i > n then
      i = 1
      wraps = wraps + 1
   end
   return wrk.format("DELETE", "/v3/marketing/contacts/" .. ids[i] .. "/identifiers", headers,
      '{"identifier_type":"EXTERNALID","identifier_value":"' .. exts[i] .. '"}')
end

function extra_json()
   local w, lines = 0, 0
   for _, t in ipairs(threads) do
      w = w + (tonumber(t:get("wraps")) or 0)
      lines = lines + (tonumber(t:get("n")) or 0)
   end
   return string.format(',"wrapped":%d,"targets":%d', w, lines)
end
