-- GET /v3/marketing/contacts/{id} over a rotating set of existing contact ids.
--   wrk ... -s bench/wrk/contact_get.lua http://HOST:PORT -- IDS_FILE
-- IDS_FILE holds one contact id a line (or bench/store_tool dump lines, whose first
-- tab-separated field is the id); the key comes from $BENCH_API_KEY (not the command
-- line). Each wrk thread starts at a different place in the list and walks it in order,
-- so consecutive requests name different contacts.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/report.lua")

local requests = {}
local n, i = 0, 0
local counter = 0

function setup(thread)
   thread:set("thread_no", counter)
   counter = counter + 1
end

function init(args)
   local path = args[1]
   local key = os.getenv("BENCH_API_KEY")
   if not path or not key then
      error("usage: wrk ... -s contact_get.lua URL -- IDS_FILE (with BENCH_API_KEY set)")
   end
   local headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json" }
   for line in io.lines(path) do
      local id = line:match("^[^\t]*")
      if id ~= "" then
         n = n + 1
         requests[n] = wrk.format("GET", "/v3/marketing/contacts/" .. id, headers)
      end
   end
   if n == 0 then
      error("no contact ids in " .. path)
   end
   i = ((thread_no or 0) * math.floor(n / 2)) % n
end

function request()
   i = i % n + 1
   return requests[i]
end
