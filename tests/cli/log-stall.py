#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# log-stall.py FDPASS SOCKET: a holder whose stderr nobody reads (a pipe of
# one page, full) while clients make it log, must serve on; once stderr is
# read again, the lines logged meanwhile are written.
import fcntl
import os
import socket
import subprocess
import sys
import termios
import time

F_SETPIPE_SZ = 1031
fdpass, path = sys.argv[1], sys.argv[2]

r, w = os.pipe()
fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
holder = subprocess.Popen([fdpass, "hold", path], stderr=w)
os.close(w)


def unread():
    return int.from_bytes(fcntl.ioctl(r, termios.FIONREAD, b"\0" * 4),
                          sys.byteorder)


def garbage_client():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"not the protocol")  # a log line: "does not speak..."
    s.close()


for _ in range(500):
    if os.path.exists(path):
        break
    time.sleep(0.01)
# Fill stderr (the holder logs 10 lines a second at most), then more: the
# holder has a line to write while the pipe is full.
deadline = time.monotonic() + 30
full_since = None
while time.monotonic() < deadline:
    garbage_client()
    time.sleep(0.02)
    if full_since is None and unread() > 4096 - 200:
        full_since = time.monotonic()
    if full_since is not None and time.monotonic() - full_since > 1.5:
        break
if full_since is None:
    sys.exit("log-stall: stderr never filled: %d bytes" % unread())

listed = subprocess.run([fdpass, "list", "--timeout", "3", path],
                        capture_output=True)
if listed.returncode != 0:
    sys.exit("log-stall: list failed while stderr was full: %r"
             % listed.stderr)

# Read stderr again: what was logged meanwhile is written.
log = b""
os.set_blocking(r, False)
deadline = time.monotonic() + 10
while len(log) <= 4096 + 100 and time.monotonic() < deadline:
    try:
        log += os.read(r, 65536)
    except BlockingIOError:
        time.sleep(0.05)
holder.terminate()
if holder.wait(timeout=10) != 0:
    sys.exit("log-stall: the holder exited %d" % holder.returncode)
if len(log) <= 4096 + 100 or b"does not speak the protocol" not in log:
    sys.exit("log-stall: the lines logged meanwhile are lost: %r"
             % log[-300:])
