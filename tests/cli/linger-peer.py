# SPDX-License-Identifier: MIT
"""linger-peer.py SOCKET: a client with no right that makes its receiver's
close of the connection wait. It connects to SOCKET and sends one byte
carrying a loopback TCP socket with SO_LINGER on and both buffers full,
whose last close then waits up to 30 s for the unsent data; says "sent";
and keeps the other end open (unread) until it is killed (60 s at most)."""
import socket
import struct
import sys
import time

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
lingering = socket.create_connection(listener.getsockname())
peer, _ = listener.accept()
lingering.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 30))
lingering.setblocking(False)
try:
    while True:
        lingering.send(b"x" * 65536)
except BlockingIOError:
    pass
path = sys.argv[1]
address = "\0" + path[1:] if path.startswith("@") else path
deadline = time.monotonic() + 30
while True:  # until a byte went out before the receiver hung up
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(address)
        socket.send_fds(client, [b"\0"], [lingering.fileno()])
        break
    except (FileNotFoundError, ConnectionRefusedError, BrokenPipeError,
            ConnectionResetError):
        client.close()
        if time.monotonic() > deadline:
            sys.exit("linger-peer.py: nobody took the byte on " + path)
        time.sleep(0.001)
lingering.close()
client.close()
print("sent", flush=True)
time.sleep(60)  # until killed
