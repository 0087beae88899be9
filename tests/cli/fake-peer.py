# SPDX-License-Identifier: MIT
"""fake-peer.py SOCKET MODE: listen on SOCKET, accept one connection and
misbehave as MODE says, to provoke each error of `fdpass exec` (as if this
were a holder) or `fdpass send` (as if this were a receiver):
  close           close at once
  no-fds          send a byte without descriptors
  bad-byte        send a descriptor with a first byte other than 0
  bad-names       send one descriptor with two names
  bad-name        send one descriptor with a name that has a tab
  second-message  send a correct message, then another descriptor
  silent          send nothing until the peer goes away
  no-confirm      read the handoff to its end, close without confirming
  close-unread    wait until the handoff came, close without reading it"""
import select
import socket
import sys

path, mode = sys.argv[1], sys.argv[2]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(1)
connection, _ = listener.accept()
null = open("/dev/null", "rb")
fds = [null.fileno()]
if mode in ("no-fds", "bad-byte", "bad-names", "bad-name", "second-message"):
    connection.recv(4096)  # a request, as a holder would read it
try:  # the peer may hang up at the first wrong byte
    if mode == "no-fds":
        connection.sendall(b"x")
    elif mode == "bad-byte":
        socket.send_fds(connection, [b"\x01"], fds)
    elif mode == "bad-names":
        socket.send_fds(connection, [b"\0a:b"], fds)
    elif mode == "bad-name":
        socket.send_fds(connection, [b"\0a\tb"], fds)
    elif mode == "second-message":
        socket.send_fds(connection, [b"\0"], fds)
        socket.send_fds(connection, [b"x"], fds)
    if mode in ("bad-names", "second-message"):  # as fdpass 1.1's holder
        connection.shutdown(socket.SHUT_WR)
except (BrokenPipeError, ConnectionResetError):
    pass
if mode in ("silent", "no-confirm"):
    while connection.recv(4096):
        pass
elif mode == "close-unread":
    select.select([connection], [], [])
if mode in ("no-fds", "bad-byte", "bad-names", "bad-name", "second-message"):
    try:
        while connection.recv(4096):  # until the peer has hung up
            pass
    except ConnectionResetError:
        pass
connection.close()
