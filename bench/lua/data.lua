-- Loads the data file the harness writes (args[1]): lines "token T",
-- "thread ID" and "read PATH".
tokens, thread_ids, reads = {}, {}, {}
bench_non2xx, bench_statuses = 0, {}
local counter = 0

function load_data(args)
   local f = assert(io.open(args[1], "r"))
   for line in f:lines() do
      local kind, v = line:match("^(%a+) (.+)$")
      if kind == "token" then
         tokens[#tokens + 1] = v
      elseif kind == "thread" then
         thread_ids[#thread_ids + 1] = v
      elseif kind == "read" then
         reads[#reads + 1] = v
      end
   end
   f:close()
   math.randomseed(os.time() * 1000 + (bench_id or 0) * 7919)
end

-- reply returns a POST of a new reply by a random member to a random thread.
function reply()
   counter = counter + 1
   local body = string.format('{"body":"Load test reply %d-%d. Thanks, that settles the **booking** question; see the [rates](/p/1) and\\n\\n- check the dates\\n- confirm by mail"}', bench_id or 0, counter)
   local headers = {
      ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
      ["Content-Type"] = "application/json",
   }
   return wrk.format("POST", "/api/v1/threads/" .. thread_ids[math.random(#thread_ids)] .. "/posts", headers, body)
end

function count_status(status)
   bench_statuses[status] = (bench_statuses[status] or 0) + 1
   if status < 200 or status > 299 then
      bench_non2xx = bench_non2xx + 1
   end
end
