# SPDX-License-Identifier: MIT
"""use-fds.py: a socket-activated command that uses every descriptor it was
handed, by its name in LISTEN_FDNAMES (as in specs.sh), and prints one line
for each: what it read, or whom it accepted and with which options."""
import os
import socket

assert os.environ["LISTEN_PID"] == str(os.getpid()), "LISTEN_PID"
names = os.environ["LISTEN_FDNAMES"].split(":")
assert len(names) == int(os.environ["LISTEN_FDS"]), "LISTEN_FDS"


def serve(listener, family, address):
    """Connect to the listener, accept, and pass a line through."""
    with socket.socket(family, socket.SOCK_STREAM) as client:
        client.connect(address)
        connection, _ = listener.accept()
        with connection:
            client.sendall(b"ping\n")
            return connection.recv(16).decode().strip()


for fd, name in enumerate(names, start=3):
    if name == "r":
        print("r:", os.read(fd, 100).decode().strip())
    elif name == "w":
        os.write(fd, b"written\n")
        print("w: wrote")
    elif name == "rw":
        print("rw:", os.read(fd, 100).decode().strip())
        os.write(fd, b"+more\n")
    elif name in ("a", "fd"):
        os.write(fd, f"from {name}\n".encode())
        print(f"{name}: wrote")
    else:
        listener = socket.socket(fileno=fd)
        reuse = listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        family = listener.family
        address = listener.getsockname()
        extra = ""
        if family == socket.AF_INET6:
            extra = " v6only %d" % listener.getsockopt(
                socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
        if family != socket.AF_UNIX:
            extra = f" reuseaddr {reuse}" + extra
        print(f"{name}: {serve(listener, family, address)}{extra}")
        listener.detach()
