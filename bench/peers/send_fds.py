# SPDX-License-Identifier: MIT
"""send_fds.py N: pass /dev/null N times to ourselves with Python's
socket.send_fds/recv_fds (then os.close); print ns per passed descriptor."""
import os
import socket
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
a, b = socket.socketpair()
fd = os.open("/dev/null", os.O_RDONLY)
start = time.monotonic_ns()
for _ in range(n):
    socket.send_fds(a, [b"\0"], [fd])
    _, fds, _, _ = socket.recv_fds(b, 1, 1)
    os.close(fds[0])
print(f"{(time.monotonic_ns() - start) / n:.1f}")
