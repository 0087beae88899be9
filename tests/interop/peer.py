# SPDX-License-Identifier: MIT
# peer.py - interop peer for test_interop.c, using Python's socket module.
# Usage: python3 peer.py recv|send|send-x SOCKFD  (inherited unix socket)
#   recv:   receive one descriptor (recv_fds), write "from-python\n", close.
#   send:   send a pipe's write end (send_fds, data b"\0"), then print what
#           arrives on the pipe; send-x: the same with data b"x".
import os
import socket
import sys

if len(sys.argv) != 3 or sys.argv[1] not in ("recv", "send", "send-x"):
    sys.exit("usage: peer.py recv|send|send-x SOCKFD")
mode = sys.argv[1]
sock = socket.socket(fileno=int(sys.argv[2]))

if mode == "recv":
    data, fds, flags, _ = socket.recv_fds(sock, 1, 1)
    if len(fds) != 1 or flags & socket.MSG_CTRUNC:
        sys.exit(f"peer.py: expected one descriptor, got {fds} (data {data!r})")
    with open(fds[0], "wb") as f:
        f.write(b"from-python\n")
else:
    r, w = os.pipe()
    socket.send_fds(sock, [b"x" if mode == "send-x" else b"\0"], [w])
    os.close(w)
    with open(r, "rb") as f:
        sys.stdout.buffer.write(f.read())
