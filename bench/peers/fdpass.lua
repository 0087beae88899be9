-- SPDX-License-Identifier: MIT
-- fdpass.lua N: pass /dev/null N times to ourselves with libfdpass's Lua
-- module (send, recv, close); print ns per passed descriptor. Lua has no
-- wall clock finer than a second; os.clock (CPU time, user and system)
-- serves, as the loop never waits.
local fdpass = require "fdpass"
local n = math.tointeger(tonumber(arg[1] or "10000"))
local a, b = assert(fdpass.socketpair())
local file = assert(io.open("/dev/null"))
local send, recv, close = fdpass.send, fdpass.recv, fdpass.close
local start = os.clock()
for _ = 1, n do
  send(a, file)
  close(recv(b))
end
print(string.format("%.1f", (os.clock() - start) * 1e9 / n))
