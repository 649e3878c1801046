-- wrk script: files Open311 service requests (POST requests.json), each a
-- new case (no idempotency key). The token comes from the environment.
local token = os.getenv("PENDOPO_TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local n = 0
request = function()
  n = n + 1
  local body = "service_code=SAMPAH&lat=-7.1502&long=111.8817&address_id=35.22.16"
    .. "&description=Sampah+menumpuk+di+pinggir+jalan+sudah+tiga+hari+" .. n
    .. "&api_key=" .. token
  return wrk.format(nil, "/open311/v2/requests.json", nil, body)
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
