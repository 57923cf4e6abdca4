-- PATCH BENCH_PATH with {id} replaced by a random line of BENCH_IDS, body BENCH_BODY.
-- With BENCH_BODY_2 set, requests alternate: BENCH_BODY on a fresh random id, then
-- BENCH_BODY_2 on the same id (a group member added, then removed: the group keeps its size).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids, members, path, body, body2, headers
local sent, last = 0, nil

setup = common.setup
done = common.done

function init(args)
  common.seed_random()
  ids = common.lines(common.env("BENCH_IDS"))
  members = common.lines(common.env("BENCH_MEMBERS"))
  path = common.env("BENCH_PATH")
  body = common.read(common.env("BENCH_BODY"))
  body2 = common.read(common.env("BENCH_BODY_2"))
  headers = common.headers()
end

function request()
  sent = sent + 1
  local id = ids[math.random(#ids)]
  if body2 ~= nil then
    if sent % 2 == 1 or last == nil then
      last = members[math.random(#members)]
      return wrk.format("PATCH", common.fill(path, { id = id }), headers, common.fill(body, { member = last }))
    end
    return wrk.format("PATCH", common.fill(path, { id = id }), headers, common.fill(body2, { member = last }))
  end
  return wrk.format("PATCH", common.fill(path, { id = id }), headers, common.fill(body, { id = id }))
end
