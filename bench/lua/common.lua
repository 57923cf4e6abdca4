-- Shared by the benchmark's wrk scripts: settings from the environment, list files,
-- URL encoding, and a done() that prints wrk's summary as one JSON line for bench/run.py.

local M = {}

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then return default end
  return value
end

function M.lines(path)
  local found = {}
  if path == nil then return found end
  local handle = assert(io.open(path, "r"), "cannot open " .. path)
  for line in handle:lines() do
    if line ~= "" then found[#found + 1] = line end
  end
  handle:close()
  return found
end

function M.read(path)
  if path == nil then return nil end
  local handle = assert(io.open(path, "r"), "cannot open " .. path)
  local text = handle:read("*a")
  handle:close()
  return text
end

function M.urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- plain (not pattern) substitution of every {key} in a template
function M.fill(template, values)
  return (template:gsub("{(%w+)}", function(key) return values[key] or ("{" .. key .. "}") end))
end

function M.headers()
  local headers = { ["Content-Type"] = "application/scim+json; charset=utf-8" }
  local token = M.env("BENCH_TOKEN")
  if token then headers["Authorization"] = "Bearer " .. token end
  return headers
end

-- setup() runs in the main state once per thread: number the threads for unique names
local counter = 0
function M.setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function M.seed_random()
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  for _ = 1, 10 do math.random() end
end

-- one JSON line bench/run.py parses; latencies in microseconds
function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

return M
