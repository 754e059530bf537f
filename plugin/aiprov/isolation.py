"""Readers run in worker processes with a time limit per file.

c2pa-rs has segfaulted and panicked on hostile files, exiftool can stall,
Pillow can be fed a decompression bomb. Each of those must cost one
`unreadable` verdict, never the scan or the daemon. So every file is read in
a worker process (its own session, so its exiftool child dies with it); the
parent waits with a deadline, kills the whole process group of a worker that
overruns or dies, starts a fresh one and carries on.

concurrent.futures cannot do this: a dead worker breaks the whole pool and a
running task cannot be cancelled.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Iterable, Iterator

from .model import UNREADABLE, Inspection
from .reader import ReadSettings, Tools, display_path, read_file

DEFAULT_TIMEOUT_S = 60.0
# Recycle a worker after this many files, so a slow leak in a native reader
# cannot grow without bound in a daemon that runs for weeks.
MAX_FILES_PER_WORKER = 5000


def worker_main(recv_fd: int, send_fd: int, settings: ReadSettings) -> None:
    """The worker loop: receive a path, send back its Inspection, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    inbox = Connection(recv_fd, writable=False)
    outbox = Connection(send_fd, readable=False)
    tools = Tools(settings)
    try:
        while True:
            try:
                job = inbox.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            job_id, fspath = job
            try:
                result = read_file(fspath, settings, tools)
            except Exception as exc:  # a reader bug must still give the file a verdict
                result = _failure(fspath, f"aiprov failed reading this file: {type(exc).__name__}: {exc}")
            outbox.send((job_id, result))
    finally:
        tools.close()


@dataclass
class _Worker:
    process: subprocess.Popen
    inbox: Connection  # what the worker sends us
    outbox: Connection  # what we send the worker
    job: tuple[int, bytes] | None = None
    deadline: float = 0.0
    done: int = 0


class ReaderPool:
    """Reads files in isolated worker processes; yields one Inspection per file, in completion order."""

    def __init__(self, settings: ReadSettings | None = None, workers: int | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S):
        self.settings = settings or ReadSettings()
        self.size = max(1, workers or min(4, os.cpu_count() or 1))
        self.timeout_s = timeout_s
        self._workers: list[_Worker] = []
        self.restarts = 0

    def __enter__(self) -> "ReaderPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> _Worker:
        # A fresh interpreter rather than fork (the daemon has threads) or
        # multiprocessing's spawn (it re-imports the caller's __main__).
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        proc = subprocess.Popen(
            [sys.executable, "-m", "aiprov.worker", str(to_worker_r), str(from_worker_w),
             json.dumps(dataclasses.asdict(self.settings))],
            pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: killing it takes exiftool along
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        return _Worker(proc, Connection(from_worker_r, writable=False), Connection(to_worker_w, readable=False))

    def _kill(self, w: _Worker) -> None:
        try:
            os.killpg(w.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            w.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        w.inbox.close()
        w.outbox.close()

    def _replace(self, w: _Worker) -> _Worker:
        self._kill(w)
        self.restarts += 1
        fresh = self._start()
        self._workers[self._workers.index(w)] = fresh
        return fresh

    def read_many(self, paths: Iterable[bytes | str]) -> Iterator[Inspection]:
        pending = deque()
        source = iter(paths)
        exhausted = False
        while len(self._workers) < self.size:
            self._workers.append(self._start())
        next_id = 0

        def feed() -> None:
            nonlocal exhausted, next_id
            for w in list(self._workers):
                if w.job is not None:
                    continue
                if not pending and not exhausted:
                    try:
                        pending.append(os.fsencode(next(source)))
                    except StopIteration:
                        exhausted = True
                if not pending:
                    return
                if w.done >= MAX_FILES_PER_WORKER:
                    w = self._replace(w)
                fspath = pending.popleft()
                try:
                    w.outbox.send((next_id, fspath))
                except (BrokenPipeError, OSError):
                    w = self._replace(w)
                    w.outbox.send((next_id, fspath))
                w.job = (next_id, fspath)
                w.deadline = time.monotonic() + self.timeout_s
                next_id += 1

        feed()
        while any(w.job is not None for w in self._workers):
            busy = [w for w in self._workers if w.job is not None]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.inbox for w in busy], timeout)
            now = time.monotonic()
            for w in busy:
                if w.inbox in ready:
                    try:
                        job_id, result = w.inbox.recv()
                    except (EOFError, OSError):
                        try:
                            code = w.process.wait(2)
                        except subprocess.TimeoutExpired:
                            code = None
                        _, fspath = w.job
                        w.job = None
                        self._replace(w)
                        how = f"signal {-code}" if code and code < 0 else f"exit code {code}"
                        yield _failure(fspath, f"a metadata reader crashed on this file ({how}); "
                                               "the file is probably corrupt or hostile")
                        continue
                    w.job = None
                    w.done += 1
                    yield result
                elif now >= w.deadline:
                    _, fspath = w.job
                    w.job = None
                    self._replace(w)
                    yield _failure(fspath, f"reading took longer than {self.timeout_s:g} s and was stopped "
                                           "(a reader hung on this file)")
            feed()

    def read_one(self, path: bytes | str) -> Inspection:
        return next(iter(self.read_many([path])))

    def close(self) -> None:
        for w in self._workers:
            try:
                w.outbox.send(None)
            except (BrokenPipeError, OSError):
                pass
        for w in self._workers:
            try:
                w.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self._kill(w)
        self._workers = []


def _failure(fspath: bytes, reason: str) -> Inspection:
    return Inspection(path=display_path(fspath), verdict=UNREADABLE, error=reason, reason=reason, fspath=fspath)
