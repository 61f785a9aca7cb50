-- GET /healthz (the URL given to wrk), no key: the constant-reply baseline.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/report.lua")

wrk.method = "GET"
wrk.path = "/healthz"
