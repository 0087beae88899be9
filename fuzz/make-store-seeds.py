#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-store-seeds.py: write fuzz_store's seed corpus into
fuzz/corpus-store/.

Each seed is the byte layout fuzz_store.c reads. First byte even: a hostile
client, then messages (length-1, descriptor count, data). First byte odd: a
hostile holder, then the number of calls-1, per call (operation: 0 store,
1 fetch, 2 list, 3 remove; name: 0 "web", 1 none, 2 "", 3 "a:b", 4 "log";
descriptor capacity; names capacity), then messages as above.
"""
import os
import struct

MAGIC, VERSION = 0xFD, 1


def frame(op, payload=b"", nfds=0, status=0, flags=0):
    header = struct.pack(">BBcBHBBI", MAGIC, VERSION, op, status, nfds,
                         flags, 0, len(payload))
    return header + payload


def query(op, name=b"", cap=8, names=4096):
    return frame(op, struct.pack(">II", cap, names) + name)


def message(data, nfds=0):
    assert 1 <= len(data) <= 256
    return bytes([len(data) - 1, nfds]) + data


def client(*messages):
    return b"\0" + b"".join(messages)


def holder(calls, *messages):
    return bytes([1, len(calls) - 1]) + b"".join(
        bytes(c) for c in calls) + b"".join(messages)


SEEDS = {
    "client-round-trip": client(
        message(frame(b"H")),
        message(frame(b"S", b"web", nfds=1), 1),
        message(frame(b"S", b"log", nfds=2), 2),
        message(query(b"F", b"web")), message(query(b"L")),
        message(query(b"F")), message(frame(b"R", b"web")),
        message(query(b"F", b"web"))),
    "client-fds-mismatch": client(message(frame(b"S", b"web", nfds=1), 3),
                                  message(query(b"L"))),
    "client-half-request": client(message(frame(b"S", b"web", nfds=1)[:7],
                                          1)),
    "client-garbage": client(message(b"\0hello"), message(query(b"L"))),
    "client-bad-hello": client(message(frame(b"H", b"x")),
                               message(query(b"L"))),
    "client-bad-names": client(message(frame(b"S", b"a:b", nfds=1), 1),
                               message(frame(b"R", b"")),
                               message(query(b"F", b"x" * 230 + b"\t"))),
    "client-small-capacity": client(
        message(frame(b"S", b"web", nfds=3), 3),
        message(query(b"F", b"web", cap=1)),
        message(query(b"L", names=2))),
    "client-hand-over": client(
        message(frame(b"S", b"web", nfds=1), 1), message(frame(b"T")),
        message(query(b"F")), message(frame(b"T"))),
    "client-new-and-lifetime": client(
        message(frame(b"S", b"web", nfds=1, flags=2), 1),
        message(frame(b"S", b"web", nfds=1, flags=2), 1),
        message(frame(b"S", struct.pack(">I", 1) + b"log", nfds=1,
                      flags=4), 1),
        message(frame(b"S", b"\0\0", nfds=1, flags=4), 1),
        message(query(b"L"))),
    "client-fds-on-payload": client(message(frame(b"S", b"web", nfds=1)[:12]),
                                    message(b"web", 1),
                                    message(query(b"L"))),
    "holder-fetch-one": holder(
        [(1, 0, 4, 64)],
        message(frame(b"F", b"web", nfds=1, status=0), 1)),
    "holder-fetch-frames": holder(
        [(1, 1, 5, 64)],
        message(frame(b"F", b"a:a", nfds=2, flags=1), 2),
        message(frame(b"F", b"b", nfds=1), 1)),
    "holder-truncated": holder(
        [(1, 0, 1, 64), (2, 1, 0, 3)],
        message(frame(b"F", struct.pack(">II", 2, 8), status=9)),
        message(frame(b"L", struct.pack(">II", 2, 8), status=9))),
    "holder-list-store-remove": holder(
        [(2, 1, 0, 64), (0, 0, 2, 0), (3, 4, 0, 0)],
        message(frame(b"L", b"a:b")), message(frame(b"S")),
        message(frame(b"R", status=19))),
    "holder-old-handoff": holder([(1, 1, 4, 64)], message(b"\0", 1)),
    "holder-old-handoff-then-reply": holder(
        [(1, 0, 4, 64)], message(b"\0web", 1),
        message(frame(b"F", b"web", nfds=1), 1)),
    "holder-refusal": holder([(2, 1, 0, 64)],
                             message(frame(b"H", status=12))),
    "holder-too-many": holder([(1, 0, 1, 64)],
                              message(frame(b"F", b"web:web", nfds=2), 2)),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "corpus-store")
os.makedirs(here, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
print(f"make-store-seeds.py: {len(SEEDS)} seeds in {here}")
