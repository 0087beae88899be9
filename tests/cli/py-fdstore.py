# SPDX-License-Identifier: MIT
# py-fdstore.py: sd-fdstore.c again, written against python3-systemd alone
# (systemd.daemon.notify with fds=, listen_fds_with_names), as a Python
# daemon for systemd's file descriptor store would be. Run by the system
# interpreter, which sees Debian's python3-systemd.
#   py-fdstore.py store NAME TEXT | read NAME | remove NAME
import os
import sys

from systemd import daemon


def main(verb, name, text=None):
    if verb == "store":
        fd = os.memfd_create("py-fdstore")
        os.write(fd, text.encode())
        if not daemon.notify("READY=1\nFDSTORE=1\nFDNAME=" + name, fds=[fd]):
            sys.exit("py-fdstore: notify failed (NOTIFY_SOCKET unset?)")
        os.close(fd)
        return 0
    if verb == "remove":
        if not daemon.notify("FDSTOREREMOVE=1\nFDNAME=" + name):
            sys.exit("py-fdstore: notify failed")
        return 0
    for fd, fd_name in daemon.listen_fds_with_names().items():
        if fd_name == name:
            print(os.pread(fd, 256, 0).decode())
            return 0
    return 3


sys.exit(main(*sys.argv[1:]))
