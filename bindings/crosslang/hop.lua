-- SPDX-License-Identifier: MIT
-- hop.lua LISTEN NEXT - a hop of chain.tcl: receive a descriptor on LISTEN
-- (fdpass.recv), write "lua" into it, pass it on to NEXT with send_fds.
local fdpass = require "fdpass"
local listen_path, next_path = arg[1], arg[2]

local listener = assert(fdpass.listen(listen_path))
print("listening")
io.stdout:flush()
assert(fdpass.wait(listener, fdpass.READABLE, 20000))
local sock = assert(fdpass.accept(listener))
local pipe = fdpass.fdopen(assert(fdpass.recv(sock)), "w")
assert(pipe:write("lua\n"))
assert(pipe:flush())

local next_sock = assert(fdpass.connect(next_path))
assert(fdpass.send_fds(next_sock, "from lua", { pipe }))
pipe:close()
fdpass.close(next_sock)
fdpass.close(sock)
fdpass.close(listener)
os.remove(listen_path)
