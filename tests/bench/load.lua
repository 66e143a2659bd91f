-- wrk script for tests/bench/load.sh: POST the body file BODY to WRK_PATH, as fast as the connections allow or,
-- with RATE set, at a fixed total rate RATE (requests/s) for latency at a chosen offered load (wrk2 is not in
-- Debian). Prints one machine-readable line at the end (see done()).
--
-- With TOKENS set (a file of JWTs, one a line, from tests/bench/make_tokens), every request carries the next
-- token as "Authorization: Bearer": the first TOKEN_OFFSET lines are skipped (used by earlier runs), then wrk
-- thread k of n sends lines k, k+n, k+2n, ... so no token is sent twice while the file lasts; past its end a thread
-- starts again from its first token (the service then answers 401 `replayed`, counted as errors). The RESULT line
-- gives tokens_used (lines the next run must skip: the busiest thread's count times n) and stale_tokens
-- (requests sent with a token already used). TOKEN_HEADER names the header (default Authorization; load.sh's
-- unsigned control sends the same tokens in a header the service ignores).
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
  thread:set("thread_index", #threads)  -- 0-based, read back in init() in the thread's own Lua state
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
local tokens, headers = nil, nil
local token_header = os.getenv("TOKEN_HEADER") or ""
if token_header == "" then token_header = "Authorization" end
sent, stale = 0, 0  -- tokens sent by this thread, and of those re-sent ones (read by done() through thread:get)
function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  if rate then interval = 1000 * nthreads / rate end
  local file = os.getenv("TOKENS")
  if file and file ~= "" then
    tokens = {}
    local offset = tonumber(os.getenv("TOKEN_OFFSET") or "0")
    local i = 0
    for line in io.lines(file) do
      if i >= offset and (i - offset) % nthreads == thread_index and line ~= "" then tokens[#tokens + 1] = line end
      i = i + 1
    end
    assert(#tokens > 0, "no tokens for this thread in " .. file)
    headers = { ["Content-Type"] = "application/json" }
  end
end

-- Only with TOKENS: wrk builds each request here instead of sending one pre-built request.
local function request_with_token()
  sent = sent + 1
  if sent > #tokens then stale = stale + 1 end
  headers[token_header] = "Bearer " .. tokens[(sent - 1) % #tokens + 1]
  return wrk.format(nil, nil, headers, nil)
end
if os.getenv("TOKENS") and os.getenv("TOKENS") ~= "" then request = request_with_token end

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
  local stale_total, busiest = 0, 0
  for _, t in ipairs(threads) do
    stale_total = stale_total + (tonumber(t:get("stale")) or 0)
    busiest = math.max(busiest, tonumber(t:get("sent")) or 0)
  end
  io.write(string.format("RESULT offered=%s rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d "
    .. "tokens_used=%d stale_tokens=%d\n", rate and tostring(rate) or "max", summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout, busiest * #threads, stale_total))
end
