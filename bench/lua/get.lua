-- GET BENCH_PATH with {name} replaced by a random line of BENCH_NAMES (URL-encoded):
-- the filter workloads (userName eq, compound filters) and the floor's indexed SELECT.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

local names, template, headers

setup = common.setup
done = common.done

function init(args)
  common.seed_random()
  names = common.lines(common.env("BENCH_NAMES"))
  template = common.env("BENCH_PATH")
  headers = common.headers()
end

function request()
  local name = names[math.random(#names)]
  return wrk.format("GET", common.fill(template, { name = common.urlencode(name) }), headers)
end
