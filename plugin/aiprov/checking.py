"""The one way aiprov judges a file, whichever command asked.

Every entry point (`scan`, `watch`, `lookup`, `register`, `approve`, `tag`,
`timeline`, the pyblish validator) hands paths to a `Checker` and gets back one
`Checked` per file: what the file is (read now in an isolated reader, or, when
it is unchanged since the ledger recorded it, as recorded), what the ledger
knows that its bytes do not say (registrations, approvals, lineage), and the
findings `policy.findings` draws from all that in the file's zone.

Two modes share every step but the writes:

* `check` records: new assets, copies, moves and changes, perceptual prints,
  and the open findings of each location (scan, watch, register, approve, tag);
* `look` records nothing (lookup, timeline, pyblish): a file the ledger does
  not know is read, and its findings are reported, not raised.

The ledger is asked each question once per batch, never once per file: on a
shared ledger across the network every question is a round trip.
"""

from __future__ import annotations

import dataclasses
import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .config import Config
from .errors import LedgerConflict
from .isolation import ReaderPool
from .ledger import Ledger, Location
from .likeness import Finals, Likeness, kind_of
from .model import AI, AI_COMPOSITE, AI_VERDICTS, UNREADABLE, Evidence, Finding, Inspection
from .names import display_path
from .policy import FINALS, IGNORED, findings
from .reader import ReadSettings
from .walk import DEFAULT_IGNORE, WalkEntry, iter_files

CONFLICT_RETRIES = 3
# Evidence read from beside the file, not from its bytes: the ledger keeps it for the content
# even when the sidecar is later deleted (deleting a sidecar must not launder AI material).
OUTSIDE_THE_BYTES = ("xmp-sidecar",)


def reader_settings(config: Config, **changes) -> ReadSettings:
    """How every entry point reads files: the production's network and trust settings."""
    return ReadSettings(want_content_id=True, network=config.network, trust_anchors=config.trust_anchors,
                        crop_guesses=config.crop_guesses, **changes)


@dataclass
class Checked:
    """One file as aiprov judges it."""

    inspection: Inspection
    zone: str
    findings: list[Finding] = field(default_factory=list)
    reused: bool = False  # the recorded verdict was reused: the file was not opened
    new_findings: list[Finding] = field(default_factory=list)  # raised for the first time (hooks fire on these)
    approvals: list[dict] = field(default_factory=list)  # active approvals for final use of its content
    ai_ancestor: str | None = None  # the nearest unapproved AI material it was made from, described
    location: Location | None = field(default=None, repr=False)  # its record in the ledger (check mode)

    @property
    def approved(self) -> bool:
        return bool(self.approvals)

    def to_dict(self) -> dict:
        d = self.inspection.to_dict()
        d["zone"] = self.zone
        d["findings"] = [f.to_dict() for f in self.findings]
        d["reused"] = self.reused
        return d


@dataclass
class _Sorted:
    """A batch sorted by what must happen to each file."""

    seen: set[bytes] = field(default_factory=set)
    cannot_check: list[tuple[WalkEntry, str]] = field(default_factory=list)
    unchanged: list[tuple[bytes, os.stat_result, str, Location]] = field(default_factory=list)
    to_read: list[tuple[bytes, os.stat_result | None, str]] = field(default_factory=list)


@dataclass
class Tally:
    """What a batch cost: files read, reused unopened, moved and gone."""

    read: int = 0
    reused: int = 0
    moved: int = 0
    gone: int = 0

    def add(self, other: "Tally") -> None:
        add_counts(self, other)


def add_counts(into, part: Tally) -> None:
    """Add a batch's counts to a running total (a Tally, or a ScanResult that keeps the same four)."""
    for name in ("read", "reused", "moved", "gone"):
        setattr(into, name, getattr(into, name) + getattr(part, name))


def unreadable(fspath: bytes, reason: str) -> Inspection:
    return Inspection(path=display_path(fspath), verdict=UNREADABLE, error=reason, reason=reason, fspath=fspath)


def apply_registrations(insp: Inspection, regs: list[dict]) -> Inspection:
    """Add what the ledger was told at birth (`aiprov register`) to what the file says about itself."""
    if not regs:
        return insp
    for r in regs:
        implies = AI_COMPOSITE if r["composite"] else AI
        tool = r["tool"] + (f" {r['tool_version']}" if r["tool_version"] else "")
        ev = Evidence("registration", "aiprov register", f"registered as {implies} output of {tool} on "
                      f"{r['created'][:10]} ({r['status']})", 1.0, implies, generator=r["tool"])
        if ev not in insp.evidence:
            insp.evidence.append(ev)
    whole = any(not r["composite"] for r in regs)
    if insp.verdict not in AI_VERDICTS or (whole and insp.verdict == AI_COMPOSITE):
        insp.verdict = AI if whole else AI_COMPOSITE
        insp.reason = f"registration: {insp.evidence[-1].value}"
        insp.error = None
    insp.generator = insp.generator or regs[0]["tool"]
    return insp


def keep_what_was_beside_it(insp: Inspection, recorded: Inspection | None) -> Inspection:
    """A sidecar that declared this content AI stays on record after the sidecar is gone."""
    if recorded is None or recorded.verdict not in AI_VERDICTS or insp.verdict in AI_VERDICTS:
        return insp
    kept = [e for e in recorded.evidence if e.source in OUTSIDE_THE_BYTES and e.implies in AI_VERDICTS]
    if not kept:
        return insp
    insp.evidence.extend(e for e in kept if e not in insp.evidence)
    insp.verdict, insp.generator = recorded.verdict, recorded.generator or insp.generator
    insp.digital_source_type = recorded.digital_source_type
    insp.reason = f"{recorded.reason} (recorded earlier; the sidecar that said so is gone)"
    insp.error = None
    insp.warnings.append("a sidecar that declared this content AI is no longer beside it; the ledger keeps "
                         "what it said")
    return insp


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


def unapproved_ai_among(ledger: Ledger, parents: list[tuple[str, str, str]]) -> str | None:
    """The first of these (parent content id, edge kind, why) that is unapproved AI, or has such an
    ancestor, described: for lineage found by `look` and not recorded."""
    for pid, kind, reason in parents:
        asset = ledger.assets.get(pid)
        if asset and asset["verdict"] in AI_VERDICTS and not ledger.approvals.of(pid):
            locs = ledger.locations.of(pid)
            by = f" by {asset['generator']}" if asset["generator"] else ""
            return f"{locs[-1].path if locs else pid}, {asset['verdict']}{by}; {kind}: {reason}"
        further = ai_ancestor_without_approval(ledger, pid)
        if further:
            return further
    return None


def judge(ledger: Ledger, batch: list[Checked], *, record: bool, tick: Callable[[], None] = lambda: None,
          unrecorded: dict[str, list[tuple[str, str, str]]] | None = None) -> None:
    """Approvals and lineage for a batch, then the policy; in check mode the ledger's open findings
    of each location are made to match (and the newly raised ones noted, for hooks).

    What the policy needs is asked once for the batch; only files with lineage and no approval
    get their ancestors walked. `unrecorded`: parents `look` found (a perceptual match) and did
    not write, by content id.
    """
    cids = [c.inspection.content_id for c in batch if c.inspection.content_id]
    approvals = ledger.approvals.active_for_many(cids)
    has_parents = ledger.lineage.with_parents(cids)
    locations = [c.location.id for c in batch if record and c.location is not None]
    open_rows = ledger.findings.open_at(locations) if locations else {}
    for c in batch:
        cid = c.inspection.content_id
        c.approvals = approvals.get(cid, []) if cid else []
        c.ai_ancestor = (ai_ancestor_without_approval(ledger, cid)
                         if cid in has_parents and not c.approvals else None)
        if c.ai_ancestor is None and not c.approvals and unrecorded and cid in unrecorded:
            c.ai_ancestor = unapproved_ai_among(ledger, unrecorded[cid])
        c.findings = findings(c)
        if record and c.location is not None:
            c.new_findings = ledger.findings.record(c.location, c.findings, open_rows.get(c.location.id, []))
        elif record:
            c.new_findings = c.findings
        tick()


class Checker:
    """Judges files against one ledger with one long-lived pool of isolated readers.

    `scan` hands it a whole walk, the daemon the paths its events named, the other commands
    the files they were given.
    """

    def __init__(self, config: Config, ledger: Ledger, pool: ReaderPool | None = None,
                 workers: int | None = None):
        self.config = config
        self.ledger = ledger
        self._pool = pool
        self._own_pool = pool is None
        self._workers = workers
        self.likeness = Likeness(ledger)
        self._print_pools: dict[bool, ReaderPool] = {}  # by role: printing AI sources, or the rest

    def __enter__(self) -> "Checker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pool(self) -> ReaderPool:
        if self._pool is None:
            self._pool = ReaderPool(reader_settings(self.config), workers=self._workers or self.config.workers,
                                    timeout_s=self.config.timeout)
        return self._pool

    def close(self) -> None:
        for pool in (*self._print_pools.values(), self._pool if self._own_pool else None):
            if pool is not None:
                pool.close()
        self._print_pools = {}
        if self._own_pool:
            self._pool = None

    def read(self, fspaths: Iterable[bytes]) -> dict[bytes, Inspection]:
        """Files read as they are, nothing asked of the ledger: the content ids `register`, `approve`
        and `tag` need before they write, handed back to `check` (already_read) to be judged."""
        return {i.fspath: i for i in self.pool.read_many(fspaths)}

    # -- the two modes ------------------------------------------------------------------

    def look(self, fspaths: Iterable[bytes | str], zone: str | None = None) -> list[Checked]:
        """Each file (folders are searched) judged without writing anything. `zone` overrides the
        config's (an edit's or a publish's files are finals-bound wherever they sit)."""
        entries = list(iter_files([os.path.abspath(os.fsencode(p)) for p in dict.fromkeys(fspaths)]))
        sorted_ = self._sort(entries, zone, record=False)
        batch = self._gather(sorted_, Tally(), record=False, missing={}, tick=lambda: None)
        judge(self.ledger, batch, record=False, unrecorded=self._looks_like(batch))
        return batch

    def check(self, entries: Iterable[WalkEntry], tally: Tally | None = None, *, missing_roots: Iterable[bytes] = (),
              missing_paths: Iterable[bytes] = (), progress: Callable[[int, int], None] | None = None,
              total: int | None = None, already_read: dict[bytes, Inspection] | None = None) -> list[Checked]:
        """Reuse, move or read each entry, record it, then judge it and record its findings.

        missing_roots: folders whose recorded files not among `entries` are gone (a full walk);
        missing_paths: paths an event said were deleted or moved away;
        already_read: files the caller has just read (`read`), not read again: `register` and
        `approve` need a content id before they write what makes the judgement.
        On a shared ledger another host may have locked the same assets in the opposite order;
        the database then aborts one of the two batches, and it is simply run again.
        """
        tally = tally if tally is not None else Tally()
        entries, missing_roots, missing_paths = list(entries), list(missing_roots), list(missing_paths)
        for attempt in range(CONFLICT_RETRIES + 1):
            part = Tally()
            try:
                with self.ledger.batch() as tick:
                    done = self._check(entries, part, missing_roots, missing_paths, tick, progress, total,
                                       already_read or {})
                break
            except LedgerConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.05, 0.5))
        add_counts(tally, part)
        return done

    def _check(self, entries, tally, missing_roots, missing_paths, tick, progress, total, already_read) -> list[Checked]:
        ledger = self.ledger
        sorted_ = self._sort(entries, None, record=True)
        seen = sorted_.seen
        missing: dict[bytes, Location] = {}
        for root in missing_roots:
            if os.path.isdir(root):
                missing.update({p: l for p, l in ledger.locations.live_under(root).items() if p not in seen})
        for p in missing_paths:
            loc = ledger.locations.get(p)
            if loc and not loc.gone and p not in seen and not os.path.lexists(p):
                missing[p] = loc
        count = [0]

        def step() -> None:
            tick()
            count[0] += 1
            if progress:
                progress(count[0], total or 0)

        if self.config.likeness and sorted_.to_read and self.ledger.prints.has_sources(None):
            list(self._prints().read_many([]))  # the print readers start up while the files are read
        batch = self._gather(sorted_, tally, record=True, missing=missing, tick=step, already_read=already_read)
        # perceptual prints: laundered copies of AI material get their lineage edge before the policy runs
        self.fingerprint(batch)
        for loc in missing.values():  # recorded, and no longer there
            ledger.locations.mark_gone(loc)
            tally.gone += 1
        # the policy, now that every asset and edge of the batch is on record (a parent may come after its child)
        judge(ledger, batch, record=True, tick=tick)
        return batch

    # -- gathering: reuse what is unchanged, read the rest --------------------------------

    def _sort(self, entries: list[WalkEntry], zone: str | None, *, record: bool) -> "_Sorted":
        """Stat everything first (cheap), so moves can be told from new files and unchanged files
        are never opened; what the ledger holds for the batch's paths is asked once."""
        config = self.config
        known = self.ledger.locations.get_many([e.fspath for e in entries if not e.error])
        out = _Sorted()
        for entry in entries:
            where = zone or config.zone_of(entry.fspath)
            if where == IGNORED or (not entry.error and not config.considers(entry.fspath)):
                continue
            out.seen.add(entry.fspath)
            if entry.error:  # a folder that cannot be listed, a broken link: recorded, so findings persist
                out.cannot_check.append((entry, where))
                continue
            try:
                st = os.stat(entry.fspath)
            except FileNotFoundError:
                if record:
                    continue  # gone before we got to it: handled as missing
                st = None
            except OSError:
                st = None
            loc = known.get(entry.fspath)
            if loc is not None and loc.unchanged(st):
                out.unchanged.append((entry.fspath, st, where, loc))
            else:
                out.to_read.append((entry.fspath, st, where))
        return out

    def _gather(self, sorted_: "_Sorted", tally: Tally, *, record: bool, missing: dict[bytes, Location],
                tick: Callable[[], None], already_read: dict[bytes, Inspection] | None = None) -> list[Checked]:
        batch: list[Checked] = []
        for entry, where in sorted_.cannot_check:
            c = Checked(unreadable(entry.fspath, entry.error), where)
            if record:
                c.location, _ = self._record(entry.fspath, c.inspection, None, where, missing)
            batch.append(c)
            tick()
        batch += self._reuse(sorted_.unchanged, sorted_.to_read, tally, record=record, tick=tick)
        if record:
            batch += self._moved_unread(sorted_.to_read, missing, tally, tick)
        batch += self._read(sorted_.to_read, tally, record=record, missing=missing, tick=tick,
                            already_read=already_read or {})
        return batch

    def _reuse(self, unchanged, to_read, tally: Tally, *, record: bool, tick) -> list[Checked]:
        """Files whose stat matches their record, from the recorded verdicts: nothing is opened.
        A file whose asset record is missing is read instead."""
        recorded = self.ledger.assets.inspections([loc.content_id for _, _, _, loc in unchanged])
        out, touched = [], []
        for fspath, st, zone, loc in unchanged:
            template = recorded.get(loc.content_id)
            if template is None:
                to_read.append((fspath, st, zone))
                continue
            insp = dataclasses.replace(template, path=loc.path, fspath=fspath)
            if record and loc.zone != zone:
                loc = self.ledger.locations.upsert(fspath, loc.content_id, st, zone)
            elif record:
                touched.append(loc.id)
            out.append(Checked(insp, zone, reused=True, location=loc))
            tally.reused += 1
            tick()
        if touched:
            self.ledger.locations.touch(touched)
        return out

    def _moved_unread(self, to_read, missing: dict[bytes, Location], tally: Tally, tick) -> list[Checked]:
        """A path that vanished and one that appeared with the same inode and stat: a rename,
        recorded without reading the file."""
        by_inode = {(m.device, m.inode, m.size, m.mtime_ns): m for m in missing.values() if m.inode}
        if not by_inode:
            return []
        out, still = [], []
        for fspath, st, zone in to_read:
            twin = by_inode.get((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)) if st else None
            insp = self.ledger.assets.inspection(twin.content_id, "") if twin is not None else None
            if twin is not None and twin.path_raw in missing and insp is not None:
                del missing[twin.path_raw]
                loc = self.ledger.locations.move(twin, fspath, st, zone)
                insp.path, insp.fspath = loc.path, fspath
                out.append(Checked(insp, zone, reused=True, location=loc))
                tally.moved += 1
                tally.reused += 1
                tick()
            else:
                still.append((fspath, st, zone))
        to_read[:] = still
        return out

    def _read(self, to_read, tally: Tally, *, record: bool, missing: dict[bytes, Location], tick,
              already_read: dict[bytes, Inspection]) -> list[Checked]:
        """Read what is new or changed in the isolated readers, then add what the ledger knows of
        each content (registrations; a sidecar's word kept) and, in check mode, record it."""
        if not to_read:
            return []
        wanted = {fspath: (st, zone) for fspath, st, zone in to_read}
        read = [already_read[p] for p in wanted if p in already_read]
        read += self.pool.read_many([p for p in wanted if p not in already_read])
        cids = [i.content_id for i in read if i.content_id]
        regs = self.ledger.registrations.of_many(cids)
        recorded = self.ledger.assets.inspections(cids)
        out = []
        for insp in read:
            st, zone = wanted[insp.fspath]
            before = recorded.get(insp.content_id)
            apply_registrations(insp, regs.get(insp.content_id, []))
            keep_what_was_beside_it(insp, before)
            c = Checked(insp, zone)
            if record:
                c.location, moved = self._record(insp.fspath, insp, st, zone, missing)
                tally.moved += moved
            tally.read += 1
            out.append(c)
            tick()
        return out

    def _record(self, fspath: bytes, insp: Inspection, st: os.stat_result | None, zone: str,
                missing: dict[bytes, Location]) -> tuple[Location | None, bool]:
        """Record a freshly read file: new asset, new version, copy or move. Returns (location, moved)."""
        ledger = self.ledger
        cid = insp.content_id
        moved = False
        with ledger.transaction():
            if cid:
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

    # -- perceptual prints ------------------------------------------------------------------

    def _prints(self, sources: bool = False) -> ReaderPool:
        """More pools of the same isolated readers, for perceptual prints (they decode pixels):
        AI sources get a fuller print than the material searched against them."""
        if sources not in self._print_pools:
            self._print_pools[sources] = ReaderPool(
                reader_settings(self.config, task="fingerprint", source_prints=sources),
                workers=self.pool.size, timeout_s=self.pool.timeout_s)
        return self._print_pools[sources]

    def fingerprint(self, batch: list[Checked]) -> None:
        """Print AI sources, then (only once some source exists) finals material; link near-duplicates.

        A delivery checked against a ledger with no AI sources pays nothing; once a source is
        on record, the next scan prints the finals files that were skipped (they are "reused"
        then, but still have no print). A source's print is ~30 ms, a finals still's ~3 ms.
        """
        if not self.config.likeness:
            return
        candidates = [(c.inspection, c.zone) for c in batch
                      if c.inspection.content_id and c.inspection.fspath and kind_of(c.inspection.media_type)
                      and c.inspection.verdict != UNREADABLE]
        printed = self.ledger.prints.printed_among([i.content_id for i, _ in candidates])
        unprinted = [(i, z) for i, z in candidates if i.content_id not in printed]
        self._print([(i, z) for i, z in unprinted if i.verdict in AI_VERDICTS], sources=True)
        finals = [i for i, z in unprinted if i.verdict not in AI_VERDICTS and z == FINALS]
        if finals:  # frame sequences are printed as shots; nothing is printed with no source on record
            Finals(self.likeness, self._prints().read_many).record(finals, FINALS)

    def _looks_like(self, batch: list[Checked]) -> dict[str, list[tuple[str, str, str]]]:
        """For `look`: the AI sources that finals material the ledger has never printed looks like,
        found the way `check` finds them, and recorded nowhere (a laundered copy is caught by
        lookup, timeline and pyblish before any scan has seen it)."""
        if not self.config.likeness:
            return {}
        candidates = [c.inspection for c in batch
                      if c.zone == FINALS and c.inspection.content_id and c.inspection.fspath
                      and kind_of(c.inspection.media_type) and c.inspection.verdict not in (*AI_VERDICTS, UNREADABLE)]
        printed = self.ledger.prints.printed_among([i.content_id for i in candidates])
        todo = [i for i in candidates if i.content_id not in printed]
        found = Finals(self.likeness, self._prints().read_many).look(todo) if todo else {}
        return {cid: [(parent, "near-duplicate", why) for parent, why in links] for cid, links in found.items() if links}

    def _print(self, files: list[tuple[Inspection, str]], sources: bool = False) -> None:
        todo = {i.fspath: (i, zone) for i, zone in files}
        if not todo:
            return
        for got in self._prints(sources).read_many(list(todo)):
            insp, zone = todo[got.fspath]
            if got.likeness is not None:
                self.likeness.record(insp, zone, got.likeness)
            else:  # flat, featureless or undecodable: remember that, so it is not tried on every scan
                self.ledger.prints.put(insp.content_id, kind_of(insp.media_type), b"", 0)

    # -- a whole tree in chunks (the daemon's reconcile) ---------------------------------------

    def sweep(self, roots: list[bytes], *, chunk: int = 1000, should_stop: Callable[[], bool] = lambda: False,
              on_batch: Callable[[Tally, list[Checked]], None] = lambda t, d: None) -> tuple[Tally, int]:
        """Walk whole trees in chunks without holding every file's result.

        Memory stays flat however large the tree: results are handed to `on_batch` and dropped;
        which recorded files were not seen is asked of the ledger at the end. Moves made while
        nobody watched are recorded as a new path plus a gone one. Returns the totals and the
        number of files gone through; stops early (and marks nothing gone) when `should_stop()`.
        """
        totals, swept = Tally(), 0
        with self.ledger.locations.seen() as seen:
            batch: list[WalkEntry] = []
            for entry in iter_files(roots, DEFAULT_IGNORE):
                batch.append(entry)
                if len(batch) >= chunk:
                    swept += self._sweep_batch(batch, seen, totals, on_batch)
                    batch = []
                    if should_stop():
                        return totals, swept
            swept += self._sweep_batch(batch, seen, totals, on_batch)
            for root in roots:
                if os.path.isdir(root):
                    for loc in seen.unseen_under(root):
                        self.ledger.locations.mark_gone(loc)
                        totals.gone += 1
        return totals, swept

    def _sweep_batch(self, batch, seen, totals: Tally, on_batch) -> int:
        if not batch:
            return 0
        seen.add([e.fspath for e in batch])
        part = Tally()
        done = self.check(batch, part)
        totals.add(part)
        on_batch(part, done)
        return len(done)
