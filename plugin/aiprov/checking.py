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
import itertools
import os
import random
import struct
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Iterable

import xxhash

from .ancestry import Ancestry
from .compscripts import is_script
from .config import Config
from .errors import LedgerConflict
from .isolation import ReaderPool
from .ledger import Ledger, Location
from .likeness import Finals, Likeness, kind_of
from .model import AI, AI_COMPOSITE, AI_VERDICTS, UNREADABLE, Evidence, Finding, Inspection
from .names import display_path
from .policy import FINALS, IGNORED, findings
from .reader import ReadSettings
from .version import RULES_VERSION
from .walk import DEFAULT_IGNORE, WalkEntry, entry_for, iter_files, iter_folders

# Answers recorded at a time while the readers read on: about what the pool keeps queued to its workers.
RECORD_GROUP = 64

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
    lineage_unknown: list[str] = field(default_factory=list)  # inputs of the scripts rendering it, not worked out
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

    def size(self) -> int:
        return len(self.cannot_check) + len(self.unchanged) + len(self.to_read)

    def clear(self) -> None:
        for part in (self.seen, self.cannot_check, self.unchanged, self.to_read):
            part.clear()


@dataclass
class _Noteworthy:
    """What makes an unchanged file worth judging again, asked of the ledger once per tree check:
    contents whose verdict or C2PA manifest a rule looks at, contents with lineage, locations
    with open findings, (once an AI source has a print) finals contents with no print yet, and
    contents judged under older rules (their files are read again, `_reuse`). Few files are
    noteworthy: their rows are held, by folder."""

    rows: dict[bytes, list[tuple]]  # folder -> rows of its noteworthy locations
    ids: set[int]

    @classmethod
    def of(cls, ledger: Ledger, config: Config, roots: list[bytes] | None = None) -> "_Noteworthy":
        """Those at and below `roots` (None: all of this host's)."""
        kinds = ledger.prints.source_kinds() if config.likeness else set()
        by_folder: dict[bytes, list[tuple]] = {}
        ids = set()
        for folder, r in ledger.locations.noteworthy(kinds, RULES_VERSION, roots):
            by_folder.setdefault(folder, []).append(r)
            ids.add(r[7])
        return cls(by_folder, ids)

    @classmethod
    def ahead(cls, ledger: Ledger, config: Config, roots: list[bytes]) -> "Future[_Noteworthy]":
        """`of`, asked on a second connection by a thread while the walk starts: the question reads
        a row per file under the roots (a fifth of an unchanged rescan's time), and SQLite and
        PostgreSQL answer it without holding the interpreter, so on two cores it costs nothing.
        Asked here and now when a second connection cannot be had. An error is raised where the
        answer is wanted (`result()`)."""
        asked: Future[_Noteworthy] = Future()
        try:
            other = ledger.sibling()
        except Exception:  # an in-memory or unreachable ledger: ask on this connection instead
            asked.set_result(cls.of(ledger, config, roots))
            return asked

        def ask() -> None:
            try:
                with other:
                    asked.set_result(cls.of(other, config, roots))
            except BaseException as exc:
                asked.set_exception(exc)

        threading.Thread(target=ask, name="aiprov-noteworthy", daemon=True).start()
        return asked

    def about(self, row: tuple, zone: str) -> bool:
        return row[7] in self.ids

    def in_folder(self, key: bytes) -> list[tuple]:
        return self.rows.get(key, [])


# Unchanged folders a walk may count ahead of the noteworthy rows (a few hundred bytes each): at 100
# files a folder, ten million files' worth before the walk waits for the answer.
HELD_FOLDERS = 100_000


def _digest(files: list, folder_zone: str | None) -> bytes | None:
    """What a folder's files are, in 8 bytes: names, stats (and zones) of each. None when a file
    cannot be vouched for (unreadable, a broken link): such a folder is compared file by file."""
    h = xxhash.xxh3_64(folder_zone.encode() if folder_zone else b"")
    pack = _RECORD.pack
    for path, name, st, error, zone in files:
        if error or st is None:
            return None
        h.update(name)
        h.update(pack(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev))
        if folder_zone is None:
            h.update(zone.encode())
    return h.digest()


_RECORD = struct.Struct("<xqqqq")  # a NUL after the name, then size, mtime_ns, inode, device


def _unchanged(row: tuple, st: os.stat_result | None) -> bool:
    """Location.unchanged, on a streamed row (path_raw, size, mtime_ns, inode, device, zone, content_id, id)."""
    return (st is not None and row[6] is not None
            and row[1] == st.st_size and row[2] == st.st_mtime_ns and row[3] == st.st_ino and row[4] == st.st_dev)


def _location(row: tuple, host: str) -> Location:
    path_raw, size, mtime_ns, inode, device, zone, content_id, loc_id = row[:8]
    return Location(loc_id, path_raw, path_raw.decode("utf-8", "backslashreplace"), content_id, size, mtime_ns,
                    inode, device, zone, False, host)


@dataclass
class Tally:
    """What a batch cost: files read, reused unopened, moved and gone; of those read, how many were
    unchanged but judged under older rules (what their metadata means may have changed)."""

    read: int = 0
    reused: int = 0
    moved: int = 0
    gone: int = 0
    older_rules: int = 0

    def add(self, other: "Tally") -> None:
        add_counts(self, other)


@dataclass
class TreeTally(Tally):
    """A tree check's counts: besides a batch's, the files walked and how many of them were quiet
    (unchanged, nothing noteworthy on record: counted, not judged again)."""

    walked: int = 0
    quiet: int = 0
    counts: Counter = field(default_factory=Counter)  # the quiet files by (zone, verdict), as recorded


def add_counts(into, part: Tally) -> None:
    """Add a batch's counts to a running total (a Tally, or a ScanResult that keeps the same four)."""
    for name in ("read", "reused", "moved", "gone", "older_rules"):
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
    if not insp.generator:
        insp.generator, insp.generator_source = regs[0]["tool"], "aiprov register"
    return insp


def keep_what_was_beside_it(insp: Inspection, recorded: Inspection | None) -> Inspection:
    """A sidecar that declared this content AI stays on record after the sidecar is gone."""
    if recorded is None or recorded.verdict not in AI_VERDICTS or insp.verdict in AI_VERDICTS:
        return insp
    kept = [e for e in recorded.evidence if e.source in OUTSIDE_THE_BYTES and e.implies in AI_VERDICTS]
    if not kept:
        return insp
    insp.evidence.extend(e for e in kept if e not in insp.evidence)
    insp.verdict = recorded.verdict
    if recorded.generator:
        insp.generator, insp.generator_source = recorded.generator, recorded.generator_source
    insp.digital_source_type = recorded.digital_source_type
    insp.reason = f"{recorded.reason} (recorded earlier; the sidecar that said so is gone)"
    insp.error = None
    insp.warnings.append("a sidecar that declared this content AI is no longer beside it; the ledger keeps "
                         "what it said")
    return insp


def unapproved_ai_among(ledger: Ledger, parents: list[tuple[str, str, str]],
                        ancestry: Ancestry | None = None) -> str | None:
    """The first of these (parent content id, edge kind, why) that is unapproved AI, or has such an
    ancestor, described: for lineage found by `look` and not recorded."""
    ancestry = ancestry or Ancestry(ledger)
    for pid, kind, reason in parents:
        asset = ledger.assets.get(pid)
        if asset and asset["verdict"] in AI_VERDICTS and not ledger.approvals.of(pid):
            locs = ledger.locations.of(pid)
            by = f" by {asset['generator']}" if asset["generator"] else ""
            return f"{locs[-1].path if locs else pid}, {asset['verdict']}{by}; {kind}: {reason}"
        further = ancestry.of(pid)
        if further:
            return further.further(f"{kind}: {reason}").describe()
    return None


def judge(ledger: Ledger, batch: list[Checked], *, record: bool, tick: Callable[[], None] = lambda: None,
          unrecorded: dict[str, list[tuple[str, str, str]]] | None = None, production: str | None = None) -> None:
    """Approvals and lineage for a batch, then the policy; in check mode the ledger's open findings
    of each location are made to match (and the newly raised ones noted, for hooks).

    What the policy needs is asked once for the batch (ancestry.py): only files with lineage and no
    approval get their ancestors walked, and a render's frames share their script's answer. `unrecorded`: parents `look` found (a perceptual match) and did
    not write, by content id. `production`: what a newly raised finding is filed under (the desk's filter).
    """
    cids = [c.inspection.content_id for c in batch if c.inspection.content_id]
    approvals = ledger.approvals.active_for_many(cids)
    ancestry = Ancestry(ledger)
    ancestry.know([(c.inspection.content_id, c.inspection.path) for c in batch])
    locations = [c.location.id for c in batch if record and c.location is not None]
    open_rows = ledger.findings.open_at(locations) if locations else {}
    for c in batch:
        cid = c.inspection.content_id
        c.approvals = approvals.get(cid, []) if cid else []
        found = ancestry.of(cid) if cid and not c.approvals and ancestry.has_lineage(cid) else None
        c.ai_ancestor = found.describe() if found else None
        if c.ai_ancestor is None and not c.approvals and unrecorded and cid in unrecorded:
            c.ai_ancestor = unapproved_ai_among(ledger, unrecorded[cid], ancestry)
        c.lineage_unknown = ancestry.unknown(c.inspection.path)
        c.findings = findings(c)
        if record and c.location is None:
            c.new_findings = c.findings
        tick()
    kept = [c for c in batch if c.location is not None] if record else []
    if kept:  # the batch's findings raised in one statement (and those no longer true resolved)
        raised = ledger.findings.record_many([(c.location, c.findings, open_rows.get(c.location.id, []))
                                              for c in kept], production=production)
        for c, new in zip(kept, raised):
            c.new_findings = new


def judge_recorded(ledger: Ledger, content_ids: list[str], production: str | None = None) -> list[Checked]:
    """Every live location of these contents, on every host, judged again from what the ledger
    recorded of it (no file is opened) and its open findings made to match: what an approval or a
    revocation changes is the ledger's knowledge, not the bytes, so the desk's reviewers see its
    effect at once, on the storage of hosts this process cannot read too."""
    recorded = ledger.assets.inspections(content_ids)
    batch = []
    for cid, template in recorded.items():
        for loc in ledger.locations.of(cid, include_gone=False):
            if loc.zone and loc.zone != IGNORED:
                batch.append(Checked(dataclasses.replace(template, path=loc.path, fspath=loc.path_raw), loc.zone,
                                     reused=True, location=loc))
    with ledger.transaction():
        judge(ledger, batch, record=True, production=production)
    return batch


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
        self.moved_away: set[bytes] = set()  # old halves of moves recorded by this checker
        self._relinked: set[str] = set()  # output keys of renders whose script lineage this batch changed

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

    def reader_failures(self) -> tuple[int, int]:
        """(crashes, time-outs) of this checker's readers so far."""
        return (self._pool.crashes, self._pool.timeouts) if self._pool is not None else (0, 0)

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
              total: int | None = None, already_read: dict[bytes, Inspection] | None = None,
              renders_within: list[bytes] | None = None) -> list[Checked]:
        """Reuse, move or read each entry, record it, then judge it and record its findings.

        missing_roots: folders whose recorded files not among `entries` are gone (a full walk);
        missing_paths: paths an event said were deleted or moved away;
        already_read: files the caller has just read (`read`), not read again: `register` and
        `approve` need a content id before they write what makes the judgement;
        renders_within: the daemon's roots. Renders on record there whose comp-script lineage this
        batch changed (a script read, or a file a script reads) are judged again with it, so a
        render that landed before its script, or before the AI plate its script reads, is caught.
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
                                       already_read or {}, renders_within)
                break
            except LedgerConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.05, 0.5))
        add_counts(tally, part)
        return done

    def _check(self, entries, tally, missing_roots, missing_paths, tick, progress, total, already_read,
               renders_within) -> list[Checked]:
        ledger = self.ledger
        self._relinked: set[str] = set()
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
        if renders_within is not None:
            again = self._sort([entry_for(p) for p in self._relinked_renders(batch, renders_within)], None, record=True)
            batch += self._gather(again, tally, record=True, missing={}, tick=step)
        # perceptual prints: laundered copies of AI material get their lineage edge before the policy runs
        self.fingerprint(batch)
        for loc in missing.values():  # recorded, and no longer there
            ledger.locations.mark_gone(loc)
            tally.gone += 1
        # the policy, now that every asset and edge of the batch is on record (a parent may come after its child)
        judge(ledger, batch, record=True, tick=tick, production=self.config.production)
        return batch

    def _settle(self, sorted_: "_Sorted", tally: Tally, missing: dict[bytes, Location], tick,
                already_read: dict[bytes, Inspection] | None = None) -> list[Checked]:
        """Reuse, move or read and record a sorted batch, then make its perceptual prints (laundered
        copies of AI material get their lineage edge before the policy runs)."""
        batch = self._gather(sorted_, tally, record=True, missing=missing, tick=tick, already_read=already_read)
        self.fingerprint(batch)
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
                st = entry.st or os.stat(entry.fspath)
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
        if record:
            self._read_scripts_never_read(out)
        return out

    def _read_scripts_never_read(self, out: "_Sorted") -> None:
        """An unchanged script recorded by an aiprov that did not read scripts is read once more,
        so its renders get their lineage."""
        scripts = [u[0] for u in out.unchanged if is_script(u[0])]
        if not scripts:
            return
        done = self.ledger.scripts.read(scripts)
        if len(done) == len(scripts):
            return
        still = []
        for u in out.unchanged:
            if is_script(u[0]) and u[0] not in done:
                out.to_read.append((u[0], u[1], u[2]))
            else:
                still.append(u)
        out.unchanged = still

    def _relinked_renders(self, batch: list[Checked], within: list[bytes]) -> list[bytes]:
        """Renders on record under `within`, not in this batch, whose comp-script lineage the batch
        changed: outputs of the scripts it read (both versions), and of the scripts that read a file
        it recorded anew, then of the scripts reading those renders (a precomp feeds a comp)."""
        scripts = self.ledger.scripts
        keys = set(self._relinked)
        if not keys and not scripts.any():
            return []
        roots = [r.rstrip(b"/") + b"/" for r in within]
        seen = {c.inspection.fspath for c in batch}
        fresh = [c.inspection.path for c in batch if not c.reused and c.inspection.content_id]
        found: list[bytes] = []
        for _ in range(4):  # levels of renders feeding other scripts
            keys |= {r["output_key"] for r in scripts.reading(fresh)} if fresh else set()
            paths = [p for p in scripts.rendered(keys) if p not in seen and any(p.startswith(r) for r in roots)]
            if not paths:
                break
            seen.update(paths)
            found += paths
            fresh, keys = [display_path(p) for p in paths], set()
        return found

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
        A file whose asset record is missing, or was judged under older rules, is read instead."""
        recorded = self.ledger.assets.inspections([loc.content_id for _, _, _, loc in unchanged])
        out, touched = [], []
        for fspath, st, zone, loc in unchanged:
            template = recorded.get(loc.content_id)
            if template is None or template.rules < RULES_VERSION:
                to_read.append((fspath, st, zone))
                tally.older_rules += template is not None
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
        recorded without reading the file. The vanished path is one this batch knows is missing,
        or one the ledger holds live on this host that is no longer there (a tree walk meets the
        two halves of a move in path order, either first)."""
        by_inode = {(m.device, m.inode, m.size, m.mtime_ns): m for m in missing.values() if m.inode}
        stats = [st for _, st, _ in to_read if st is not None]
        for loc in self.ledger.locations.with_inodes([(st.st_dev, st.st_ino) for st in stats]):
            if loc.path_raw not in missing and not os.path.lexists(loc.path_raw):
                by_inode.setdefault((loc.device, loc.inode, loc.size, loc.mtime_ns), loc)
                missing[loc.path_raw] = loc
        if not by_inode:
            return []
        out, still = [], []
        for fspath, st, zone in to_read:
            twin = by_inode.get((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)) if st else None
            insp = self.ledger.assets.inspection(twin.content_id, "") if twin is not None else None
            if insp is not None and insp.rules < RULES_VERSION and twin.path_raw in missing:
                insp = None  # judged under older rules: read it (the move is then found by its content id)
                tally.older_rules += 1
            if twin is not None and twin.path_raw in missing and insp is not None:
                del missing[twin.path_raw]
                self.moved_away.add(twin.path_raw)
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
        each content (registrations; a sidecar's word kept) and, in check mode, record it.

        Answers are recorded a group at a time as they come, while the readers go on with the
        files queued to them: reading and recording overlap instead of taking turns. What the
        ledger held of each content is what it held before this batch was read, so two copies of
        one content in a batch are judged alike whichever is recorded first."""
        if not to_read:
            return []
        wanted = {fspath: (st, zone) for fspath, st, zone in to_read}
        done = [already_read[p] for p in wanted if p in already_read]
        answers = itertools.chain(done, self.pool.read_many([p for p in wanted if p not in already_read]))
        before: dict[str, Inspection | None] = {}
        out = []
        ledger = self.ledger
        while group := list(itertools.islice(answers, RECORD_GROUP)):
            cids = [i.content_id for i in group if i.content_id]
            asked = [cid for cid in dict.fromkeys(cids) if cid not in before]
            with ledger.together():  # one round trip to a shared ledger, not four
                regs_soon = ledger.registrations.of_many_soon(cids)
                found_soon = ledger.assets.inspections_soon(asked)
                if record:
                    here_soon = ledger.locations.get_many_soon([i.fspath for i in group])
                    elsewhere_soon = ledger.locations.live_of_many_soon(cids)
            regs, found = regs_soon(), found_soon()
            before.update((cid, found.get(cid)) for cid in asked)
            checked = []
            for insp in group:
                st, zone = wanted[insp.fspath]
                apply_registrations(insp, regs.get(insp.content_id, []))
                keep_what_was_beside_it(insp, before.get(insp.content_id))
                checked.append(Checked(insp, zone))
            if record:
                self._record_read([(c, wanted[c.inspection.fspath][0]) for c in checked], here_soon(),
                                  elsewhere_soon(), missing, tally)
            for c in checked:
                tally.read += 1
                out.append(c)
                tick()
        return out

    def _record_read(self, files: list[tuple[Checked, os.stat_result | None]], here: dict[bytes, Location],
                     elsewhere: dict[str, list[Location]], missing: dict[bytes, Location], tally: Tally) -> None:
        """Record freshly read files (`here`: what this host has on record at their paths; `elsewhere`:
        the live locations of their contents). Those plainly new (no record at their path, their content
        nowhere else and once in the batch, not a script) go in together: a statement for their
        assets and one for their locations, not three round trips each, which on a shared ledger
        across the network was most of a first scan. Copies, moves and changes go one by one."""
        ledger = self.ledger
        per_cid = Counter(c.inspection.content_id for c, _ in files if c.inspection.content_id)
        twins = {m.content_id for m in missing.values()}
        plain, rest = [], []
        for c, st in files:
            insp = c.inspection
            cid = insp.content_id
            if (cid and per_cid[cid] == 1 and st is not None and insp.fspath not in here and cid not in elsewhere
                    and cid not in twins and not is_script(insp.fspath)):
                plain.append((c, st))
            else:
                rest.append((c, st))
        if plain:
            with ledger.transaction():
                ledger.assets.record_many([c.inspection for c, _ in plain])
                locs = ledger.locations.upsert_many([(c.inspection.fspath, c.inspection.content_id, st, c.zone)
                                                     for c, st in plain])
                for (c, _), loc in zip(plain, locs):
                    c.location = loc
                    ledger.event("seen", c.inspection.content_id, c.inspection.path, {"zone": c.zone})
            ledger.grew(len(plain))
        for c, st in rest:
            c.location, moved = self._record(c.inspection.fspath, c.inspection, st, c.zone, missing)
            tally.moved += moved

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
                if twin is None and cid:  # a copy, unless the other copy is gone from this host's disk
                    twin = next((o for o in others if o.host == ledger.host and o.path_raw not in self.moved_away
                                 and not os.path.lexists(o.path_raw)), None)
                if twin is not None and st is not None:
                    missing.pop(twin.path_raw, None)
                    self.moved_away.add(twin.path_raw)
                    others = [o for o in others if o is not twin]
                    loc = ledger.locations.move(twin, fspath, st, zone)
                    moved = True
                else:
                    loc = ledger.locations.upsert(fspath, cid, st, zone)
                    if others:
                        ledger.event("copied", cid, insp.path, {"from": others[0].path})
                    else:
                        ledger.event("seen", cid, insp.path, {"zone": zone})
            if is_script(fspath) and cid:  # read: a new version of the script replaces the old one's lineage
                self._relinked |= ledger.scripts.record(fspath, insp.path, cid, insp.script)
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

    # -- whole trees: the gate and the daemon's reconcile ---------------------------------------

    def check_tree(self, roots: list[bytes], tally: Tally | None = None, *, chunk: int = 1000,
                   should_stop: Callable[[], bool] = lambda: False,
                   on_batch: Callable[[Tally, list[Checked]], None] = lambda t, d: None,
                   progress: Callable[[int, int], None] | None = None) -> "TreeTally":
        """Check whole trees at about the speed of walking them.

        Every file's stat is taken (nothing else says a file changed), but the ledger is asked one
        question per folder, not per file: a folder whose digest of names and stats is the one the
        ledger keeps is unchanged as a whole, and its files are only counted. Noteworthy files
        (AI, unreadable, C2PA, lineage, open findings, prints owed) are judged again wherever they
        are. Other folders are held against their files' rows one by one; new, changed and
        noteworthy files go through `check`'s steps in chunks handed to `on_batch` and dropped, so
        memory stays flat however large the tree. Recorded files the walk did not meet are gone
        (unless a file of the walk turned out to be one of them, moved). Stops early, marking
        nothing gone, when `should_stop()`.
        """
        ledger, config = self.ledger, self.config
        totals = TreeTally() if tally is None else tally
        asked = _Noteworthy.ahead(ledger, config, roots)  # the walk meets only folders at and below the roots
        notes: _Noteworthy | None = None
        held: list[tuple] = []  # unchanged folders met before the answer came (their counts, not their files)
        zones = config.zones_by_folder()
        by_folder = zones is not config.zone_of
        filtered = config.filters_names()
        quiet = 0
        missing: dict[bytes, tuple] = {}
        work = _Sorted()
        vouched: list[tuple[bytes, bytes, int]] = []
        self._relinked = set()
        judged: set[bytes] = set()  # every file handed to on_batch (a render judged again at the end is not new)
        fresh_ai: list[Checked] = []  # AI files recorded anew: renders of scripts reading them are judged again

        def flush() -> None:
            nonlocal quiet
            part = Tally(reused=quiet)  # what this chunk cost, quiet files since the last chunk included
            batch = []
            if work.size():
                twins = ({p: _location(r, ledger.host) for p, r in missing.items() if p not in self.moved_away}
                         if work.to_read else {})
                self._read_scripts_never_read(work)
                batch = self._check_sorted(work, part, twins, vouched)
                work.clear()
                judged.update(c.inspection.fspath for c in batch)
                fresh_ai.extend(c for c in batch if not c.reused and c.inspection.verdict in AI_VERDICTS)
            elif vouched:
                with ledger.transaction():
                    ledger.folders.vouch(vouched)
            vouched.clear()
            add_counts(totals, Tally(part.read, part.reused - quiet, part.moved, part.gone, part.older_rules))
            quiet = 0
            on_batch(part, batch)
            if progress:
                progress(totals.walked, 0)

        def unchanged(key: bytes, n_files: int, tally_then: Counter, files: list | None, folder_zone: str | None) -> None:
            """Unchanged as a whole: count it, and judge again only what is noteworthy in it. A folder
            held while the noteworthy rows were on their way kept only its count (memory stays flat
            however long the answer takes): its few noteworthy files are looked at again."""
            nonlocal quiet
            totals.counts.update(tally_then)
            rows = notes.in_folder(key)
            for r in rows:  # counted by the check that judges them again
                totals.counts[(r[5], r[8])] -= 1
                if files is not None:
                    f = next((f for f in files if f[0] == r[0]), None)
                    if f is not None:
                        work.unchanged.append((r[0], f[2], f[4], _location(r, ledger.host)))
                    continue
                zone = folder_zone or zones(r[0])
                try:
                    st = os.stat(r[0])
                except OSError:
                    st = None
                if _unchanged(r, st):
                    work.unchanged.append((r[0], st, zone, _location(r, ledger.host)))
                else:  # changed or gone since it was walked: read it, and say what it is now
                    work.to_read.append((r[0], st, zone))
            n = n_files - len(rows)
            totals.reused += n
            totals.quiet += n
            quiet += n

        def answered() -> _Noteworthy:
            """The noteworthy rows, waited for if need be; the folders held meanwhile are done first."""
            nonlocal notes
            if notes is None:
                notes = asked.result()
                for h in held:
                    unchanged(*h)
                held.clear()
            return notes

        for root in roots:
            stored = ledger.folders.stream_under(root)
            row = next(stored, None)
            if row is None:
                # No folder on record here (a first scan): the files will be read, so the readers
                # start up now, while the first chunk is walked, rather than after it.
                list(self.pool.read_many([]))
            vanished: list[bytes] = []
            unlisted: list[bytes] = []
            for folder in iter_folders(root, DEFAULT_IGNORE):
                key = folder.key
                while row is not None and row[0] < key:
                    vanished.append(row[0])
                    row = next(stored, None)
                digest_then, tally_then = None, None
                if row is not None and row[0] == key:
                    digest_then, tally_then, row = row[1], row[2], next(stored, None)
                if folder.error:  # what it holds is unknown, not gone: its records stay as they are
                    path = key[:-1]
                    work.cannot_check.append((WalkEntry(path, folder.error), zones(path)))
                    unlisted.append(key)
                    totals.walked += 1
                    continue
                folder_zone = zones(key + b"x") if by_folder else None
                if folder_zone is not None and not filtered:  # the common case, kept to one pass
                    files = ([] if folder_zone == IGNORED else
                             [(key + name, name, st, error, folder_zone) for name, st, error in folder.files])
                else:
                    files = []
                    for name, st, error in folder.files:
                        path = key + name
                        zone = folder_zone or zones(path)
                        if zone == IGNORED or (filtered and not error and not config.considers(path)):
                            continue
                        files.append((path, name, st, error, zone))
                totals.walked += len(files)
                digest = _digest(files, folder_zone)
                if digest is not None and digest == digest_then:
                    if notes is None and not asked.done() and len(held) < HELD_FOLDERS:
                        held.append((key, len(files), tally_then, None, folder_zone))
                        continue
                    answered()
                    unchanged(key, len(files), tally_then, files, folder_zone)
                else:
                    steady, n, tally = self._compare_folder(key, files, answered, work, missing, totals.counts)
                    if steady and digest is not None:
                        vouched.append((key, digest, tally))
                    totals.reused += n
                    totals.quiet += n
                    quiet += n
                if work.size() >= chunk or quiet >= 50 * chunk:
                    flush()
                    if should_stop():
                        return totals
            while row is not None:
                vanished.append(row[0])
                row = next(stored, None)
            for key in vanished:  # folders with recorded files that the walk did not meet
                if any(key.startswith(u) for u in unlisted):
                    continue
                missing.update(ledger.locations.in_folder(key))
                ledger.folders.forget(key)
        answered()
        flush()
        self._judge_relinked_renders(roots, fresh_ai, judged, totals, on_batch)
        for p, r in missing.items():  # recorded, and no longer there
            if p not in self.moved_away:
                ledger.locations.mark_gone(_location(r, ledger.host))
                totals.gone += 1
        return totals

    def _judge_relinked_renders(self, roots: list[bytes], fresh_ai: list[Checked], judged: set[bytes],
                                totals: "TreeTally", on_batch) -> None:
        """Renders judged before their script or the AI plate it reads was recorded in this walk (a
        walk meets finals/ before working/) are judged again, now that the lineage is on record."""
        again = [p for p in self._relinked_renders(fresh_ai, roots) if os.path.lexists(p)]
        if not again:
            return
        work = self._sort([entry_for(p) for p in again], None, record=True)
        for path, _, zone, loc in work.unchanged:
            if path not in judged:  # it was counted quiet in the walk: it is listed now instead
                verdict = self.ledger.assets.get(loc.content_id) if loc.content_id else None
                totals.counts[(loc.zone, verdict["verdict"] if verdict else UNREADABLE)] -= 1
                totals.quiet -= 1
                totals.reused -= 1
        part = Tally()
        batch = self._check_sorted(work, part, {})
        add_counts(totals, part)
        on_batch(part, batch)

    def _compare_folder(self, key: bytes, files: list, notes: Callable[[], "_Noteworthy"], work: "_Sorted",
                        missing: dict[bytes, tuple], counts: Counter) -> tuple[bool, int, Counter]:
        """Hold a folder's files against their rows one by one; quiet ones are counted into `counts` by
        zone and verdict. Returns whether every file is as recorded (the folder's digest may then be
        kept), how many were quiet, and the folder's files by zone and verdict as recorded. `notes` is called
        only for a file that is as recorded (the noteworthy rows may still be on their way)."""
        rows = self.ledger.locations.in_folder(key)
        tally = Counter((r[5], r[8]) for r in rows.values())
        steady, quiet = True, 0
        for path, name, st, error, zone in files:
            row = rows.pop(path, None)
            if error:
                work.cannot_check.append((WalkEntry(path, error), zone))
                steady = False
            elif row is not None and _unchanged(row, st) and row[5] == zone:
                if notes().about(row, zone) or is_script(name):  # a script: read once more if never read
                    work.unchanged.append((path, st, zone, _location(row, self.ledger.host)))
                else:
                    quiet += 1
                    counts[(zone, row[8])] += 1
            elif row is not None and _unchanged(row, st):
                work.unchanged.append((path, st, zone, _location(row, self.ledger.host)))  # its zone changed
                steady = False
            else:
                work.to_read.append((path, st, zone))
                steady = False
        if rows:  # recorded here, not walked: gone, or moved
            missing.update(rows)
            steady = False
        return steady, quiet, tally

    def _check_sorted(self, work: "_Sorted", tally: Tally, missing: dict[bytes, Location],
                      vouched: list[tuple[bytes, bytes, int]] = ()) -> list[Checked]:
        for attempt in range(CONFLICT_RETRIES + 1):
            part = Tally()
            try:
                with self.ledger.batch() as tick:
                    batch = self._settle(work, part, missing, tick)
                    judge(self.ledger, batch, record=True, tick=tick, production=self.config.production)
                    if vouched:  # after the writes of the batch, which clear the digests of their folders
                        self.ledger.folders.vouch(vouched)
                break
            except LedgerConflict:
                if attempt == CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.05, 0.5))
        add_counts(tally, part)
        return batch
