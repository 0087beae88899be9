#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# stuck-fuse.py MOUNTPOINT RELEASE PIDFILE: a FUSE file system with one
# file, "stuck", whose flush (which every close makes) does not answer a
# thread of the process named in PIDFILE until the file RELEASE exists:
# the close of a file whose server stalls, which no signal cuts short.
import errno
import os
import stat
import sys
import time

import fusepy

mountpoint, release, pidfile = sys.argv[1:4]


def tgid(tid):
    try:
        with open("/proc/%d/status" % tid) as f:
            for line in f:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


class Stuck(fusepy.Operations):
    def getattr(self, path, fh=None):
        now = time.time()
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2,
                    "st_ctime": now, "st_mtime": now, "st_atime": now}
        if path == "/stuck":
            return {"st_mode": stat.S_IFREG | 0o644, "st_nlink": 1,
                    "st_size": 1, "st_ctime": now, "st_mtime": now,
                    "st_atime": now}
        raise fusepy.FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return [".", "..", "stuck"]

    def open(self, path, flags):
        return 0

    def read(self, path, size, offset, fh):
        return b"x"[offset:offset + size]

    def flush(self, path, fh):
        _, _, tid = fusepy.fuse_get_context()
        try:
            with open(pidfile) as f:
                held = int(f.read().strip() or -1)
        except (OSError, ValueError):
            held = -1
        while tgid(tid) == held and not os.path.exists(release):
            time.sleep(0.05)
        return 0


fusepy.FUSE(Stuck(), mountpoint, foreground=True, nothreads=False)
