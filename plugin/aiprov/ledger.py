"""The provenance ledger: the only module that knows SQL.

One SQLite file in WAL mode, so `lookup` and reports read while a scan or the
daemon writes. Every write goes through `_write`, which retries while another
process holds the lock (busy_timeout first, then our own back-off) and turns a
lock that never clears into LedgerLocked instead of a traceback.

Paths are stored twice: `path_raw` (the exact bytes, the key) and `path` (for
display, undecodable bytes as \\xNN), because post storage holds names from
other systems that are not UTF-8. Everything else asks questions by name:
`history(content_id)`, `approvals_for(content_id)`, `lineage(content_id)`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import sqlite_utils

from .errors import LedgerError, LedgerLocked
from .model import Finding, Inspection

BUSY_TIMEOUT_MS = 5000
LOCK_RETRIES = 12


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _display(path_raw: bytes) -> str:
    return path_raw.decode("utf-8", "backslashreplace")


# Migrations, versioned in code. Never edit one that has shipped: add the next.
MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE assets (
        content_id TEXT PRIMARY KEY,
        size INTEGER,
        media_type TEXT,
        verdict TEXT NOT NULL,
        generator TEXT,
        digital_source_type TEXT,
        reason TEXT,
        error TEXT,
        c2pa TEXT,
        warnings TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE locations (
        id INTEGER PRIMARY KEY,
        path_raw BLOB NOT NULL UNIQUE,
        path TEXT NOT NULL,
        content_id TEXT,
        size INTEGER,
        mtime_ns INTEGER,
        inode INTEGER,
        device INTEGER,
        zone TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        gone INTEGER NOT NULL DEFAULT 0,
        gone_at TEXT
    );
    CREATE INDEX locations_content ON locations(content_id);
    CREATE INDEX locations_inode ON locations(device, inode);
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        content_id TEXT NOT NULL,
        source TEXT, field TEXT, value TEXT, weight REAL, implies TEXT, generator TEXT
    );
    CREATE INDEX evidence_content ON evidence(content_id);
    CREATE TABLE identifiers (
        content_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (content_id, kind, value)
    );
    CREATE INDEX identifiers_value ON identifiers(value);
    CREATE TABLE edges (
        id INTEGER PRIMARY KEY,
        child_id TEXT NOT NULL,
        parent_id TEXT,
        parent_ref TEXT,
        parent_title TEXT,
        kind TEXT NOT NULL,
        reason TEXT,
        created TEXT NOT NULL,
        UNIQUE (child_id, parent_id, parent_ref, kind)
    );
    CREATE INDEX edges_parent ON edges(parent_id);
    CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        content_id TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        reference TEXT,
        categories TEXT,
        answers TEXT,
        path TEXT,
        created TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoke_reason TEXT
    );
    CREATE INDEX approvals_content ON approvals(content_id);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        location_id INTEGER NOT NULL,
        content_id TEXT,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        zone TEXT,
        first_raised TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        resolved_at TEXT
    );
    CREATE INDEX findings_location ON findings(location_id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        content_id TEXT,
        path TEXT,
        detail TEXT
    );
    CREATE INDEX events_content ON events(content_id);
    """,
    # 2: the daemon's journal: paths seen but not yet processed survive a crash
    """
    CREATE TABLE journal (
        path_raw BLOB PRIMARY KEY,
        added TEXT NOT NULL
    );
    """,
    # 3: AI output recorded at birth (aiprov register), and the ledger's own identity
    """
    CREATE TABLE registrations (
        id INTEGER PRIMARY KEY,
        content_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        tool_version TEXT,
        prompt TEXT,
        note TEXT,
        status TEXT NOT NULL,
        composite INTEGER NOT NULL DEFAULT 0,
        path TEXT,
        created TEXT NOT NULL
    );
    CREATE INDEX registrations_content ON registrations(content_id);
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    """,
    # 4: perceptual prints of AI sources and of finals material (likeness.py)
    """
    CREATE TABLE fingerprints (
        id INTEGER PRIMARY KEY,
        content_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        blob BLOB NOT NULL,
        quality INTEGER,
        UNIQUE (content_id, kind)
    );
    """,
]


@dataclass
class Location:
    id: int
    path_raw: bytes
    path: str
    content_id: str | None
    size: int | None
    mtime_ns: int | None
    inode: int | None
    device: int | None
    zone: str | None
    gone: bool

    @classmethod
    def from_row(cls, row: dict) -> "Location":
        return cls(row["id"], bytes(row["path_raw"]), row["path"], row["content_id"], row["size"],
                   row["mtime_ns"], row["inode"], row["device"], row["zone"], bool(row["gone"]))


class Ledger:
    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(parent, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the ledger at {self.path}: {exc}") from exc
        self.db = sqlite_utils.Database(conn)
        self._write_depth = 0
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"the ledger at {self.path} cannot be used: {exc} "
                              "(is it an aiprov ledger? is the disk full?)") from exc

    # -- plumbing ---------------------------------------------------------

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction():
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise LedgerError(f"the ledger at {self.path} was written by a newer aiprov "
                                  f"(schema {version}, this one knows {len(MIGRATIONS)}): upgrade aiprov")
            for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one), retried while locked."""
        if self._write_depth:
            self._write_depth += 1
            try:
                yield
            finally:
                self._write_depth -= 1
            return
        self._begin()
        try:
            yield
        except BaseException as exc:
            self._end(exc)
            raise
        self._end(None)

    def _begin(self) -> None:
        for attempt in range(LOCK_RETRIES):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._explain(exc) from exc
                time.sleep(min(2.0, 0.05 * 2**attempt))
        else:
            raise LedgerLocked(f"the ledger at {self.path} stayed locked by another process; try again, "
                               "or check for a stuck aiprov process")
        self._write_depth = 1

    def _end(self, exc: BaseException | None) -> None:
        """Commit, or roll back after `exc`; a failed commit becomes a LedgerError for people."""
        self._write_depth = 0
        if exc is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error as commit_exc:
                exc = commit_exc
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. on a full disk)
        if isinstance(exc, sqlite3.Error):
            raise self._explain(exc) from exc

    @contextmanager
    def batch(self, every: int = 256) -> Iterator[Callable[[], None]]:
        """Group many small writes into transactions of `every` steps; yields a tick() to call per step.

        One transaction a file made a scan write-bound; holding one for a whole tree would
        keep the daemon and `approve` waiting. A few hundred files is a fraction of a second.
        """
        if self._write_depth:
            yield lambda: None
            return
        count = 0

        def tick() -> None:
            nonlocal count
            count += 1
            if count >= every:
                self._end(None)
                self._begin()
                count = 0

        self._begin()
        try:
            yield tick
        except BaseException as exc:
            self._end(exc)
            raise
        self._end(None)

    def _explain(self, exc: sqlite3.Error) -> LedgerError:
        text = str(exc)
        if "full" in text:
            return LedgerError(f"the disk holding the ledger {self.path} is full: nothing from the interrupted step "
                               "was written and what was recorded before is intact. Free some space and run again.")
        if "locked" in text or "busy" in text:
            return LedgerLocked(f"the ledger at {self.path} stayed locked by another process; try again")
        if "readonly" in text or "read-only" in text:
            return LedgerError(f"the ledger at {self.path} is read-only for this user; use --ledger to pick another")
        return LedgerError(f"could not write to the ledger at {self.path}: {text}")

    # Plain SQL for the writes: sqlite-utils re-reads the schema on every insert, which
    # was most of a scan's time (measured: 68 statements a file, 7 of 15 s in insert()).
    def _insert(self, table: str, row: dict) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        return self.db.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values())).lastrowid

    def _update(self, table: str, row_id: int, row: dict) -> None:
        sets = ", ".join(f"{c} = ?" for c in row)
        self.db.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*row.values(), row_id])

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        cur = self.db.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def event(self, kind: str, content_id: str | None, path: str | None, detail: dict | str | None = None) -> None:
        if isinstance(detail, dict):
            detail = json.dumps(detail, ensure_ascii=False)
        self._insert("events", {"at": now(), "kind": kind, "content_id": content_id, "path": path, "detail": detail})

    # -- locations and assets ---------------------------------------------

    def location(self, path_raw: bytes) -> Location | None:
        rows = self._rows("SELECT * FROM locations WHERE path_raw = ?", [path_raw])
        return Location.from_row(rows[0]) if rows else None

    def live_locations_under(self, root_raw: bytes, unseen_only: bool = False) -> dict[bytes, Location]:
        """Recorded, not-gone locations below a folder (unseen_only: not in the sweep's seen table)."""
        prefix = root_raw.rstrip(b"/") + b"/"
        unseen = " AND path_raw NOT IN (SELECT path_raw FROM temp.seen)" if unseen_only else ""
        rows = self._rows("SELECT * FROM locations WHERE gone = 0 AND substr(path_raw, 1, ?) = ?" + unseen,
                          [len(prefix), prefix])
        return {bytes(r["path_raw"]): Location.from_row(r) for r in rows}

    def locations_of(self, content_id: str, include_gone: bool = True) -> list[Location]:
        sql = "SELECT * FROM locations WHERE content_id = ?" + ("" if include_gone else " AND gone = 0")
        return [Location.from_row(r) for r in self._rows(sql + " ORDER BY first_seen", [content_id])]

    def asset(self, content_id: str) -> dict | None:
        rows = self._rows("SELECT * FROM assets WHERE content_id = ?", [content_id])
        return rows[0] if rows else None

    def inspection(self, content_id: str, path: str) -> Inspection | None:
        """The recorded verdict of an asset, as an Inspection (used when a file is unchanged)."""
        from .model import C2paReport, Evidence, Ingredient

        a = self.asset(content_id)
        if a is None:
            return None
        c2pa = json.loads(a["c2pa"]) if a["c2pa"] else {}
        report = C2paReport(**{k: v for k, v in c2pa.items() if k != "ingredients"})
        report.ingredients = [Ingredient(**i) for i in c2pa.get("ingredients", [])]
        evidence = [Evidence(r["source"], r["field"], r["value"], r["weight"], r["implies"], r["generator"])
                    for r in self._rows("SELECT * FROM evidence WHERE content_id = ? ORDER BY id", [content_id])]
        return Inspection(path=path, verdict=a["verdict"], generator=a["generator"],
                          digital_source_type=a["digital_source_type"], c2pa=report, evidence=evidence,
                          error=a["error"], media_type=a["media_type"], size=a["size"], content_id=content_id,
                          warnings=json.loads(a["warnings"] or "[]"), reason=a["reason"])

    def record_asset(self, insp: Inspection) -> bool:
        """Store an asset's verdict and evidence; a new asset gets its "recorded" event. True if new."""
        cid = insp.content_id
        t = now()
        existing = self.asset(cid)
        row = {"content_id": cid, "size": insp.size, "media_type": insp.media_type, "verdict": insp.verdict,
               "generator": insp.generator, "digital_source_type": insp.digital_source_type,
               "reason": insp.reason, "error": insp.error, "c2pa": json.dumps(insp.c2pa.to_dict()),
               "warnings": json.dumps(insp.warnings), "last_seen": t,
               "first_seen": existing["first_seen"] if existing else t}
        with self.transaction():
            cols = ", ".join(row)
            self.db.conn.execute(f"INSERT OR REPLACE INTO assets ({cols}) VALUES ({', '.join('?' * len(row))})",
                                 list(row.values()))
            self.db.execute("DELETE FROM evidence WHERE content_id = ?", [cid])
            self.db.conn.executemany(
                "INSERT INTO evidence (content_id, source, field, value, weight, implies, generator) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(cid, e.source, e.field, e.value, e.weight, e.implies, e.generator) for e in insp.evidence])
            for e in insp.evidence:
                if e.field.endswith(("InstanceID", "DocumentID")):
                    self.db.conn.execute("INSERT OR IGNORE INTO identifiers (content_id, kind, value) "
                                         "VALUES (?, ?, ?)", [cid, e.field, e.value])
            for ingr in insp.c2pa.ingredients:
                ref = ingr.instance_id or ingr.document_id or ingr.title
                if ref:
                    self.add_edge(cid, None, "c2pa-ingredient", f"C2PA ingredient {ingr.title!r} "
                                  f"({ingr.relationship or 'ingredient'})", parent_ref=ref, parent_title=ingr.title)
            if existing is None:
                self.event("recorded", cid, insp.path, {"verdict": insp.verdict, "generator": insp.generator})
        return existing is None

    def touch_location(self, loc: Location) -> None:
        self.db.execute("UPDATE locations SET last_seen = ? WHERE id = ?", [now(), loc.id])

    def upsert_location(self, path_raw: bytes, content_id: str | None, st: os.stat_result | None,
                        zone: str | None) -> Location:
        t = now()
        row = {"path_raw": path_raw, "path": _display(path_raw), "content_id": content_id,
               "size": st.st_size if st else None, "mtime_ns": st.st_mtime_ns if st else None,
               "inode": st.st_ino if st else None, "device": st.st_dev if st else None, "zone": zone,
               "last_seen": t, "gone": 0, "gone_at": None}
        with self.transaction():
            old = self.location(path_raw)
            if old:
                self._update("locations", old.id, row)
            else:
                row["first_seen"] = t
                self._insert("locations", row)
            return self.location(path_raw)

    def move_location(self, old: Location, new_raw: bytes, st: os.stat_result, zone: str | None) -> Location:
        with self.transaction():
            self.mark_gone(old, moved=True)
            loc = self.upsert_location(new_raw, old.content_id, st, zone)
            self.event("moved", old.content_id, loc.path, {"from": old.path, "to": loc.path})
            return loc

    def mark_gone(self, loc: Location, moved: bool = False) -> None:
        with self.transaction():
            self.db.execute("UPDATE locations SET gone = 1, gone_at = ? WHERE id = ?", [now(), loc.id])
            self.db.execute("UPDATE findings SET resolved_at = ? WHERE location_id = ? AND resolved_at IS NULL",
                            [now(), loc.id])
            if not moved:
                self.event("gone", loc.content_id, loc.path)

    # -- lineage -----------------------------------------------------------

    def add_edge(self, child_id: str, parent_id: str | None, kind: str, reason: str,
                 parent_ref: str | None = None, parent_title: str | None = None) -> None:
        with self.transaction():
            exists = self._rows("SELECT 1 FROM edges WHERE child_id = ? AND parent_id IS ? AND parent_ref IS ? "
                                "AND kind = ?", [child_id, parent_id, parent_ref, kind])
            if not exists:
                self._insert("edges", {"child_id": child_id, "parent_id": parent_id, "parent_ref": parent_ref,
                                         "parent_title": parent_title, "kind": kind, "reason": reason,
                                         "created": now()})

    def _resolve_ref(self, ref: str | None, title: str | None = None) -> list[str]:
        """Content ids an ingredient can mean: its XMP/C2PA instance id, else a unique file name."""
        if ref:
            ids = [r["content_id"] for r in self._rows("SELECT DISTINCT content_id FROM identifiers WHERE value = ?", [ref])]
            if ids:
                return ids
        name = title or ref
        if not name:
            return []
        like = "%/" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows("SELECT DISTINCT content_id FROM locations WHERE content_id IS NOT NULL AND "
                          "(path = ? OR path LIKE ? ESCAPE '\\')", [name, like])
        return [r["content_id"] for r in rows] if len(rows) == 1 else []

    def parents(self, content_id: str) -> list[dict]:
        out = []
        for e in self._rows("SELECT * FROM edges WHERE child_id = ? ORDER BY id", [content_id]):
            ids = [e["parent_id"]] if e["parent_id"] else self._resolve_ref(e["parent_ref"], e["parent_title"])
            out.append({**e, "parent_ids": ids})
        return out

    def children(self, content_id: str) -> list[dict]:
        direct = self._rows("SELECT * FROM edges WHERE parent_id = ? ORDER BY id", [content_id])
        refs = [r["value"] for r in self._rows("SELECT value FROM identifiers WHERE content_id = ?", [content_id])]
        refs += [os.path.basename(loc.path) for loc in self.locations_of(content_id)]
        by_ref = []
        if refs:
            marks = ",".join("?" * len(refs))
            by_ref = self._rows(f"SELECT * FROM edges WHERE parent_id IS NULL AND (parent_ref IN ({marks}) "
                                f"OR parent_title IN ({marks}))", refs + refs)
        return direct + [e for e in by_ref if content_id in self._resolve_ref(e["parent_ref"], e["parent_title"])]

    def ancestors(self, content_id: str, limit: int = 1000) -> list[tuple[str, dict]]:
        """Every (ancestor content id, edge that led to it), nearest first; cycles are cut."""
        seen, out, todo = {content_id}, [], [content_id]
        while todo and len(out) < limit:
            cid = todo.pop(0)
            for edge in self.parents(cid):
                for pid in edge["parent_ids"]:
                    if pid not in seen:
                        seen.add(pid)
                        out.append((pid, edge))
                        todo.append(pid)
        return out

    # -- approvals ---------------------------------------------------------

    def approve(self, content_id: str, approved_by: str, reason: str, reference: str | None,
                categories: list[str], answers: dict[str, str], path: str | None) -> int:
        with self.transaction():
            approval_id = self._insert("approvals", {
                "content_id": content_id, "approved_by": approved_by, "reason": reason, "reference": reference,
                "categories": json.dumps(categories), "answers": json.dumps(answers), "path": path,
                "created": now()})
            self.event("approved", content_id, path, {"approval": approval_id, "by": approved_by,
                                                      "reference": reference})
            return approval_id

    def revoke(self, approval_id: int, revoked_by: str, reason: str) -> dict:
        with self.transaction():
            rows = self._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])
            if not rows:
                raise LedgerError(f"there is no approval #{approval_id} (see `aiprov approvals`)")
            if rows[0]["revoked_at"]:
                raise LedgerError(f"approval #{approval_id} was already revoked on {rows[0]['revoked_at']}")
            self._update("approvals", approval_id, {"revoked_at": now(), "revoked_by": revoked_by,
                                                      "revoke_reason": reason})
            self.event("approval-revoked", rows[0]["content_id"], rows[0]["path"],
                       {"approval": approval_id, "by": revoked_by, "reason": reason})
            return self._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])[0]

    def approvals_for(self, content_id: str, include_revoked: bool = False) -> list[dict]:
        sql = "SELECT * FROM approvals WHERE content_id = ?" + ("" if include_revoked else " AND revoked_at IS NULL")
        return [_approval(r) for r in self._rows(sql + " ORDER BY id", [content_id])]

    def all_approvals(self, include_revoked: bool = True) -> list[dict]:
        sql = "SELECT * FROM approvals" + ("" if include_revoked else " WHERE revoked_at IS NULL")
        return [_approval(r) for r in self._rows(sql + " ORDER BY id")]

    # -- findings and history ---------------------------------------------

    def record_findings(self, loc: Location, findings: list[Finding]) -> list[Finding]:
        """Make the open findings of a location exactly `findings`; returns the newly raised ones."""
        t = now()
        with self.transaction():
            open_rows = self._rows("SELECT * FROM findings WHERE location_id = ? AND resolved_at IS NULL", [loc.id])
            still, new = set(), []
            for f in findings:
                match = next((r for r in open_rows if r["rule"] == f.rule and r["content_id"] == f.content_id), None)
                if match:
                    still.add(match["id"])
                    self._update("findings", match["id"], {"last_seen": t, "message": f.message,
                                                             "severity": f.severity})
                else:
                    self._insert("findings", {"location_id": loc.id, "content_id": f.content_id, "rule": f.rule,
                                                "severity": f.severity, "message": f.message, "zone": f.zone,
                                                "first_raised": t, "last_seen": t})
                    self.event("flagged", f.content_id, loc.path, {"rule": f.rule, "severity": f.severity})
                    new.append(f)
            for r in open_rows:
                if r["id"] not in still:
                    self._update("findings", r["id"], {"resolved_at": t})
        return new

    def open_findings(self) -> list[dict]:
        return self._rows("SELECT f.*, l.path FROM findings f JOIN locations l ON l.id = f.location_id "
                          "WHERE f.resolved_at IS NULL ORDER BY f.id")

    # -- registrations -------------------------------------------------------

    def register(self, content_id: str, tool: str, tool_version: str | None, prompt: str | None, note: str | None,
                 status: str, composite: bool, path: str | None) -> int:
        with self.transaction():
            reg_id = self._insert("registrations", {
                "content_id": content_id, "tool": tool, "tool_version": tool_version, "prompt": prompt, "note": note,
                "status": status, "composite": int(composite), "path": path, "created": now()})
            self.event("registered", content_id, path, {"tool": tool, "version": tool_version, "status": status})
            return reg_id

    def registrations_for(self, content_id: str) -> list[dict]:
        return self._rows("SELECT * FROM registrations WHERE content_id = ? ORDER BY id", [content_id])

    def ledger_id(self) -> str:
        """A stable id for this ledger, written into tags so a file can say which ledger knows it."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'ledger_id'")
        if rows:
            return rows[0]["value"]
        import uuid

        value = f"urn:uuid:{uuid.uuid4()}"
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_id', ?)", [value])
        return self._rows("SELECT value FROM meta WHERE key = 'ledger_id'")[0]["value"]

    # -- what a sweep has seen (a temporary table: flat memory on huge trees) ---------

    @contextmanager
    def seen_paths(self) -> Iterator["SeenPaths"]:
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS seen (path_raw BLOB PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.seen")
        try:
            yield SeenPaths(self)
        finally:
            self.db.execute("DROP TABLE IF EXISTS temp.seen")

    # -- perceptual prints -----------------------------------------------------

    def put_fingerprint(self, content_id: str, kind: str, blob: bytes, quality: int | None) -> int:
        with self.transaction():
            self.db.conn.execute("INSERT OR REPLACE INTO fingerprints (content_id, kind, blob, quality) "
                                 "VALUES (?, ?, ?, ?)", [content_id, kind, blob, quality])
            return self.db.conn.execute("SELECT id FROM fingerprints WHERE content_id = ? AND kind = ?",
                                        [content_id, kind]).fetchone()[0]

    def has_fingerprint(self, content_id: str) -> bool:
        return bool(self.db.conn.execute("SELECT 1 FROM fingerprints WHERE content_id = ?", [content_id]).fetchone())

    def fingerprints(self, kind: str, ai: bool) -> list[tuple[int, str, bytes]]:
        """(row id, content id, blob) of AI assets' prints (ai=True) or of the others'."""
        verdicts = "('ai', 'ai-composite')"
        op = "IN" if ai else "NOT IN"
        return [(r[0], r[1], bytes(r[2])) for r in self.db.conn.execute(
            f"SELECT f.id, f.content_id, f.blob FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            f"WHERE f.kind = ? AND a.verdict {op} {verdicts} AND length(f.blob) > 0", [kind])]

    def has_source_prints(self, kind: str | None) -> bool:
        """Whether any AI asset has a print of this kind (else finals material need not be printed yet)."""
        return bool(kind) and bool(self.db.conn.execute(
            "SELECT 1 FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            "WHERE f.kind = ? AND a.verdict IN ('ai', 'ai-composite') AND length(f.blob) > 0 LIMIT 1",
            [kind]).fetchone())

    def fingerprint_owner(self, row_id: int) -> str | None:
        row = self.db.conn.execute("SELECT content_id FROM fingerprints WHERE id = ?", [row_id]).fetchone()
        return row[0] if row else None

    # -- the daemon's journal ------------------------------------------------

    def journal_add(self, paths: list[bytes]) -> None:
        if paths:
            t = now()
            with self.transaction():
                self.db.conn.executemany("INSERT OR IGNORE INTO journal (path_raw, added) VALUES (?, ?)",
                                         [(p, t) for p in paths])

    def journal_remove(self, paths: list[bytes]) -> None:
        if paths:
            with self.transaction():
                self.db.conn.executemany("DELETE FROM journal WHERE path_raw = ?", [(p,) for p in paths])

    def journal(self) -> list[bytes]:
        return [bytes(r["path_raw"]) for r in self._rows("SELECT path_raw FROM journal ORDER BY added")]

    def history(self, content_id: str) -> list[dict]:
        return self._rows("SELECT * FROM events WHERE content_id = ? ORDER BY id", [content_id])

    def count(self, table: str) -> int:
        return self.db[table].count

    # -- read-only queries for reports (disclosure) ---------------------------

    def locations_in_zone(self, zone: str, include_gone: bool = True) -> list[Location]:
        """Every location recorded in a zone; gone ones too: where content has been."""
        sql = "SELECT * FROM locations WHERE zone = ?" + ("" if include_gone else " AND gone = 0")
        return [Location.from_row(r) for r in self._rows(sql + " ORDER BY id", [zone])]

    def location_records(self, content_id: str) -> list[dict]:
        """Every path a content has had, with its zone and when it was seen there (first_seen, last_seen, gone_at)."""
        return self._rows("SELECT path, zone, gone, first_seen, last_seen, gone_at FROM locations "
                          "WHERE content_id = ? ORDER BY first_seen, id", [content_id])


class SeenPaths:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def add(self, paths: list[bytes]) -> None:
        self.ledger.db.conn.executemany("INSERT OR IGNORE INTO temp.seen (path_raw) VALUES (?)", [(p,) for p in paths])

    def unseen_under(self, root_raw: bytes) -> list[Location]:
        return list(self.ledger.live_locations_under(root_raw, unseen_only=True).values())


def _approval(row: dict) -> dict:
    return {**row, "categories": json.loads(row["categories"] or "[]"), "answers": json.loads(row["answers"] or "{}")}
