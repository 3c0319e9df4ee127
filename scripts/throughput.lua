-- wrk script for scripts/throughput.sh: requests from 100 tenants in turn,
-- each with a question never asked before, so that every request goes to
-- the provider and records the whole set of metrics (duration, cache miss,
-- tokens, cost, budget) into series that already exist.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local headers = {
    ["x-tenant-id"] = "tenant-" .. (counter % 100),
    ["content-type"] = "application/json",
  }
  local body = '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"question '
    .. id .. '-' .. counter .. '"}],"max_tokens":8}'
  return wrk.format("POST", "/v1/chat/completions", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("wrk: requests=%d seconds=%.3f non2xx=%d socket_errors=%d\n", summary.requests,
    summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
