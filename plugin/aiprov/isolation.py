"""Readers run in worker processes with a time limit per file.

c2pa-rs has segfaulted and panicked on hostile files, exiftool can stall,
Pillow can be fed a decompression bomb. Each of those must cost one
`unreadable` verdict, never the scan or the daemon. So every file is read in
a worker process (its own session, so its exiftool child dies with it); the
parent waits with a deadline, kills the whole process group of a worker that
overruns or dies, starts a fresh one and carries on.

concurrent.futures cannot do this: a dead worker breaks the whole pool and a
running task cannot be cancelled.

Throughput: a message per file made the pipe round trip cost as much as
reading a small still, so paths go to a worker in batches (a second batch
queued behind the one it is reading, so it never waits for the parent). The
worker still answers file by file, in order, as each one is done; so the
parent always knows which file a worker is on, and the time limit is per
file: it restarts at every answer. When a worker dies or overruns, the file
it was on gets the `unreadable` verdict; the rest of its batches, not yet
answered, are read again one at a time by a fresh worker, so nothing else is
blamed and every input still gets exactly one result.

The parent never blocks on a worker: one persistent selector watches every
worker's pipe, reads are non-blocking and parsed into whole messages, and a
batch the pipe cannot take at once waits in a buffer until it can.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .model import Inspection
from .reader import ReadSettings
from .errors import AiprovError
from .worker import CODE_CHANGED, code_stamp
from .worker import HEADER as _HEADER, LONG_HEADER as _LONG_HEADER, failure as _failure, frame as _frame

DEFAULT_TIMEOUT_S = 60.0
# Recycle a worker after this many files, so a slow leak in a native reader
# cannot grow without bound in a daemon that runs for weeks.
MAX_FILES_PER_WORKER = 5000
# Files per message to a worker, at most. Smaller batches are sent when there is
# little work left, so that every worker gets a share.
MAX_BATCH = 32
# Paths taken ahead from the caller's iterable, per worker, to cut batches from.
PREFETCH_PER_WORKER = 2 * MAX_BATCH
READ_CHUNK = 256 * 1024
# While every worker has more than PAUSE_MIN_QUEUED files queued, the parent looks at the
# pipes at most every POLL_INTERVAL_S: a wake-up per answer costs the workers CPU too.
POLL_INTERVAL_S = 0.002
PAUSE_MIN_QUEUED = 8


class CodeChanged(AiprovError):
    """The reader processes would run different aiprov code than this process."""

    exit_code = 2


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    rfd: int  # what the worker sends us (non-blocking)
    wfd: int  # what we send the worker (non-blocking)
    jobs: deque = field(default_factory=deque)  # (job id, path) sent and not yet answered, in order
    inbuf: bytearray = field(default_factory=bytearray)  # the start of a message not wholly read yet
    outbuf: bytearray = field(default_factory=bytearray)  # bytes the pipe has not taken yet
    writing: bool = False  # wfd is registered with the selector, for outbuf
    deadline: float = 0.0  # when the file it is on (jobs[0]) runs out of time
    done: int = 0
    solo: bool = False  # re-reading one file of a dead worker's batch: nothing else is sent meanwhile


class ReaderPool:
    """Reads files in isolated worker processes; yields one Inspection per file, in completion order."""

    def __init__(self, settings: ReadSettings | None = None, workers: int | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S):
        self.settings = settings or ReadSettings()
        self.size = max(1, workers or min(4, os.cpu_count() or 1))
        self.timeout_s = timeout_s
        self._stamp = code_stamp()
        self._workers: list[_Worker] = []
        self._selector: selectors.BaseSelector | None = None
        self._next_id = 0
        self.restarts = 0
        self.crashes = 0  # files whose reader died (the daemon's metrics count them)
        self.timeouts = 0  # files whose reader overran the time limit

    def __enter__(self) -> "ReaderPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- workers ---------------------------------------------------------------------------

    def _start(self) -> _Worker:
        # A fresh interpreter rather than fork (the daemon has threads) or
        # multiprocessing's spawn (it re-imports the caller's __main__).
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "aiprov.worker", str(to_worker_r), str(from_worker_w),
                 json.dumps(dataclasses.asdict(self.settings)), self._stamp],
                pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: killing it takes exiftool along
            )
        except BaseException:
            for fd in (to_worker_w, from_worker_r):
                os.close(fd)
            raise
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        os.set_blocking(from_worker_r, False)
        os.set_blocking(to_worker_w, False)
        w = _Worker(proc, from_worker_r, to_worker_w)
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
        self._selector.register(w.rfd, selectors.EVENT_READ, w)
        return w

    def _close_pipes(self, w: _Worker) -> None:
        for fd, registered in ((w.rfd, True), (w.wfd, w.writing)):
            if fd < 0:
                continue
            if registered and self._selector is not None:
                try:
                    self._selector.unregister(fd)
                except (KeyError, ValueError):
                    pass
            try:
                os.close(fd)
            except OSError:
                pass
        w.rfd = w.wfd = -1
        w.writing = False

    def _kill(self, w: _Worker) -> None:
        try:
            os.killpg(w.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            w.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes(w)

    def _replace(self, w: _Worker) -> _Worker:
        self._kill(w)
        self.restarts += 1
        fresh = self._start()
        self._workers[self._workers.index(w)] = fresh
        return fresh

    def _drop(self, w: _Worker) -> None:
        """Stop a worker whose queued files nobody waits for any more (an abandoned read_many)."""
        self._kill(w)
        self._workers.remove(w)

    # -- pipes -----------------------------------------------------------------------------

    def _send(self, w: _Worker, message) -> bool:
        """Queue a message for the worker; False if its pipe is broken (the worker has gone)."""
        w.outbuf += _frame(message)
        return self._flush(w)

    def _flush(self, w: _Worker) -> bool:
        """Write what the pipe takes now; the selector says when it takes more."""
        ok = True
        while w.outbuf:
            try:
                n = os.write(w.wfd, w.outbuf)
            except BlockingIOError:
                break
            except OSError:  # the worker has gone; its results pipe ends too, and that is handled there
                w.outbuf.clear()
                ok = False
                break
            del w.outbuf[:n]
        want = bool(w.outbuf)
        if want != w.writing:
            if want:
                self._selector.register(w.wfd, selectors.EVENT_WRITE, w)
            else:
                self._selector.unregister(w.wfd)
            w.writing = want
        return ok

    def _give(self, w: _Worker, jobs: list[tuple[int, bytes]]) -> _Worker:
        """Send a batch; a worker that was idle and turns out dead is replaced first (it read nothing)."""
        idle = not w.jobs
        if idle and w.process.poll() is not None:
            if w.process.returncode == CODE_CHANGED:
                raise CodeChanged("aiprov's files changed on disk while this process was running (an upgrade?): "
                                  "restart it. What was read so far is recorded; the rest is read on the next run.")
            w = self._replace(w)
        if idle:
            w.deadline = time.monotonic() + self.timeout_s
        w.jobs.extend(jobs)
        if not self._send(w, jobs) and idle:
            w.jobs.clear()
            w = self._replace(w)
            w.deadline = time.monotonic() + self.timeout_s
            w.jobs.extend(jobs)
            self._send(w, jobs)
        return w

    def _receive(self, w: _Worker) -> tuple[list[tuple[int, Inspection]], bool]:
        """(the answers the worker has sent so far, maybe none; whether its pipe has ended)."""
        try:
            data = os.read(w.rfd, READ_CHUNK)
        except BlockingIOError:
            return [], False
        except OSError:
            return [], True
        if not data:
            return [], True
        buf = w.inbuf
        buf += data
        out, pos, end, gone = [], 0, len(buf), False
        with memoryview(buf) as view:
            while end - pos >= 4:
                (size,), head = _HEADER.unpack_from(view, pos), 4
                if size == -1:
                    if end - pos < 12:
                        break
                    (size,), head = _LONG_HEADER.unpack_from(view, pos + 4), 12
                if end - pos - head < size:
                    break
                try:
                    if size < 0:
                        raise ValueError(size)
                    out.append(pickle.loads(view[pos + head : pos + head + size]))
                except Exception:  # not a message: nothing more from this worker can be trusted
                    gone = True
                    break
                pos += head + size
        del buf[:pos]
        return out, gone

    # -- reading ---------------------------------------------------------------------------

    def read_many(self, paths: Iterable[bytes | str]) -> Iterator[Inspection]:
        # A worker still holding files of an earlier read_many that was abandoned would answer for them here.
        for w in [w for w in self._workers if w.jobs]:
            self._drop(w)
        while len(self._workers) < self.size:
            self._workers.append(self._start())
        reading = _Reading(self, iter(paths))
        try:
            yield from reading.run()
        finally:
            # Left before the end (the caller stopped iterating): files still queued in a worker
            # must not answer the next read_many.
            for w in [w for w in self._workers if w.jobs]:
                self._drop(w)

    def read_one(self, path: bytes | str) -> Inspection:
        return next(iter(self.read_many([path])))

    def close(self) -> None:
        stopping = set()
        for w in self._workers:
            if w.jobs or w.outbuf or not self._send(w, None):
                self._kill(w)  # still busy for a caller that has gone, or dead: no point waiting
            else:
                stopping.add(w)
        # A worker told to stop closes its exiftool and exits; its pipe ends when it has.
        deadline = time.monotonic() + 5
        while stopping and self._selector is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, mask in self._selector.select(left):
                w = key.data
                if w not in stopping or not mask & selectors.EVENT_READ:
                    continue
                try:
                    if os.read(w.rfd, READ_CHUNK):
                        continue
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                stopping.discard(w)
                try:
                    w.process.wait(1)
                except subprocess.TimeoutExpired:
                    pass
        for w in self._workers:
            if w.rfd >= 0:
                self._kill(w)  # reaps it, and takes along anything left in its process group
        self._workers = []
        if self._selector is not None:
            self._selector.close()
            self._selector = None


class _Reading:
    """One read_many: the paths not sent yet, the ones a dead worker left to re-read alone, and
    the loop that hands out batches, collects answers and enforces each file's time limit."""

    def __init__(self, pool: ReaderPool, source: Iterator):
        self.pool = pool
        self.source = source
        self.exhausted = False
        self.fresh: deque[bytes] = deque()  # taken from the caller's paths, not sent yet
        self.solo: deque[bytes] = deque()  # left unanswered by a worker that died: re-read one at a time
        self.last_wake = 0.0

    def _new_id(self) -> int:
        self.pool._next_id += 1
        return self.pool._next_id

    def feed(self) -> None:
        pool = self.pool
        want = PREFETCH_PER_WORKER * len(pool._workers)
        while not self.exhausted and len(self.fresh) < want:
            try:
                self.fresh.append(os.fsencode(next(self.source)))
            except StopIteration:
                self.exhausted = True
        for w in list(pool._workers):
            if w.solo:
                continue
            if not w.jobs and w.done >= MAX_FILES_PER_WORKER and (self.fresh or self.solo):
                w = pool._replace(w)
            if not w.jobs and self.solo:
                w = pool._give(w, [(self._new_id(), self.solo.popleft())])
                w.solo = True
                continue
            while self.fresh and w.done + len(w.jobs) < MAX_FILES_PER_WORKER:
                # Each worker gets about two batches' worth; batches shrink as the work runs out.
                size = min(MAX_BATCH, MAX_FILES_PER_WORKER - w.done - len(w.jobs),
                           max(1, len(self.fresh) // (2 * len(pool._workers))))
                if len(w.jobs) > size:
                    break
                w = pool._give(w, [(self._new_id(), self.fresh.popleft())
                                   for _ in range(min(size, len(self.fresh)))])

    def answered(self, w: _Worker, job_id: int) -> bool:
        if w.jobs and w.jobs[0][0] == job_id:
            w.jobs.popleft()
        else:  # answers come in order; anything else is not one we wait for
            for job in w.jobs:
                if job[0] == job_id:
                    w.jobs.remove(job)
                    break
            else:
                return False
        w.done += 1
        w.solo = False
        w.deadline = time.monotonic() + self.pool.timeout_s  # the next file's time starts now
        return True

    def fail(self, w: _Worker, reason: str) -> Inspection | None:
        """The worker is dead or killed: blame the file it was on, re-read the rest one by one."""
        jobs = list(w.jobs)
        w.jobs.clear()
        w.solo = False
        self.solo.extend(fspath for _, fspath in jobs[1:])
        self.pool._replace(w)
        return _failure(jobs[0][1], reason) if jobs else None

    def crashed(self, w: _Worker) -> Inspection | None:
        try:
            code = w.process.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        if code == CODE_CHANGED:
            raise CodeChanged("aiprov's files changed on disk while this process was running (an upgrade?): "
                              "restart it. What was read so far is recorded; the rest is read on the next run.")
        how = f"signal {-code}" if code and code < 0 else f"exit code {code}"
        self.pool.crashes += 1
        return self.fail(w, f"a metadata reader crashed on this file ({how}); the file is probably corrupt or hostile")

    def collect(self, w: _Worker) -> Iterator[Inspection]:
        """The answers a worker has sent; a crash if its pipe ended."""
        results, gone = self.pool._receive(w)
        for job_id, result in results:
            if self.answered(w, job_id):
                yield result
        if gone:
            failure = self.crashed(w)
            if failure is not None:
                yield failure

    def wait(self, busy: list[_Worker]) -> list:
        now = time.monotonic()
        if not self.solo and all(len(w.jobs) > PAUSE_MIN_QUEUED and not w.solo for w in busy):
            # Every worker has plenty queued: waking for each answer would only take CPU
            # from them (they share it with us). Let answers gather; the pipe holds plenty.
            pause = self.last_wake + POLL_INTERVAL_S - now
            if pause > 0:
                time.sleep(pause)
                now = time.monotonic()
        events = self.pool._selector.select(max(0.0, min(w.deadline for w in busy) - now))
        self.last_wake = time.monotonic()
        return events

    def overdue(self) -> Iterator[Inspection]:
        """Workers past their file's deadline: a last look for an answer, else the file is blamed."""
        now = time.monotonic()
        for w in list(self.pool._workers):
            if not w.jobs or now < w.deadline:
                continue
            results, gone = self.pool._receive(w)  # an answer may have come since the select
            for job_id, result in results:
                if self.answered(w, job_id):
                    yield result
            if gone:
                failure = self.crashed(w)
            elif results:
                continue
            else:
                self.pool.timeouts += 1
                failure = self.fail(w, f"reading took longer than {self.pool.timeout_s:g} s and was stopped "
                                       "(a reader hung on this file)")
            if failure is not None:
                yield failure

    def run(self) -> Iterator[Inspection]:
        while True:
            self.feed()
            busy = [w for w in self.pool._workers if w.jobs]
            if not busy:
                if self.exhausted and not self.fresh and not self.solo:
                    return
                continue  # every worker free and files left: only after a worker died while idle
            for key, mask in self.wait(busy):
                w = key.data
                if w.rfd < 0:  # replaced earlier in this round
                    continue
                if mask & selectors.EVENT_WRITE:
                    self.pool._flush(w)
                if mask & selectors.EVENT_READ:
                    yield from self.collect(w)
            yield from self.overdue()
