#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""demo-server.py GENERATION: a socket-activated server, started the way
systemd starts one (here by `fdpass exec`). It takes its listening socket
from descriptor 3 as LISTEN_FDS and LISTEN_PID say, answers every
connection with "generation GENERATION", and on SIGTERM stops accepting and
exits; connections it has not accepted stay queued in the socket."""
import os
import select
import signal
import socket
import sys

generation = sys.argv[1]
if os.environ.get("LISTEN_PID") != str(os.getpid()):
    sys.exit("demo-server: LISTEN_PID is not this process: not activated")
if int(os.environ.get("LISTEN_FDS", "0")) < 1:
    sys.exit("demo-server: LISTEN_FDS: no socket was handed over")

listener = socket.socket(fileno=3)
listener.setblocking(False)
# SIGTERM wakes select() through this pair; accepting stops there.
wake, wake_signal = socket.socketpair()
wake_signal.setblocking(False)
signal.set_wakeup_fd(wake_signal.fileno())
signal.signal(signal.SIGTERM, lambda *_: None)

host, port = listener.getsockname()[:2]
print(f"generation {generation} (pid {os.getpid()}) serves {host}:{port} "
      f"(LISTEN_PID={os.environ['LISTEN_PID']} "
      f"LISTEN_FDNAMES={os.environ.get('LISTEN_FDNAMES')})", flush=True)
while True:
    ready, _, _ = select.select([listener, wake], [], [])
    if wake in ready:
        break
    try:
        connection, _ = listener.accept()
    except BlockingIOError:  # another process took it
        continue
    with connection:
        connection.setblocking(True)
        connection.sendall(f"generation {generation}\n".encode())
