-- wrk script: requests at a steady mean rate with random (Poisson) arrivals, as real users
-- send them, instead of wrk's default of each connection sending again the moment it is
-- answered. Used by bench/common.sh (wrk_paced); settings from the environment:
--   PACED_RATE   requests per second over all threads (wrk -t) together
--   PACED_NAME   the row's name in the summary line
-- Each wrk thread keeps its own schedule of send times, exponentially spaced with mean
-- threads/rate; after a response, a connection waits for the next free slot (or sends at once
-- when the schedule is behind: load beyond what the server answers shows as latency, not as a
-- lower rate). Only the first request of each connection is not paced (wrk sends it on
-- connect), so keep connections few: enough for the rate times the slowest answer.
-- done() prints one Markdown row: requests, errors, achieved rate, p50 / p90 / p99 / max (ms).
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } paced_timespec;
int clock_gettime(int clk, paced_timespec *tp);
]])
local ts = ffi.new("paced_timespec")
local CLOCK_MONOTONIC = 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local gap_ms, next_slot

function init(args)
  local rate = tonumber(os.getenv("PACED_RATE") or "100")
  local n = tonumber(os.getenv("PACED_THREADS") or "1")
  gap_ms = n * 1000 / rate
  math.randomseed(os.time() * 100 + id)
  next_slot = now_ms()
end

function delay()
  -- The next slot of this thread's Poisson schedule; 0 when it is already due.
  next_slot = next_slot - gap_ms * math.log(1 - math.random())
  local wait = next_slot - now_ms()
  if wait < 0 then
    return 0
  end
  return math.floor(wait + 0.5)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  local secs = summary.duration / 1e6
  local function ms(us)
    return string.format("%.1f", us / 1000)
  end
  io.write(string.format("| %s | %d | %d | %.0f | %s | %s | %s | %s |\n",
    os.getenv("PACED_NAME") or "requests", summary.requests, errors, summary.requests / secs,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max)))
end
