"""The pre-delivery gate: walk, reuse or read, record, apply the policy.

Incremental by default: a file whose (size, mtime_ns, inode, device) is what
the ledger recorded is not opened at all; its recorded verdict is reused. A
file that vanished from one path and appeared at another with the same
inode is a move of the same asset (recorded without re-reading); with a
different inode but the same content id it is still recognised as a move
once read. Everything goes through the same reader pool as `inspect`.
"""

from __future__ import annotations

import dataclasses
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .version import __version__
from .config import Config
from .errors import LedgerConflict
from .isolation import ReaderPool
from .ledger import Ledger, Location
from .model import AI_VERDICTS, UNREADABLE, Finding, Inspection
from .likeness import Likeness, kind_of
from .names import display_path
from .policy import IGNORED, findings_for
from .reader import ReadSettings
from .registration import apply_registrations
from .walk import DEFAULT_IGNORE, WalkEntry, iter_files


CONFLICT_RETRIES = 3


@dataclass
class FileResult:
    inspection: Inspection
    zone: str
    findings: list[Finding] = field(default_factory=list)
    reused: bool = False  # the recorded verdict was reused: the file was not opened
    new_findings: list[Finding] = field(default_factory=list)  # raised for the first time (hooks fire on these)

    def to_dict(self) -> dict:
        d = self.inspection.to_dict()
        d["zone"] = self.zone
        d["findings"] = [f.to_dict() for f in self.findings]
        d["reused"] = self.reused
        return d


@dataclass
class ScanResult:
    roots: list[str]
    production: str | None
    ledger: str
    started: float
    finished: float = 0.0
    root_links: dict[str, str] = field(default_factory=dict)  # a root given as a link -> where it led
    files: list[FileResult] = field(default_factory=list)
    read: int = 0  # files opened and read this run
    reused: int = 0
    moved: int = 0
    gone: int = 0
    swept: int = 0  # files a sweep went through (it keeps no per-file results)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> dict:
        verdicts = Counter(r.inspection.verdict for r in self.files)
        zones = Counter(r.zone for r in self.files)
        rules = Counter(f.rule for f in self.findings)
        return {
            "files": len(self.files),
            "verdicts": dict(sorted(verdicts.items())),
            "zones": dict(sorted(zones.items())),
            "findings": {"error": len(self.errors), "warning": len(self.findings) - len(self.errors),
                         "by_rule": dict(sorted(rules.items()))},
            "read": self.read,
            "reused": self.reused,
            "moved": self.moved,
            "gone": self.gone,
            "seconds": round(self.finished - self.started, 3),
            "exit_code": self.exit_code,
        }

    def to_dict(self) -> dict:
        return {"aiprov": __version__, "production": self.production, "roots": self.roots,
                "root_links": dict(self.root_links), "ledger": self.ledger,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
                "summary": self.summary(), "files": [f.to_dict() for f in self.files]}


def _same_stat(loc: Location, st: os.stat_result) -> bool:
    return (loc.size, loc.mtime_ns, loc.inode, loc.device) == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def _unreadable(fspath: bytes, reason: str) -> Inspection:
    return Inspection(path=display_path(fspath), verdict=UNREADABLE, error=reason, reason=reason, fspath=fspath)


def ai_ancestor_without_approval(ledger: Ledger, content_id: str | None) -> str | None:
    """A description of the nearest unapproved AI ancestor in the lineage, or None."""
    if not content_id:
        return None
    for pid, edge in ledger.lineage.ancestors(content_id):
        asset = ledger.assets.get(pid)
        if asset and asset["verdict"] in AI_VERDICTS and not ledger.approvals.of(pid):
            locs = ledger.locations.of(pid)
            where = locs[-1].path if locs else pid
            by = f" by {asset['generator']}" if asset["generator"] else ""
            return f"{where}, {asset['verdict']}{by}; {edge['kind']}: {edge['reason']}"
    return None


def evaluate_all(ledger: Ledger, pending: list[tuple[FileResult, Location | None]], tick: Callable[[], None]) -> None:
    """Apply the policy to a batch of files and make the ledger's open findings match.

    What the policy needs (approvals, which files have parents, open findings) is asked
    once for the batch; only files with lineage get their ancestors walked.
    """
    cids = [fr.inspection.content_id for fr, _ in pending if fr.inspection.content_id]
    approved = ledger.approvals.approved_among(cids)
    has_parents = ledger.lineage.with_parents(cids)
    open_rows = ledger.findings.open_at([loc.id for _, loc in pending if loc is not None])
    for fr, loc in pending:
        cid = fr.inspection.content_id
        ancestor = ai_ancestor_without_approval(ledger, cid) if cid in has_parents else None
        fr.findings = findings_for(fr.inspection, fr.zone, cid in approved, ancestor)
        fr.new_findings = (ledger.findings.record(loc, fr.findings, open_rows.get(loc.id, [])) if loc is not None
                           else fr.findings)
        tick()


def reuse_recorded(ledger: Ledger, unchanged: list[tuple[bytes, os.stat_result, str, Location]],
                   to_read: list[tuple[bytes, os.stat_result | None, str]]) -> list[tuple[FileResult, Location]]:
    """Results for files whose stat matches their record, from the recorded verdicts (nothing is opened).

    The verdicts are fetched for the whole batch at once and the locations touched in one
    statement: on a networked ledger a question per file is a round trip per file. A file
    whose asset record is missing is appended to `to_read` instead.
    """
    recorded = ledger.assets.inspections([loc.content_id for _, _, _, loc in unchanged])
    out, touched = [], []
    for fspath, st, zone, loc in unchanged:
        template = recorded.get(loc.content_id)
        if template is None:
            to_read.append((fspath, st, zone))
            continue
        insp = dataclasses.replace(template, path=loc.path, fspath=fspath)
        if loc.zone != zone:
            loc = ledger.locations.upsert(fspath, loc.content_id, st, zone)
        else:
            touched.append(loc.id)
        out.append((FileResult(insp, zone, reused=True), loc))
    ledger.locations.touch(touched)
    return out


def record(ledger: Ledger, fspath: bytes, insp: Inspection, st: os.stat_result | None, zone: str,
           missing: dict[bytes, Location]) -> tuple[Location | None, bool]:
    """Record a freshly read file: new asset, new version, copy or move. Returns (location, moved).

    What the ledger was told at birth (`aiprov register`) is added to the verdict here. Only
    content already on record can have been registered (registering records the asset in the
    same transaction), so a new asset, most of a first scan, costs no question about it.
    """
    cid = insp.content_id
    moved = False
    with ledger.transaction():
        if cid and not ledger.assets.record(insp):
            regs = ledger.registrations.of(cid)
            if regs:
                apply_registrations(ledger, insp, regs)
                ledger.assets.record(insp)
        old, others = ledger.locations.place(fspath, cid)
        if old and not old.gone and old.content_id and old.content_id != cid:
            ledger.event("changed", cid, insp.path, {"previous": old.content_id})
            loc = ledger.locations.upsert(fspath, cid, st, zone)
        elif old and not old.gone:
            loc = ledger.locations.upsert(fspath, cid, st, zone)
        else:
            twin = next((m for m in missing.values() if cid and m.content_id == cid), None)
            if twin is not None and st is not None:
                del missing[twin.path_raw]
                loc = ledger.locations.move(twin, fspath, st, zone)
                moved = True
            else:
                loc = ledger.locations.upsert(fspath, cid, st, zone)
                if others:
                    ledger.event("copied", cid, insp.path, {"from": others[0].path})
                else:
                    ledger.event("seen", cid, insp.path, {"zone": zone})
    return loc, moved


class Scanner:
    """Processes batches of paths against the ledger with one long-lived reader pool.

    `scan` gives it a whole walk; the daemon gives it the paths its events named.
    """

    def __init__(self, config: Config, ledger: Ledger, pool: ReaderPool):
        self.config = config
        self.ledger = ledger
        self.pool = pool
        self.likeness = Likeness(ledger)
        self._print_pool: ReaderPool | None = None

    def _prints(self) -> ReaderPool:
        """A second pool of the same isolated readers, for perceptual prints (they decode pixels)."""
        if self._print_pool is None:
            self._print_pool = ReaderPool(dataclasses.replace(self.pool.settings, task="fingerprint",
                                                              crop_guesses=self.config.crop_guesses),
                                          workers=self.pool.size, timeout_s=self.pool.timeout_s)
        return self._print_pool

    def fingerprint(self, files: list[tuple[Inspection, str]]) -> None:
        """Print AI sources, then (only once some source exists) finals material; link near-duplicates.

        Printing a still costs ~25 ms, so a delivery checked against a ledger with no AI
        sources pays nothing; once a source is on record, the next scan prints the finals
        files that were skipped (they are "reused" then, but still have no print).
        """
        if not self.config.likeness:
            return
        candidates = [(i, z) for i, z in files if i.content_id and i.fspath and kind_of(i.media_type)
                      and i.verdict != "unreadable"]
        printed = self.ledger.prints.printed_among([i.content_id for i, _ in candidates])
        unprinted = [(i, z) for i, z in candidates if i.content_id not in printed]
        self._print([(i, z) for i, z in unprinted if i.verdict in AI_VERDICTS])
        finals = [(i, z) for i, z in unprinted if i.verdict not in AI_VERDICTS and z == "finals"]
        sources = {kind: self.ledger.prints.has_sources(kind) for kind in {kind_of(i.media_type) for i, _ in finals}}
        queries = [(i, z) for i, z in finals if sources[kind_of(i.media_type)]]
        self._print(queries)

    def _print(self, files: list[tuple[Inspection, str]]) -> None:
        todo = {i.fspath: (i, zone) for i, zone in files}
        if not todo:
            return
        for got in self._prints().read_many(list(todo)):
            insp, zone = todo[got.fspath]
            if got.likeness is not None:
                self.likeness.record(insp, zone, got.likeness)
            else:  # flat, featureless or undecodable: remember that, so it is not tried on every scan
                self.ledger.prints.put(insp.content_id, kind_of(insp.media_type), b"", 0)

    def close(self) -> None:
        if self._print_pool is not None:
            self._print_pool.close()
            self._print_pool = None

    def process(self, entries: Iterable[WalkEntry], result: ScanResult, *, missing_roots: Iterable[bytes] = (),
                missing_paths: Iterable[bytes] = (), progress: Callable[[int, int], None] | None = None,
                total: int | None = None) -> list[FileResult]:
        """Reuse, move or read each entry, record it, then apply the policy. Returns this batch's results.

        missing_roots: folders whose recorded files not among `entries` are gone (a full walk);
        missing_paths: paths an event said were deleted or moved away.
        On a shared ledger another host may have locked the same assets in the opposite order;
        the database then aborts one of the two batches, and it is simply run again.
        """
        entries, missing_roots, missing_paths = list(entries), list(missing_roots), list(missing_paths)
        for attempt in range(CONFLICT_RETRIES + 1):
            part = dataclasses.replace(result, files=[])
            try:
                with self.ledger.batch() as tick:
                    done = self._process(entries, part, missing_roots, missing_paths, tick, progress, total)
                break
            except LedgerConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.05, 0.5))
        for name in ("read", "reused", "moved", "gone"):
            setattr(result, name, getattr(part, name))
        result.files.extend(done)
        return done

    def _process(self, entries, result, missing_roots, missing_paths, tick, progress, total) -> list[FileResult]:
        ledger, config = self.ledger, self.config
        to_read: list[tuple[bytes, os.stat_result | None, str]] = []
        # Findings are decided once everything is recorded: a parent may be read after its child.
        pending: list[tuple[FileResult, Location | None]] = []
        done: list[FileResult] = []
        seen: set[bytes] = set()

        def step() -> None:
            tick()
            if progress:
                progress(len(pending) + len(done), total or 0)

        # 1. stat everything first (cheap), so moves can be told from new files; what the ledger
        # holds for the batch is asked once (a round trip a file adds up on a networked ledger)
        known = ledger.locations.get_many([e.fspath for e in entries if not e.error])
        unchanged: list[tuple[bytes, os.stat_result, str, Location]] = []
        cannot_check: list[tuple[Inspection, str]] = []
        for entry in entries:
            zone = config.zone_of(entry.fspath)
            if zone == IGNORED or (not entry.error and not config.considers(entry.fspath)):
                continue
            seen.add(entry.fspath)
            if entry.error:  # a folder that cannot be listed, a broken link: recorded, so findings persist
                cannot_check.append((_unreadable(entry.fspath, entry.error), zone))
                continue
            try:
                st = os.stat(entry.fspath)
            except FileNotFoundError:
                continue  # gone before we got to it: handled as missing below
            except OSError:
                st = None
            loc = known.get(entry.fspath)
            if st is not None and loc and not loc.gone and loc.content_id and _same_stat(loc, st):
                unchanged.append((entry.fspath, st, zone, loc))
            else:
                to_read.append((entry.fspath, st, zone))
        for reused in reuse_recorded(ledger, unchanged, to_read):
            pending.append(reused)
            result.reused += 1
            step()
        missing: dict[bytes, Location] = {}
        for root in missing_roots:
            if os.path.isdir(root):
                missing.update({p: l for p, l in ledger.locations.live_under(root).items() if p not in seen})
        for p in missing_paths:
            loc = ledger.locations.get(p)
            if loc and not loc.gone and p not in seen and not os.path.lexists(p):
                missing[p] = loc
        # 2. a path that vanished and one that appeared with the same inode and stat: a rename
        by_inode = {(m.device, m.inode, m.size, m.mtime_ns): m for m in missing.values() if m.inode}
        still_to_read = []
        for fspath, st, zone in to_read:
            twin = by_inode.get((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)) if st else None
            if twin is not None and twin.path_raw in missing and ledger.assets.get(twin.content_id):
                del missing[twin.path_raw]
                loc = ledger.locations.move(twin, fspath, st, zone)
                insp = ledger.assets.inspection(twin.content_id, loc.path)
                insp.fspath = fspath
                pending.append((FileResult(insp, zone, reused=True), loc))
                result.moved += 1
                result.reused += 1
                step()
            else:
                still_to_read.append((fspath, st, zone))
        for insp, zone in cannot_check:
            loc, _ = record(ledger, insp.fspath, insp, None, zone, missing)
            pending.append((FileResult(insp, zone), loc))
            step()
        # 3. read what is new or changed, in isolated workers
        if still_to_read:
            wanted = {fspath: (st, zone) for fspath, st, zone in still_to_read}
            for insp in self.pool.read_many(fspath for fspath, _, _ in still_to_read):
                st, zone = wanted[insp.fspath]
                loc, moved = record(ledger, insp.fspath, insp, st, zone, missing)
                result.moved += moved
                result.read += 1
                pending.append((FileResult(insp, zone), loc))
                step()
        # 4. perceptual prints: laundered copies of AI material get their lineage edge before the policy runs
        self.fingerprint([(fr.inspection, fr.zone) for fr, _ in pending])
        # 5. what was recorded and is no longer there
        for loc in missing.values():
            ledger.locations.mark_gone(loc)
            result.gone += 1
        # 6. the policy, now that every asset and edge is on record
        evaluate_all(ledger, pending, tick)
        done.extend(fr for fr, _ in pending)
        return done

    def sweep(self, roots: list[bytes], *, chunk: int = 1000, should_stop: Callable[[], bool] = lambda: False,
              on_batch: Callable[[ScanResult, list[FileResult]], None] = lambda r, d: None) -> ScanResult:
        """Walk whole trees in chunks without holding every file's result (the daemon's reconcile).

        Memory stays flat however large the tree: results are handed to `on_batch` and
        dropped; which recorded files were not seen is asked of the ledger at the end.
        Moves made while nobody watched are recorded as a new path plus a gone one.
        Returns the totals; stops early (and marks nothing gone) when `should_stop()`.
        """
        totals = ScanResult(roots=[display_path(r) for r in roots], production=self.config.production,
                            ledger=self.ledger.path, started=time.time())
        with self.ledger.locations.seen() as seen:
            batch: list[WalkEntry] = []
            for entry in iter_files(roots, DEFAULT_IGNORE):
                batch.append(entry)
                if len(batch) >= chunk:
                    self._sweep_batch(batch, seen, totals, on_batch)
                    batch = []
                    if should_stop():
                        return totals
            self._sweep_batch(batch, seen, totals, on_batch)
            for root in roots:
                if os.path.isdir(root):
                    for loc in seen.unseen_under(root):
                        self.ledger.locations.mark_gone(loc)
                        totals.gone += 1
        totals.finished = time.time()
        return totals

    def _sweep_batch(self, batch, seen, totals: ScanResult, on_batch) -> None:
        if not batch:
            return
        seen.add([e.fspath for e in batch])
        part = ScanResult(roots=totals.roots, production=totals.production, ledger=totals.ledger, started=time.time())
        done = self.process(batch, part)
        for name in ("read", "reused", "moved", "gone"):
            setattr(totals, name, getattr(totals, name) + getattr(part, name))
        totals.swept += len(done)
        on_batch(part, done)


def scan(paths: Iterable[bytes | str], config: Config, ledger: Ledger, *, workers: int | None = None,
         settings: ReadSettings | None = None, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Walk the paths and check every file: the pre-delivery gate."""
    roots, links = followed_roots(paths)
    result = ScanResult(roots=[display_path(r) for r in roots], production=config.production, ledger=ledger.path,
                        started=time.time(), root_links=links)
    settings = settings or reader_settings(config)
    entries = list(iter_files(roots, DEFAULT_IGNORE))
    with ReaderPool(settings, workers=workers or config.workers, timeout_s=config.timeout) as pool:
        scanner = Scanner(config, ledger, pool)
        try:
            scanner.process(entries, result, missing_roots=roots, progress=progress, total=len(entries))
        finally:
            scanner.close()
    result.files.sort(key=lambda r: r.inspection.path)
    result.finished = time.time()
    return result


def followed_roots(paths: Iterable[bytes | str]) -> tuple[list[bytes], dict[str, str]]:
    """The folders to walk: a root given as a link to a folder (a NAS mount point often is) is
    followed, and walked where it leads, so that zones and recorded paths are the real ones.
    Returns the roots and, for the report, each link given -> where it led."""
    roots, links = [], {}
    for p in paths:
        given = os.path.abspath(os.fsencode(p))
        if os.path.islink(given) and os.path.isdir(given):
            real = os.path.realpath(given)
            links[display_path(given)] = display_path(real)
            roots.append(real)
        else:
            roots.append(given)
    return roots, links


def reader_settings(config: Config) -> ReadSettings:
    return ReadSettings(want_content_id=True, network=config.network, trust_anchors=config.trust_anchors)
