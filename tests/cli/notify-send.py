# SPDX-License-Identifier: MIT
# notify-send.py SOCKET [TEXT FDS]...: raw datagrams of systemd's
# notification protocol to SOCKET (a path or @NAME), one per TEXT, with
# Python's escapes (\n, \0, \x..) decoded and "{N*C}" standing for N times
# C. FDS attaches descriptors from one pool of fresh pipes (read ends; the
# write ends stay open): a count N (pipes 0 to N-1), or a list of pipe
# numbers ("0,0,1": the same pipe twice, then another), so that datagrams
# can carry the same file again. No credentials are written: the kernel
# attaches them.
import array
import os
import re
import socket
import sys

path, pairs = sys.argv[1], sys.argv[2:]
address = "\0" + path[1:] if path.startswith("@") else path
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
pool = []
for i in range(0, len(pairs), 2):
    text = re.sub(r"\{(\d+)\*(.)\}", lambda m: m.group(2) * int(m.group(1)),
                  pairs[i])
    data = text.encode().decode("unicode_escape").encode("latin-1")
    spec = pairs[i + 1] if i + 1 < len(pairs) else "0"
    numbers = ([int(n) for n in spec.split(",")] if "," in spec
               else list(range(int(spec))))
    while len(pool) <= max(numbers, default=-1):
        pool.append(os.pipe()[0])
    fds = [pool[n] for n in numbers]
    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
               array.array("i", fds))] if fds else []
    sock.sendmsg([data], rights, 0, address)
