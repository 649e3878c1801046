-- Every request a distinct (facet.limit, rows) pair, so none is answered from the cache.
local n = 0
request = function()
  local limit = 10 + n % 990
  local rows = 10 + math.floor(n / 990) % 20
  n = n + 1
  return wrk.format("GET", wrk.path .. "&facet.limit=" .. limit .. "&rows=" .. rows)
end
