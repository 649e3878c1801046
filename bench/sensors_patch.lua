-- wrk script: single partial attribute updates over HTTP (PATCH
-- /ngsi-ld/v1/entities/{id}/attrs/waterLevel), each on a random one of the
-- 25,000 WaterObserved entities bench/sensors.sh loaded (ids that are multiples
-- of 4, as bench/sensors_load.py makes them). The token comes from the environment.
local token = os.getenv("PENDOPO_TOKEN")
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = token
local n = 0
request = function()
  n = n + 1
  local id = 4 * math.random(0, 24999)
  local body = '{"value": ' .. (n % 1000) / 100 .. '}'
  return wrk.format(nil, "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterObserved:" .. id .. "/attrs/waterLevel", nil, body)
end
response = function(status, headers, body)
  if status ~= 204 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
