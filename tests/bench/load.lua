-- wrk script for tests/bench/load.sh: POST the body file BODY to WRK_PATH, as fast as the connections allow or,
-- with RATE set, at a fixed total rate RATE (requests/s) for latency at a chosen offered load (wrk2 is not in
-- Debian). Prints one machine-readable line at the end (see done()).
--
-- Pacing: Each wrk thread owns RATE/threads of the schedule and hands out
-- send slots 1/(its rate) apart; a connection that finishes a response asks delay() for the next free slot and
-- sleeps until it. With enough connections (-c well above RATE x latency) a slot is missed only when every
-- connection is busy, so the achieved rate printed at the end should equal RATE; if it does not, the server
-- could not keep up. Latency is timed by wrk from the actual send, so it is not corrected for coordinated
-- omission: read it together with the achieved rate.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } nmo_timespec;
  int clock_gettime(int clk_id, nmo_timespec *tp);
]]
local ts = ffi.new("nmo_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.path = os.getenv("WRK_PATH") or "/"

local rate = tonumber(os.getenv("RATE") or "")  -- nil (unset or empty): as fast as possible
local interval, next_slot
function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  if rate then interval = 1000 * nthreads / rate end
end

local function paced_delay()
  local t = now_ms()
  if next_slot == nil or next_slot < t - 1000 then next_slot = t end  -- start, or more than 1 s behind: resync
  local wait = next_slot - t
  next_slot = next_slot + interval
  if wait < 0 then return 0 end
  return wait
end
if rate then delay = paced_delay end  -- wrk paces only if a global delay() exists

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT offered=%s rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d\n",
    rate and tostring(rate) or "max", summary.requests / secs, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
