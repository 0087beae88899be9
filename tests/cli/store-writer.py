# SPDX-License-Identifier: MIT
"""store-writer.py SOCKET FILE STOP: store FILE's descriptor again and
again, as w1, w2, ..., each over a connection of its own, until the file
STOP exists (60 s at most). Prints each name the holder acknowledged, one
per line, then "refused N" for the connections refused (nobody listening)
and "failed N" for the stores not acknowledged. Speaks the store's
protocol itself (docs/protocol.md): a frame, then its 12-byte reply."""
import os
import socket
import struct
import sys
import time

path, stored, stop = sys.argv[1:4]
fd = os.open(stored, os.O_RDONLY)
refused = failed = 0
end = time.monotonic() + 60
n = 0
while not os.path.exists(stop) and time.monotonic() < end:
    n += 1
    name = b"w%d" % n
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(30)
    try:
        client.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        refused += 1
        client.close()
        continue
    try:
        header = struct.pack(">BBBBHBBI", 0xFD, 1, ord("S"), 0, 1, 0, 0,
                             len(name))
        socket.send_fds(client, [header + name], [fd])
        reply = b""
        while len(reply) < 12:
            chunk = client.recv(12 - len(reply))
            if not chunk:
                break
            reply += chunk
        if len(reply) == 12 and reply[2:4] == b"S\0":
            print(name.decode(), flush=True)
        else:
            failed += 1
    except OSError:
        failed += 1
    client.close()
print("refused", refused)
print("failed", failed)
