#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""demo-client.py HOST PORT LAST_GENERATION: connect over and over from four
threads, each reading the server's one-line answer, until 20 answers came
from generation LAST_GENERATION (or 60 s passed). Says when 20 came,
then what happened to every connection. Exits 1 if any was refused or got
no answer."""
import collections
import socket
import sys
import threading
import time

host, port, last = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
answers = collections.Counter()
failures = collections.Counter()
longest_wait = 0.0
stop = threading.Event()
give_up = time.monotonic() + 60


def connect_once():
    start = time.monotonic()
    with socket.create_connection((host, port)) as connection:
        answer = connection.makefile().readline().strip()
    return answer, time.monotonic() - start


def client():
    global longest_wait
    while not stop.is_set():
        try:
            answer, waited = connect_once()
        except OSError as error:  # refused, reset...
            with lock:
                failures[type(error).__name__] += 1
            continue
        with lock:
            if not answer:
                failures["no answer"] += 1
                continue
            answers[answer] += 1
            if sum(answers.values()) == 20:
                print(f"20 answered, the last by {answer}", flush=True)
            longest_wait = max(longest_wait, waited)
            if (answers[f"generation {last}"] >= 20
                    or time.monotonic() > give_up):
                stop.set()


threads = [threading.Thread(target=client) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

total = sum(answers.values()) + sum(failures.values())
refused = failures["ConnectionRefusedError"]
print(f"{total} connections, {refused} refused: "
      + ", ".join(f"{count} answered by {answer}"
                  for answer, count in sorted(answers.items()))
      + "".join(f", {count} {what}" for what, count in failures.items()
                if what != "ConnectionRefusedError")
      + f"; the longest wait was {longest_wait:.2f} s", flush=True)
sys.exit(1 if failures or answers[f"generation {last}"] < 20 else 0)
