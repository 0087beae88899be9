# SPDX-License-Identifier: MIT
# notify-send.py SOCKET TEXT [NFDS]: one raw datagram of systemd's
# notification protocol to SOCKET (a path or @NAME): TEXT, with Python's
# escapes (\n, \0, \x..) decoded and "{N*C}" standing for N times C, and
# NFDS descriptors attached (read ends of fresh pipes, the write ends kept
# open). No credentials are written: the kernel attaches them.
import array
import os
import re
import socket
import sys

path, text = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
text = re.sub(r"\{(\d+)\*(.)\}", lambda m: m.group(2) * int(m.group(1)), text)
data = text.encode().decode("unicode_escape").encode("latin-1")
pipes = [os.pipe() for _ in range(count)]
rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
           array.array("i", [r for r, w in pipes]))] if pipes else []
address = "\0" + path[1:] if path.startswith("@") else path
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.sendmsg([data], rights, 0, address)
