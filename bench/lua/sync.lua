-- An Entra-style initial sync over many tenants at once. For each new user, in turn:
--   GET  <tenant>/Users?filter=userName eq "<name>"   (match: expects an empty list)
--   POST <tenant>/Users                                (create, Entra body)
--   PATCH <tenant>/Groups/<group>                      (Add the new user's id as a member)
-- Users are spread round-robin over the tenants of BENCH_TENANTS (lines: prefix, token,
-- group id, tab-separated). The id for the PATCH is read from the create's response.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(here .. "common.lua")

local tenants, body, add, nonce
local users, pending_create = 0, nil
local adds = {}

setup = common.setup
done = common.done

function init(args)
  tenants = {}
  for _, line in ipairs(common.lines(common.env("BENCH_TENANTS"))) do
    local prefix, token, group = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
    tenants[#tenants + 1] = {
      prefix = prefix,
      group = group,
      headers = {
        ["Content-Type"] = "application/scim+json; charset=utf-8",
        ["Authorization"] = "Bearer " .. token,
      },
    }
  end
  body = common.read(common.env("BENCH_BODY"))
  add = common.read(common.env("BENCH_ADD_BODY"))
  nonce = common.env("BENCH_NONCE", tostring(os.time()))
end

function request()
  if #adds > 0 then
    local job = table.remove(adds, 1)
    local tenant = tenants[job.tenant]
    return wrk.format("PATCH", tenant.prefix .. "/Groups/" .. tenant.group, tenant.headers,
      common.fill(add, { member = job.id }))
  end
  if pending_create ~= nil then
    local job = pending_create
    pending_create = nil
    local tenant = tenants[job.tenant]
    return wrk.format("POST", tenant.prefix .. "/Users", tenant.headers, common.fill(body, { name = job.name }))
  end
  users = users + 1
  local index = (users + thread_id) % #tenants + 1
  local name = string.format("sync-%s-t%d-%d-%d@example.com", nonce, index, thread_id, users)
  pending_create = { tenant = index, name = name }
  local tenant = tenants[index]
  local filter = common.urlencode('userName eq "' .. name .. '"')
  return wrk.format("GET", tenant.prefix .. "/Users?filter=" .. filter, tenant.headers)
end

function response(status, headers, response_body)
  if status ~= 201 then return end
  local id = response_body:match('"id"%s*:%s*"([^"]+)"')
  local index = response_body:match('"userName"%s*:%s*"sync%-[^%-]+%-t(%d+)%-')
  if id and index then adds[#adds + 1] = { tenant = tonumber(index), id = id } end
end
