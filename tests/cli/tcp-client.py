# SPDX-License-Identifier: MIT
"""tcp-client.py PORT: connect to 127.0.0.1:PORT, say "connected" (or
"refused", exit 1) at once, then print the server's one-line answer."""
import socket
import sys

try:
    connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    print("refused", flush=True)
    sys.exit(1)
print("connected", flush=True)
print(connection.makefile().readline().strip() or "no answer", flush=True)
