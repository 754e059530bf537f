"""A TCP forwarder that holds every byte back for a fixed time in each direction: a database
server across the network, for a benchmark on one machine (this kernel has no tc netem).

It runs in a process of its own, so the benchmark's client does not share a GIL with it.
Each direction is a delay line (read, stamp, send when due), so a burst is delayed once,
not once per packet. Python's sleep overshoots by tens of microseconds: measure the round
trip through it (SELECT 1) rather than trusting the number asked for.
"""

from __future__ import annotations

import multiprocessing
import queue
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit


def _pipe(src: socket.socket, dst: socket.socket, delay_s: float) -> None:
    line: queue.Queue = queue.Queue()

    def send() -> None:
        while True:
            due, data = line.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    threading.Thread(target=send, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if not data:
            line.put((0.0, None))
            return
        line.put((time.monotonic() + delay_s, data))


def _serve(listener: socket.socket, target: tuple[str, int], delay_s: float) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(target, timeout=10)
        upstream.settimeout(None)
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b, delay_s), daemon=True).start()


class DelayLine:
    """`with DelayLine(url, rtt_ms) as slow_url:` the same database, every round trip `rtt_ms` longer."""

    def __init__(self, url: str, rtt_ms: float):
        self.url, self.rtt_ms = url, rtt_ms
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.proc = multiprocessing.get_context("fork").Process(
            target=_serve, args=(self.listener, self.target, rtt_ms / 2000), daemon=True)

    def __enter__(self) -> str:
        self.proc.start()
        parts = urlsplit(self.url)
        user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.listener.getsockname()[1]}"))

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.join()
        self.listener.close()
