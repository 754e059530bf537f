"""`aiprov watch`: the daemon on editorial storage.

Event callbacks only put small values on a queue (watchdog kills its observer
thread silently when a handler raises, #427/#793). The main loop journals
every path in the ledger before anything else, waits until a file is
complete (size and mtime stable for the stability window, and closed by its
writer where inotify tells), then hands batches to the same Checker that
`scan` uses. A file is never lost: the journal survives kill -9, and a
reconcile walk (at start and then periodically) catches whatever events
missed: overflowed queues, lost watches, changes while the daemon was down.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import queue
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from watchdog.events import (DirAttribEvent, DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent,
                             FileAttribEvent, FileClosedEvent, FileCreatedEvent, FileDeletedEvent,
                             FileModifiedEvent, FileMovedEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from .config import Config
from .errors import AiprovError, LedgerError, LedgerUnavailable, UsageError
from .hooks import HookRunner, finding_event
from .ledger import Ledger, is_url, redact
from .names import display_path
from .polling import FolderMtimePollingObserver
from .checking import Checker, Tally
from .settling import Settler
from .walk import DEFAULT_IGNORE, entry_for, ignored, iter_files

log = logging.getLogger("aiprov.watch")

# Filesystems where inotify cannot see other machines' changes.
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs",
              "fuse.glusterfs", "lustre", "gpfs", "beegfs", "fuse.rclone", "davfs", "fuse.s3fs"}
HEARTBEAT_S = 30.0  # how often a daemon tells a shared ledger it is alive


class AlreadyRunning(AiprovError):
    exit_code = 2


@dataclass
class WatchOptions:
    roots: list[bytes]
    polling: bool | None = None  # None: chosen per root by filesystem type
    stability_s: float = 2.0
    reconcile_s: float = 3600.0
    poll_interval_s: float = 1.0
    workers: int | None = None
    batch: int = 500
    metrics_port: int | None = None  # serve Prometheus metrics there
    metrics_address: str = "127.0.0.1"


@dataclass
class Status:
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)
    roots: list[dict] = field(default_factory=list)
    queue_depth: int = 0
    processed: int = 0
    findings: int = 0
    last_reconcile: float | None = None
    reconciling: bool = False
    errors: list[str] = field(default_factory=list)
    hooks_run: int = 0
    hooks_failed: int = 0
    updated: float = 0.0


def filesystem_type(path: bytes) -> str | None:
    """The type of the filesystem holding path, from /proc/mounts (longest mount-point match)."""
    real = os.path.realpath(path)
    best, kind = b"", None
    try:
        with open("/proc/mounts", "rb") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1].replace(b"\\040", b" ")
                if (real == mnt or real.startswith(mnt.rstrip(b"/") + b"/")) and len(mnt) >= len(best):
                    best, kind = mnt, parts[2].decode("ascii", "replace")
    except OSError:
        return None
    return kind


# What the daemon listens for. Not opens and reads (inotify's IN_OPEN, IN_CLOSE_NOWRITE): every
# folder the reconcile lists and every file the readers read would raise two, and a walk of a
# million files then overflows the kernel's event queue (16,384 by default) many times over;
# each overflow asks for another reconcile, which overflows it again.
WATCHED_EVENTS = [FileCreatedEvent, DirCreatedEvent, FileModifiedEvent, DirModifiedEvent, FileAttribEvent,
                  DirAttribEvent, FileClosedEvent, FileMovedEvent, DirMovedEvent, FileDeletedEvent, DirDeletedEvent]


class _Handler(FileSystemEventHandler):
    """Puts (kind, src, dest) on the queue. Never does work, never raises."""

    def __init__(self, q: queue.Queue):
        self.q = q

    def on_any_event(self, event) -> None:
        try:  # opens and reads never come here (WATCHED_EVENTS): our own readers open files too
            self.q.put((event.event_type, event.is_directory, os.fsencode(event.src_path),
                        os.fsencode(getattr(event, "dest_path", "") or "")))
        except Exception:  # noqa: BLE001 - an exception here would kill the observer thread
            pass


class _OverflowListener(logging.Handler):
    """watchdog only logs an inotify queue overflow (events were lost); turn that into a reconcile."""

    def __init__(self, watcher: "Watcher"):
        super().__init__(logging.WARNING)
        self.watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.watcher.reconcile_requested = True
            self.watcher.overflows += 1


class Watcher:
    def __init__(self, config: Config, ledger: Ledger, options: WatchOptions,
                 status_path: Path, reload_config: Callable[[], Config] | None = None, metrics=None):
        self.metrics = metrics  # a metrics.WatchMetrics, or None
        self.config = config
        self.ledger = ledger
        self.options = options
        self.status_path = status_path
        self.reload_config = reload_config
        self.events: queue.Queue = queue.Queue()
        self.settle = Settler(options.stability_s)
        self.status = Status()
        self.observers: list[tuple[bytes, object, str, int]] = []  # (root, observer, kind, device)
        self.stopping = False
        self.reload_requested = False
        self.reconcile_requested = True  # at start: catch what changed while we were down
        self.hooks = HookRunner(config.hooks, config.root)
        self.checker = Checker(config, ledger, workers=options.workers)
        self._last_status = 0.0
        self._last_heartbeat = 0.0
        # The ledger's server away (a shared PostgreSQL ledger restarted, the network down): events
        # are kept in memory, unjournaled ones listed, and the connection retried with back-off.
        self._ledger_lost_at: float | None = None
        self._ledger_retry_at = 0.0
        self._unjournaled: list[bytes] = []
        self._last_supervise = 0.0
        self.overflows = 0
        self._overflow_listener = _OverflowListener(self)

    # -- observers ---------------------------------------------------------

    def _observer_kind(self, root: bytes) -> str:
        if self.options.polling is not None:
            return "polling" if self.options.polling else "inotify"
        fs = filesystem_type(root)
        return "polling" if fs in NETWORK_FS else "inotify"

    def _start_observer(self, root: bytes) -> None:
        kind = self._observer_kind(root)
        handler = _Handler(self.events)
        for attempt in (kind, "polling"):
            obs = (FolderMtimePollingObserver(timeout=self.options.poll_interval_s) if attempt == "polling"
                   else Observer())
            try:
                obs.schedule(handler, os.fsdecode(root), recursive=True, event_filter=WATCHED_EVENTS)
                obs.start()
            except OSError as exc:
                if attempt == "inotify" and exc.errno in (errno.ENOSPC, errno.EMFILE):
                    limit = _read_int("/proc/sys/fs/inotify/max_user_watches")
                    msg = (f"inotify watch limit reached on {display_path(root)} (fs.inotify.max_user_watches={limit}); "
                           "raise it with: sysctl -w fs.inotify.max_user_watches=1048576 (and persist it in "
                           "/etc/sysctl.d/). Watching this tree by polling meanwhile.")
                    log.warning(msg)
                    self._error(msg)
                    continue
                raise
            dev = os.stat(root).st_dev
            self.observers.append((root, obs, attempt, dev))
            log.info("watching %s with %s", display_path(root), attempt)
            return

    def start(self) -> None:
        logging.getLogger("watchdog.observers").addHandler(self._overflow_listener)
        for root in self.options.roots:
            self._start_observer(root)
        self.settle.resume(self.ledger.journal.paths())  # unfinished work from before a crash
        if self.settle:
            log.info("resuming %d journaled path(s) from before the last stop", len(self.settle))

    def _supervise(self) -> None:
        """Restart dead observers and re-watch remounted roots; both followed by a reconcile."""
        for i, (root, obs, kind, dev) in enumerate(list(self.observers)):
            try:
                now_dev = os.stat(root).st_dev
            except OSError:
                now_dev = None
            alive = obs.is_alive() and all(e.is_alive() for e in getattr(obs, "emitters", []))
            if alive and now_dev == dev:
                continue
            why = "its observer stopped" if not alive else "it was remounted"
            if now_dev is None:
                continue  # share is away; try again next time
            log.warning("re-watching %s: %s", display_path(root), why)
            self._error(f"re-watched {display_path(root)}: {why}")
            try:
                obs.stop()
            except Exception:  # noqa: BLE001 - a dead observer may fail to stop
                pass
            self.observers.remove((root, obs, kind, dev))
            self._start_observer(root)
            self.reconcile_requested = True

    # -- events ------------------------------------------------------------

    def _in_scope(self, path: bytes) -> bool:
        if ignored(os.path.basename(path), DEFAULT_IGNORE):
            return False
        parts = path.split(b"/")
        if b".aiprov" in parts:
            return False
        # Where the file itself lives, not where a link leads: a link in the tree is checked as
        # `scan` checks it (a link to a file is read like the file; a broken one is a finding).
        real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        return any(real.startswith(r.rstrip(b"/") + b"/") for r in self._real_roots)

    def _drain(self, timeout: float) -> None:
        new: list[bytes] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                kind, is_dir, src, dest = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if is_dir:
                if kind in ("moved", "deleted"):
                    self.reconcile_requested = True
                arrived = src if kind == "created" else dest if kind == "moved" else None
                if arrived:  # files copied or moved in with the folder may predate its watch
                    for e in iter_files([arrived]):
                        # an unlistable folder inside it is left to the reconcile; a broken link is not
                        if (not e.error or os.path.islink(e.fspath)) and self._in_scope(e.fspath):
                            new.append(e.fspath)
                            self.settle.note(e.fspath)
                continue
            if kind == "deleted":
                self.settle.gone(src)
                continue
            if kind == "moved":
                self.settle.gone(src)
                src = dest
            if not src or not self._in_scope(src):
                continue
            if self.settle.note(src, writing=kind == "modified" and self._inotify(src),
                                created=kind == "created" and self._inotify(src), closed=kind == "closed"):
                new.append(src)
            if self.events.qsize() == 0 and time.monotonic() >= deadline:
                break
        if new and self._ledger_lost_at is not None:
            self._unjournaled.extend(new)
        elif new:
            try:
                self.ledger.journal.add(new)  # recorded before it is processed: kill -9 loses nothing
            except LedgerUnavailable as exc:
                self._unjournaled.extend(new)
                self._ledger_lost(exc)

    def _inotify(self, path: bytes) -> bool:
        return any(kind == "inotify" and (path == r or path.startswith(r.rstrip(b"/") + b"/"))
                   for r, _, kind, _ in self.observers)

    # -- processing ----------------------------------------------------------

    def _process(self, paths: list[bytes]) -> None:
        deleted = self.settle.due_deletions(with_batch=bool(paths))
        self.settle.take(paths)
        result = Tally()
        try:
            done = self.checker.check([entry_for(p) for p in paths], result, missing_paths=deleted,
                                      renders_within=[*self.options.roots, *self._real_roots])
        except LedgerUnavailable as exc:
            # Nothing of this batch was written: put it back, to be read again once the ledger is back.
            self.settle.resume(paths)
            self.settle.resume_deletions(deleted)
            self._ledger_lost(exc)
            return
        self._account(result, done)
        try:
            self.ledger.journal.remove(paths)
        except LedgerUnavailable as exc:  # recorded already; a later run finds them unchanged
            self._ledger_lost(exc)

    def _ledger_lost(self, exc: LedgerUnavailable) -> None:
        now = time.monotonic()
        if self._ledger_lost_at is None:
            self._ledger_lost_at = now
            self._ledger_retry_at = now + 1.0
            if self.metrics:
                self.metrics.ledger_errors.inc()
            log.error("%s; keeping %d queued file(s) and retrying", exc, len(self.settle),
                      extra={"fields": {"event": "ledger-lost"}})
            self._error(str(exc))

    def _ledger_back(self) -> bool:
        """True when the ledger can be used; while it is away, retries the connection now and then."""
        if self._ledger_lost_at is None:
            return True
        now = time.monotonic()
        if now < self._ledger_retry_at:
            return False
        away = now - self._ledger_lost_at
        try:
            self.ledger.reconnect()
            if self._unjournaled:
                self.ledger.journal.add(self._unjournaled)
        except LedgerUnavailable:
            if self.metrics:
                self.metrics.ledger_retries.inc()
            self._ledger_retry_at = now + min(30.0, max(1.0, away / 4))
            return False
        self._unjournaled = []
        self._ledger_lost_at = None
        self.reconcile_requested = True  # a deletion or move may have been missed meanwhile
        log.info("the ledger is reachable again after %.0f s; processing %d queued file(s)", away,
                 len(self.settle), extra={"fields": {"event": "ledger-back"}})
        return True

    def _account(self, result: Tally, done) -> None:
        for fr in done:
            i = fr.inspection
            log.info("%s %s%s", i.verdict, i.path, f" ({i.generator})" if i.generator else "",
                     extra={"fields": {"event": "recorded", "path": i.path, "verdict": i.verdict,
                                       "zone": fr.zone, "content_id": i.content_id, "reused": fr.reused}})
            if self.metrics:
                self.metrics.files.labels(i.verdict).inc()
                for f in fr.new_findings:
                    self.metrics.findings.labels(f.rule, f.severity).inc()
            if fr.new_findings:
                self.status.findings += len(fr.new_findings)
                for f in fr.new_findings:
                    log.warning("%s: %s: %s", f.rule, i.path, f.message,
                                extra={"fields": {"event": "finding", "rule": f.rule, "severity": f.severity,
                                                  "path": i.path, "content_id": i.content_id}})
                self.hooks.fire(finding_event(i, fr.zone, fr.new_findings, self.config.production, self.ledger.host))
        self.status.processed += result.read + result.reused

    def reconcile(self) -> None:
        """Walk the roots and catch up with the ledger, in chunks, so memory stays flat and
        SIGTERM is honoured within one chunk (an interrupted reconcile runs again at next start)."""
        self.status.reconciling = True
        self._write_status(force=True)
        started = time.time()
        walked = [0]
        if self.metrics:
            self.metrics.reconciling.set(1)
            self.metrics.reconcile_files.set(0)

        def batch_done(part, done):
            walked[0] += len(done)
            if self.metrics:
                self.metrics.reconcile_files.set(walked[0])
            self._account(part, done)
            self._drain(0)  # keep journaling events that arrive during a long walk
            self._write_status()

        totals = self.checker.check_tree(self.options.roots, should_stop=lambda: self.stopping, on_batch=batch_done)
        files = totals.walked
        self.status.reconciling = False
        if self.metrics:
            self.metrics.reconciling.set(0)
            self.metrics.reconcile_files.set(files)
        if self.stopping:
            log.info("reconcile interrupted by stop after %d file(s); it runs again at the next start",
                     files)
            return
        self.status.last_reconcile = time.time()
        if self.metrics:
            self.metrics.last_reconcile.set(self.status.last_reconcile)
            self.metrics.reconcile_seconds.set(self.status.last_reconcile - started)
        self.reconcile_requested = False
        _release_memory()
        log.info("reconciled %d file(s) in %.1f s: read %d (%d recorded under older rules), unchanged %d, moved %d, "
                 "gone %d", files, time.time() - started, totals.read, totals.older_rules, totals.reused, totals.moved,
                 totals.gone, extra={"fields": {"event": "reconcile", "files": files, "read": totals.read,
                                                "older_rules": totals.older_rules, "gone": totals.gone}})

    def _error(self, msg: str) -> None:
        self.status.errors = (self.status.errors + [f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}"])[-20:]

    def _write_status(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_status < 1.0:
            return
        self._last_status = now
        s = self.status
        s.queue_depth = len(self.settle) + self.events.qsize()
        s.roots = [{"path": display_path(r), "observer": kind} for r, _, kind, _ in self.observers]
        s.hooks_run, s.hooks_failed, s.updated = self.hooks.runs, self.hooks.failures, now
        if self.metrics:
            m = self.metrics
            m.queue_depth.set(s.queue_depth)
            crashes, timeouts = self.checker.reader_failures()
            m.catch_up("crash", m.reader_failures.labels("crash"), crashes)
            m.catch_up("timeout", m.reader_failures.labels("timeout"), timeouts)
            m.catch_up("hooks-ok", m.hooks.labels("ok"), s.hooks_run - s.hooks_failed)
            m.catch_up("hooks-failed", m.hooks.labels("failed"), s.hooks_failed)
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(s.__dict__, indent=1))
        os.replace(tmp, self.status_path)
        if force or now - self._last_heartbeat >= HEARTBEAT_S:
            self._last_heartbeat = now
            try:
                self.ledger.hosts.heartbeat(os.getpid(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s.started)),
                                          {"roots": s.roots, "queue_depth": s.queue_depth, "processed": s.processed,
                                           "findings": s.findings})
            except LedgerError as exc:  # a heartbeat is not worth stopping for; the next one retries
                if self.metrics:
                    self.metrics.ledger_errors.inc()
                log.warning("could not record this daemon's heartbeat in the ledger: %s", exc)

    # -- the loop --------------------------------------------------------------

    def run(self) -> None:
        self._real_roots = [os.path.realpath(r) for r in self.options.roots]
        self.start()
        last_reconcile = time.monotonic()
        try:
            while not self.stopping:
                self._drain(0.1)
                if self.reload_requested:
                    self._reload()
                now = time.monotonic()
                if now - self._last_supervise > 5.0:
                    self._last_supervise = now
                    self._supervise()
                if not self._ledger_back():
                    self._write_status()
                    continue
                ready = self.settle.ready(draining=False, limit=self.options.batch)
                if ready or self.settle.any_deletions_due():
                    self._process(ready)
                if self._ledger_lost_at is None and (self.reconcile_requested
                                                     or now - last_reconcile >= self.options.reconcile_s):
                    try:
                        self.reconcile()
                        last_reconcile = time.monotonic()
                    except LedgerUnavailable as exc:
                        self.status.reconciling = False
                        self._ledger_lost(exc)
                self._write_status()
            log.info("stopping: finishing %d queued file(s)", len(self.settle))
            self._drain(0.2)
            if self._ledger_lost_at is not None:
                log.warning("stopping while the ledger is away: the next start's reconcile finds the %d file(s) "
                            "still queued", len(self.settle))
            while self._ledger_lost_at is None:
                ready = self.settle.ready(draining=True, limit=self.options.batch)
                if not ready and not self.settle.deleted:
                    break
                self._process(ready)
                if not ready:
                    break
        finally:
            logging.getLogger("watchdog.observers").removeHandler(self._overflow_listener)
            for _, obs, _, _ in self.observers:
                obs.stop()
            for _, obs, _, _ in self.observers:
                obs.join(5)
            self.checker.close()
            self.hooks.close(wait=True)
            self._write_status(force=True)
            log.info("stopped")

    def _reload(self) -> None:
        self.reload_requested = False
        if not self.reload_config:
            return
        try:
            cfg = self.reload_config()
        except AiprovError as exc:
            log.error("config not reloaded, keeping the old one: %s", exc)
            self._error(f"config reload failed: {exc}")
            return
        self.config = cfg
        self.checker.config = cfg
        self.hooks.hooks = cfg.hooks
        log.info("config reloaded from %s", cfg.source)
        self.reconcile_requested = True  # zones may have changed


def _release_memory() -> None:
    """Hand freed memory back to the OS after a big walk (glibc keeps it otherwise)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


class InstanceLock:
    """One daemon per ledger: an flock'd file holding the pid."""

    def __init__(self, base: Path):
        self.path = Path(str(base) + ".watch.lock")
        self.fh = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            fh.close()
            raise AlreadyRunning(f"another aiprov watch (pid {pid}) is already running on this ledger for this host "
                                 f"(lock {self.path}); stop it first (aiprov status shows it)")
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh

    def held_by_other(self) -> bool:
        """Asked by `aiprov status`, which only reads: no lock file means no daemon, and none is made."""
        try:
            with open(self.path, "rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
                return False
        except FileNotFoundError:
            return False
        except OSError:
            return True

    def release(self) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def state_base(target: Path | str, host: str | None = None) -> Path:
    """Where this host's daemon keeps its lock and status file for a ledger.

    Beside a SQLite ledger (ledger.db.watch.lock, .watch.json; with a host id other than
    this machine's own, ledger.db.HOST.watch.lock); for a shared PostgreSQL ledger, in
    this machine's state folder (AIPROV_STATE_DIR, else $XDG_STATE_HOME/aiprov), one per
    ledger URL and host id: one daemon per host, as many hosts as the facility has.
    """
    own = host in (None, "", socket.gethostname())
    safe_host = re.sub(r"[^A-Za-z0-9._-]", "_", host or "")
    if not is_url(target):
        return Path(target) if own else Path(f"{target}.{safe_host}")
    folder = Path(os.environ.get("AIPROV_STATE_DIR")
                  or Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "aiprov")
    digest = hashlib.sha1(redact(str(target)).encode()).hexdigest()[:12]
    return folder / f"ledger-{digest}-{safe_host or socket.gethostname()}"


def status_path_for(base: Path) -> Path:
    return Path(str(base) + ".watch.json")


@dataclass
class DaemonStatus:
    """`aiprov status`: this host's daemon on a ledger, as its last status file says."""

    ledger: str  # as people may see it: never a password
    status: dict | None  # None: no daemon holds the lock

    @property
    def running(self) -> bool:
        return self.status is not None

    @property
    def exit_code(self) -> int:
        return 0 if self.running else 1

    def to_dict(self) -> dict:
        return {"running": self.running, "ledger": self.ledger, **(self.status or {})}


def daemon_status(ledger_target: Path | str, host: str | None = None) -> DaemonStatus:
    return DaemonStatus(ledger=redact(str(ledger_target)), status=read_status(state_base(ledger_target, host)))


def read_status(base: Path) -> dict | None:
    """The running daemon's status, or None when no daemon holds this lock."""
    if not InstanceLock(base).held_by_other():
        return None
    try:
        return json.loads(status_path_for(base).read_text())
    except (OSError, ValueError):
        return {"pid": None, "note": "running, status not written yet"}


def log_to_stderr(log_format: str = "text") -> None:
    """The daemon's log on stderr, where systemd's journal takes it: text lines, or one JSON
    object a line for a log collector."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if log_format == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root_logger = logging.getLogger("aiprov")
    root_logger.handlers[:] = [handler]
    root_logger.setLevel(logging.INFO)


def roots_to_watch(paths: list[bytes], config: Config) -> list[bytes]:
    """The folders given, else the production root of the config. A root given as a link is
    watched where it leads (scanning.followed_roots), and the log says so."""
    from .scanning import followed_roots

    if not paths:
        if config.source is None:
            raise UsageError("give the folders to watch, or run it inside a production with an aiprov.toml")
        paths = [os.fsencode(config.root)]
    roots, links = followed_roots(paths)
    for given, real in links.items():
        log.info("%s is a link: watching %s, where it leads", given, real)
    return roots


def reloader(config: Config) -> Callable[[], Config]:
    """What SIGHUP reloads: the config file the daemon started from, if there was one."""
    from .config import load

    source = config.source
    return (lambda: load(source)) if source else (lambda: config)


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        d = {"at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
             "level": record.levelname.lower(), "message": record.getMessage()}
        d.update(getattr(record, "fields", {}))
        return json.dumps(d, ensure_ascii=False)


def run_daemon(config: Config, ledger_target: Path | str, options: WatchOptions,
               reload_config: Callable[[], Config] | None = None, host: str | None = None) -> int:
    base = state_base(ledger_target, host)
    lock = InstanceLock(base)
    lock.acquire()
    server = None
    try:
        metrics = None
        if options.metrics_port is not None:
            from .metrics import WatchMetrics

            metrics = WatchMetrics()
            try:
                server = metrics.serve(options.metrics_port, options.metrics_address)
            except OSError as exc:
                raise UsageError(f"cannot serve metrics on {options.metrics_address}:{options.metrics_port}: "
                                 f"{exc.strerror or exc} (is another process using that port?)") from None
            log.info("Prometheus metrics at http://%s:%d/metrics", options.metrics_address, options.metrics_port)
        with Ledger(ledger_target, host=host) as ledger:
            watcher = Watcher(config, ledger, options, status_path_for(base), reload_config, metrics)

            def stop(signum, frame):
                watcher.stopping = True

            def reload(signum, frame):
                watcher.reload_requested = True

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            signal.signal(signal.SIGHUP, reload)
            watcher.run()
    finally:
        if server is not None:
            server.shutdown()
        lock.release()
    return 0
