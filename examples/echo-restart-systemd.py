#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""echo-restart-systemd.py - a line-echo server written for systemd's file
descriptor store and nothing else (python3-systemd's systemd.daemon, the
standard library), restarted by fdpass instead of systemd: it keeps its
listening socket and its open connections across the restart.

A generation takes what LISTEN_FDS brings (listen_fds_with_names): the
listener, and the connections of the generation before, whose copies it
then removes from the store (FDSTOREREMOVE=1), so that closing one ends it.
The first generation makes the listener and stores it (FDSTORE=1) for
good. On SIGTERM a generation stops reading and stores every open
connection (FDSTORE=1, FDNAME=connection), unread lines included, then
exits; meanwhile new connections queue in the listener.

Usage: echo-restart-systemd.py demo FDPASS [ROUNDS]
           the whole demo: `FDPASS hold --notify` in a new temporary
           directory, and ROUNDS restarts (default 1), each by `FDPASS exec
           --notify`, while one client keeps its connection and talks
           through every restart and another connects over and over. Exit
           status 0 when no line, connection or connection attempt was
           lost, 77 without python3-systemd. The last line gives the
           restart-to-serving time, from SIGTERM to the next generation
           serving, against a cold start of the server without fdpass
           (the interpreter's start included in both).
       echo-restart-systemd.py serve GENERATION
           one generation, as `fdpass exec --notify` (or systemd) runs it
"""
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

try:
    from systemd import daemon
except ImportError:
    sys.exit(print(f"skipped: {sys.executable} has no python3-systemd") or 77)


def serve(generation):
    listener, connections = None, []
    for fd, name in daemon.listen_fds_with_names().items():
        sock = socket.socket(fileno=fd)
        if name == "listener":
            listener = sock
        elif name == "connection":
            connections.append(sock)
        else:
            sock.close()
    if connections:  # ours alone now
        daemon.notify("FDSTOREREMOVE=1\nFDNAME=connection")
    if listener is None:
        listener = socket.create_server(("127.0.0.1", 0))
        daemon.notify("FDSTORE=1\nFDNAME=listener", fds=[listener.fileno()])
    wake, wake_signal = socket.socketpair()
    wake_signal.setblocking(False)
    signal.set_wakeup_fd(wake_signal.fileno())
    signal.signal(signal.SIGTERM, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(wake, selectors.EVENT_READ)
    selector.register(listener, selectors.EVENT_READ)
    for connection in connections:
        selector.register(connection, selectors.EVENT_READ)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    daemon.notify("READY=1\nSTATUS=serving")
    print(f"serving {port} {len(connections)}", flush=True)
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is wake:
                # Unread lines stay in the connections for the next one.
                daemon.notify("STOPPING=1")
                if connections:
                    daemon.notify("FDSTORE=1\nFDNAME=connection",
                                  fds=[c.fileno() for c in connections])
                return 0
            if sock is listener:
                try:
                    connection, _ = listener.accept()
                except BlockingIOError:
                    continue
                connection.setblocking(True)
                connections.append(connection)
                selector.register(connection, selectors.EVENT_READ)
                continue
            line = sock.recv(4096)  # the clients wait for each answer
            if line:
                sock.sendall(f"{generation}: ".encode() + line)
            else:
                selector.unregister(sock)
                connections.remove(sock)
                sock.close()


def demo(fdpass, directory, rounds):
    notify, holder = f"{directory}/notify", f"{directory}/holder"
    processes = []

    def start(*command, **options):
        process = subprocess.Popen(command, **options)
        processes.append(process)
        return process

    def generation(number):
        server = start(fdpass, "exec", "--timeout", "10", "--notify", notify,
                       holder, "--", sys.executable, __file__, "serve",
                       str(number), stdout=subprocess.PIPE, text=True)
        words = server.stdout.readline().split()
        if len(words) != 3 or words[0] != "serving":
            raise SystemExit(f"generation {number} did not start: {words}")
        return server, int(words[1]), int(words[2])

    def talk(client, text, number):
        client.sendall(f"{text}\n".encode())
        answer = client.makefile().readline()
        if answer != f"{number}: {text}\n":
            raise SystemExit(f"the client sent {text!r}, got {answer!r}")

    refused, answered, stop = [0], [0], threading.Event()

    def knock(port):  # a new connection, over and over
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), 5) as s:
                    s.sendall(b"knock\n")
                    if s.makefile().readline().endswith(": knock\n"):
                        answered[0] += 1
            except ConnectionRefusedError:
                refused[0] += 1
            except OSError:
                pass  # a timeout or reset while the server stopped: retried

    try:
        start(fdpass, "hold", "--notify", notify, holder)
        server, port, resumed = generation(1)
        print(f"1. generation 1 serves 127.0.0.1:{port}; its listener is "
              f"stored in `fdpass hold` with FDSTORE=1")
        client = socket.create_connection(("127.0.0.1", port), 10)
        talk(client, "before", 1)
        knocker = threading.Thread(target=knock, args=(port,))
        knocker.start()
        times = []
        for number in range(2, rounds + 2):
            begun = time.monotonic()
            server.send_signal(signal.SIGTERM)
            server.wait(10)
            server, _, resumed = generation(number)
            times.append((time.monotonic() - begun) * 1000)
            if resumed < 1:
                raise SystemExit(f"generation {number} got no connection")
            talk(client, f"after restart {number - 1}", number)
        print(f"2. SIGTERM: it stored its open connection (FDSTORE=1) and "
              f"exited; generation {number} took both from LISTEN_FDS, "
              f"{rounds} time(s)")
        print("3. the client kept its connection: every line answered")
        stop.set()
        knocker.join(10)
        print(f"4. another client connected {answered[0]} times, refused "
              f"{refused[0]} times")
        if refused[0] or not answered[0]:
            raise SystemExit("FAILED: a connection was refused or never served")
        client.close()
        # The reference: the same server started cold, without fdpass
        # (no LISTEN_FDS, no NOTIFY_SOCKET: it makes its own listener).
        cold = []
        for _ in range(rounds):
            begun = time.monotonic()
            server = start(sys.executable, __file__, "serve", "0",
                           stdout=subprocess.PIPE, text=True,
                           env={"PATH": os.environ.get("PATH", "")})
            server.stdout.readline()
            cold.append((time.monotonic() - begun) * 1000)
            server.terminate()
            server.wait(10)
        restart, start_cold = statistics.median(times), statistics.median(cold)
        print(f"restart-to-serving: {restart:.1f} ms under fdpass (median of "
              f"{rounds}), {start_cold:.1f} ms for a cold start without it: "
              f"{restart / start_cold:.2f}x")
        return 0
    finally:
        stop.set()
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "demo":
        with tempfile.TemporaryDirectory() as directory:
            sys.exit(demo(sys.argv[2], directory,
                          int(sys.argv[3]) if len(sys.argv) == 4 else 1))
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        sys.exit(serve(sys.argv[2]))
    sys.exit(__doc__)
