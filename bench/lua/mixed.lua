-- Mixed, read-heavy: a fraction args[2] (e.g. 0.05) of the requests are
-- replies through the API, the rest guest page reads picked from the data
-- file's "read" lines (repeated lines weigh more). Every non-2xx answer is
-- an error.
local post_fraction = 0.05

function init(args)
   load_data(args)
   post_fraction = tonumber(args[2]) or post_fraction
end

function request()
   if math.random() < post_fraction then
      return reply()
   end
   return wrk.format("GET", reads[math.random(#reads)])
end

function response(status, headers, body)
   count_status(status)
end
