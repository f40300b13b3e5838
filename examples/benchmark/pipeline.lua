-- Pipelining for wrk: every write carries `depth` copies of the request (the URL's path, GET).
-- Usage: wrk -t1 -c64 -d10s -s pipeline.lua http://127.0.0.1:8080/plaintext -- 16
-- wrk counts responses, so its requests/s is requests, not batches.

local req

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil)
  end
  req = table.concat(r)
end

request = function()
  return req
end
