#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-notify-seeds.py: write fuzz_notify's seed corpus into
fuzz/corpus-notify/. Each seed is the number of descriptors (one byte,
0-3), then the datagram: what daemons send, and what the holder drops."""
import os

SEEDS = {
    "store-named": (1, b"FDSTORE=1\nFDNAME=web"),
    "store-default-name": (2, b"READY=1\nFDSTORE=1"),
    "store-poll-status": (3, b"FDSTORE=1\nFDPOLL=0\nFDNAME=conn\nSTATUS=up\n"),
    "remove": (0, b"FDSTOREREMOVE=1\nFDNAME=web"),
    "remove-then-store": (1, b"FDSTOREREMOVE=1\nFDSTORE=1\nFDNAME=web"),
    "remove-unnamed": (0, b"FDSTOREREMOVE=1"),
    "ready-only": (0, b"READY=1\nSTATUS=serving\nMAINPID=1\nWATCHDOG=1"),
    "fds-without-store": (2, b"READY=1\nFDNAME=web"),
    "nul-byte": (1, b"FDSTORE=1\nFDNAME=a\0b"),
    "bad-name": (1, b"FDSTORE=1\nFDNAME=a:b"),
    "empty-name": (1, b"FDSTORE=1\nFDNAME="),
    "long-name": (1, b"FDSTORE=1\nFDNAME=" + b"x" * 256),
    "two-names": (1, b"FDNAME=first\nFDNAME=bad:second\nFDSTORE=1"),
    "too-long": (1, b"FDSTORE=1\nSTATUS=" + b"x" * 4096),
    "empty": (0, b""),
    "empty-name-unused": (1, b"\xff\xffORE=1\nFDNAME="),
    "crlf": (1, b"FDSTORE=1\r\nFDNAME=web\r\n"),
}

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus-notify")
os.makedirs(corpus, exist_ok=True)
for name, (nfds, text) in SEEDS.items():
    with open(os.path.join(corpus, name), "wb") as f:
        f.write(bytes([nfds]) + text)
print(f"make-notify-seeds.py: {len(SEEDS)} seeds in {corpus}")
