-- wrk script for the "login storm": POST /login with the CORRECT password, so every request
-- runs one argon2id verification and is never throttled (throttling only follows failures).
--
-- Reads BENCH_USER, BENCH_PASS, BENCH_CSRF (a csrf_token form value) and BENCH_CSRF_COOKIE
-- (the matching tt_csrf cookie value) from the environment; bench/run.sh fetches the pair once
-- with curl. The anonymous CSRF token is a double-submit value bound to that cookie, so the
-- same pair stays valid for the whole run.

local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error("login.lua: environment variable " .. name .. " is not set")
  end
  return v
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local user = need("BENCH_USER")
local pass = need("BENCH_PASS")
local csrf = need("BENCH_CSRF")
local cookie = need("BENCH_CSRF_COOKIE")

wrk.method = "POST"
wrk.body = "username=" .. urlencode(user)
  .. "&password=" .. urlencode(pass)
  .. "&csrf_token=" .. urlencode(csrf)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "tt_csrf=" .. cookie

-- Count the answers per status, so the run can prove the logins really succeeded (303) and
-- were not refused (403 CSRF, 401 password, 429 throttled). A few dozen requests a second at
-- most, so this callback costs nothing measurable.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d: %d\n", code, n))
  end
end
