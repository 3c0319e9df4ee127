-- wrk script for scripts/load.sh: every request comes from a tenant never
-- seen before, so the gateway sees as many distinct tenants as requests.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- args[1] names the round, so that tenants stay distinct across rounds.
  prefix = "load-" .. (args[1] or "0") .. "-" .. id .. "-"
  counter = 0
  body = '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hello there"}],"max_tokens":1}'
end

function request()
  counter = counter + 1
  local headers = { ["x-tenant-id"] = prefix .. counter, ["content-type"] = "application/json" }
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("wrk: requests=%d non2xx=%d socket_errors=%d\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
