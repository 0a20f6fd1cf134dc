-- Posting: every request is a reply through the API, by one of ~200
-- members, to one of ~500 threads. Every non-2xx answer is an error.
function init(args)
   load_data(args)
end

function request()
   return reply()
end

function response(status, headers, body)
   count_status(status)
end
