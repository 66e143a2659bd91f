-- wrk script: POST the body file named by the BODY environment variable to the path in WRK_PATH.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.path = os.getenv("WRK_PATH")
