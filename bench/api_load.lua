-- wrk's script for bench/daemon_load_bench --api-load: GETs of maiev's read routes at a bounded
-- rate (wrk has no fixed-rate mode).
--
--   wrk -t THREADS -c CONNECTIONS -d 60s --latency -s api_load.lua URL -- RATE THREADS SERVICES
--
-- Each thread sends at most RATE / THREADS requests a second: delay() gives every request the
-- next slot of the thread's schedule on the monotonic clock. A request whose slot has passed
-- goes at once, and the schedule restarts from it instead of bursting to catch up, so RATE is an
-- upper bound; the rate achieved is what wrk counted (the "maiev-wrk" line of done()). wrk times
-- a request from when it is written, after its delay.
--
-- The routes rotate: the list of services, one service (bench-0 … bench-(SERVICES-1) in turn),
-- /metrics, /healthz.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } maiev_timespec;
int clock_gettime(int clock_id, maiev_timespec* ts);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("maiev_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- In wrk's main Lua state: numbers the threads, so each starts at its own place.
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_number", threads_made)
end

-- In each thread's own Lua state.
local step_ms, services, next_ms, sent

function init(args)
  local rate, threads = tonumber(args[1]), tonumber(args[2])
  services = tonumber(args[3])
  step_ms = 1000 * threads / rate
  -- The threads' slots interleave instead of coinciding.
  next_ms = now_ms() + (thread_number - 1) * step_ms / threads
  sent = thread_number
end

function delay()
  local now = now_ms()
  local slot = math.max(next_ms, now)
  next_ms = slot + step_ms
  return slot - now  -- wrk waits whole milliseconds: a request goes at most 1 ms early
end

function request()
  sent = sent + 1
  local route = sent % 4
  local path
  if route == 0 then
    path = "/api/v1/services"
  elseif route == 1 then
    path = "/api/v1/services/bench-" .. (math.floor(sent / 4) % services)
  elseif route == 2 then
    path = "/metrics"
  else
    path = "/healthz"
  end
  return wrk.format("GET", path)
end

-- One line for the bench to read; times in µs.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "maiev-wrk requests=%.0f duration_us=%.0f bytes=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "errors=%.0f status_4xx_5xx=%.0f\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
