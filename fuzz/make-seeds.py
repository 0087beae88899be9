#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-seeds.py: write fuzz_recv's seed corpus into fuzz/corpus/.

Each seed is a script for the hostile peer and the receiver, in the byte
layout fuzz_recv.c reads: kind (bit 0 seqpacket, bit 1 SO_PASSCRED, bit 2
SO_PASSPIDFD, bit 3 datagram, bit 4 SO_PASSSEC, SO_TIMESTAMPNS and
SO_TIMESTAMPING), message
count, then per message (length-1, descriptor count, how: bit 0 no
descriptors, bit 1 add SCM_CREDENTIALS, data), then per receive call
(op: bit 0 fdpass_recv, bit 1 NOCLOEXEC, bit 2 NONBLOCK; length capacity-1;
descriptor capacity).
"""
import os

STREAM, PACKETS, PASSCRED, PASSPIDFD, DATAGRAMS, LABEL_STAMPS = 0, 1, 2, 4, 8, 16
EVERY_OPTION = PASSCRED | PASSPIDFD | LABEL_STAMPS


def message(data, nfds, creds=False):
    how = (0 if nfds else 1) | (2 if creds else 0)
    return bytes([len(data) - 1, nfds, how]) + data


def call(op="recv_fds", cap_len=64, cap_fds=253, nocloexec=False,
         nonblock=False):
    code = (1 if op == "recv" else 0) | (2 if nocloexec else 0) | (
        4 if nonblock else 0)
    return bytes([code, cap_len - 1, cap_fds])


def seed(kind, messages, calls):
    return bytes([kind, len(messages)]) + b"".join(messages) + b"".join(calls)


SEEDS = {
    "io-fdpass-one": seed(STREAM, [message(b"\0", 1)], [call("recv")] * 2),
    "batches-small-capacity": seed(
        STREAM, [message(b"abcdef", 10), message(b"gh", 3), message(b"x", 0)],
        [call(cap_len=3, cap_fds=2)] * 6),
    "packets-max-fds-cap-1": seed(
        PACKETS, [message(b"packet", 253), message(b"p", 1)],
        [call(cap_len=2, cap_fds=1)] * 3),
    "credentials": seed(
        STREAM | PASSCRED, [message(b"\0", 1, creds=True)] * 3,
        [call("recv"), call(cap_fds=1), call(cap_fds=0)]),
    "over-the-limit-then-data": seed(
        PACKETS, [message(b"z", 254), message(b"data only", 0)],
        [call()] * 2),
    "flags": seed(STREAM, [message(b"\0", 2), message(b"\0", 1)],
                  [call(nocloexec=True), call(nonblock=True), call("recv")]),
    "pidfd-and-credentials-stream": seed(
        STREAM | PASSCRED | PASSPIDFD,
        [message(b"\0", 1), message(b"data", 0), message(b"ab", 3, creds=True)],
        [call("recv"), call("recv"), call(cap_fds=2), call()]),
    "pidfd-packets": seed(
        PACKETS | PASSPIDFD, [message(b"\0", 1), message(b"longer", 2)],
        [call("recv")] * 3),
    "pidfd-credentials-datagrams": seed(
        DATAGRAMS | PASSCRED | PASSPIDFD,
        [message(b"\0", 1), message(b"dgram", 4), message(b"z", 0)],
        [call("recv"), call(cap_len=2, cap_fds=1), call(), call()]),
    "every-option-full-packets": seed(
        PACKETS | EVERY_OPTION,
        [message(b"full", 253), message(b"\0", 1), message(b"f", 253)],
        [call(cap_fds=253), call("recv"), call(cap_fds=252)]),
    "every-option-full-datagrams": seed(
        DATAGRAMS | EVERY_OPTION,
        [message(b"full", 253, creds=True), message(b"\0", 1)],
        [call(cap_fds=253), call("recv"), call()]),
    "every-option-stream": seed(
        STREAM | EVERY_OPTION,
        [message(b"full", 253), message(b"more", 0), message(b"\0", 1)],
        [call(cap_fds=253), call(), call("recv")]),
    "recv-on-data-only": seed(STREAM, [message(b"no descriptors here", 0)],
                              [call("recv")] * 4 + [call()]),
}

directory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(directory, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)
print(f"make-seeds.py: wrote {len(SEEDS)} seeds to {directory}")
