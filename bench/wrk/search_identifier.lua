-- POST /v3/marketing/contacts/search/identifiers/{type} with one identifier a request,
-- over a rotating list of existing contacts.
--   wrk ... -s bench/wrk/search_identifier.lua http://HOST:PORT -- DUMP_FILE TYPE
-- DUMP_FILE holds bench/store_tool dump lines "id<TAB>email<TAB>external_id"; TYPE is
-- email or external_id (which column is searched). The key comes from $BENCH_API_KEY.
-- Each wrk thread starts at a different place in the list and walks it in order.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/report.lua")

local requests = {}
local n, i = 0, 0
local counter = 0

function setup(thread)
   thread:set("thread_no", counter)
   counter = counter + 1
end

local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function init(args)
   local path, idtype = args[1], args[2]
   local key = os.getenv("BENCH_API_KEY")
   local column = ({ email = 2, external_id = 3 })[idtype or ""]
   if not path or not column or not key then
      error("usage: wrk ... -s search_identifier.lua URL -- DUMP_FILE email|external_id (with BENCH_API_KEY set)")
   end
   local headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json",
                     ["Content-Type"] = "application/json" }
   local url = "/v3/marketing/contacts/search/identifiers/" .. idtype
   for line in io.lines(path) do
      local fields = {}
      for f in (line .. "\t"):gmatch("([^\t]*)\t") do
         fields[#fields + 1] = f
      end
      local v = fields[column]
      if v and v ~= "" then
         n = n + 1
         requests[n] = wrk.format("POST", url, headers, '{"identifiers":[' .. json_string(v) .. ']}')
      end
   end
   if n == 0 then
      error("no " .. idtype .. " values in " .. path)
   end
   i = ((thread_no or 0) * math.floor(n / 2)) % n
end

function request()
   i = i % n + 1
   return requests[i]
end
