-- POST BENCH_BODY (a file) to BENCH_PATH with {name} replaced by a userName no other request
-- of the run uses: BENCH_NONCE (per run) + wrk's thread number + a per-thread counter.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

local body, path, headers, nonce
local sent = 0

setup = common.setup
done = common.done

function init(args)
  body = common.read(common.env("BENCH_BODY"))
  path = common.env("BENCH_PATH")
  nonce = common.env("BENCH_NONCE", tostring(os.time()))
  headers = common.headers()
end

function request()
  sent = sent + 1
  local name = string.format("new-%s-%d-%d@example.com", nonce, thread_id, sent)
  return wrk.format("POST", path, headers, common.fill(body, { name = name }))
end
