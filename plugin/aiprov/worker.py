"""Entry point of an isolated reader process: `python -m aiprov.worker RECV_FD SEND_FD SETTINGS_JSON`.

The parent (isolation.ReaderPool) sends batches of (job id, path); the worker
answers each file with (job id, Inspection) as soon as it is read, in order,
so the parent always knows which file a worker is on. Messages are pickles
framed the way multiprocessing.connection frames them (a 4-byte big-endian
length first), written and read with plain os calls: a worker starts once per
pool and its imports are part of every scan's start-up.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct

from .model import UNREADABLE, Inspection
from .names import display_path
from .reader import ReadSettings, Tools, read_file
from .version import __version__

HEADER = struct.Struct("!i")
# Exit status of a worker whose code on disk is not the code its parent runs (an upgrade
# under a running daemon): the parent stops with a clear message instead of blaming files.
CODE_CHANGED = 86


def code_stamp() -> str:
    """What this process's aiprov code is: version plus the size and mtime of every module file."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256(__version__.encode())
    for p in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]
LONG_HEADER = struct.Struct("!Q")


def failure(fspath: bytes, reason: str) -> Inspection:
    return Inspection(path=display_path(fspath), verdict=UNREADABLE, error=reason, reason=reason, fspath=fspath)


def frame(obj) -> bytes:
    payload = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def _read_exactly(inbox, n: int) -> bytes:
    data = inbox.read(n)
    if data is None or len(data) != n:
        raise EOFError
    return data


def _receive(inbox):
    (size,) = HEADER.unpack(_read_exactly(inbox, 4))
    if size == -1:
        (size,) = LONG_HEADER.unpack(_read_exactly(inbox, 8))
    return pickle.loads(_read_exactly(inbox, size))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def worker_main(recv_fd: int, send_fd: int, settings: ReadSettings) -> None:
    """The worker loop: receive a batch of paths, send back each one's Inspection as soon as it is read."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    inbox = os.fdopen(recv_fd, "rb")
    tools = Tools(settings)
    try:
        while True:
            try:
                batch = _receive(inbox)
            except (EOFError, OSError, pickle.UnpicklingError):
                return
            if batch is None:
                return
            for job_id, fspath in batch:
                try:
                    result = read_file(fspath, settings, tools)
                except Exception as exc:  # a reader bug must still give the file a verdict
                    result = failure(fspath, f"aiprov failed reading this file: {type(exc).__name__}: {exc}")
                try:
                    _write_all(send_fd, frame((job_id, result)))
                except OSError:  # the parent has gone
                    return
    finally:
        tools.close()


if __name__ == "__main__":
    import json
    import sys

    # Nothing a native library prints may reach the parent's channel: stdout goes to stderr.
    os.dup2(2, 1)
    if len(sys.argv) > 4 and sys.argv[4] != code_stamp():
        print("aiprov reader: the aiprov installed on disk is not the one that started me (upgraded while "
              "running?); exiting so the parent can say so", file=sys.stderr)
        sys.exit(CODE_CHANGED)
    settings = ReadSettings(**json.loads(sys.argv[3]))
    if settings.task == "fingerprint":  # import the pixel libraries now, while the parent is still busy
        from . import fingerprints, localfeatures, videoprints  # noqa: F401
    worker_main(int(sys.argv[1]), int(sys.argv[2]), settings)
