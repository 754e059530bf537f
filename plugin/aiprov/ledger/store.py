"""The provenance ledger: the only code that knows SQL.

A SQLite file for one machine, or a PostgreSQL database shared by a facility's
hosts (backends.py); this class asks the same questions of either. Every write
goes through a transaction (`transaction`, or `batch` for many small ones), and
database errors leave here as LedgerError messages meant for people.

Paths are stored twice: `path_raw` (the exact bytes, the key together with the
host that saw them) and `path` (for display, undecodable bytes as \\xNN), because
post storage holds names from other systems that are not UTF-8. Everything else
asks by name: `history(content_id)`, `approvals_for(content_id)`, `lineage`.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from ..errors import LedgerError, NoLedger
from ..model import AI_VERDICTS, Finding, Inspection
from . import schema
from .backends import Backend, connect, identifier, is_url


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _display(path_raw: bytes) -> str:
    return path_raw.decode("utf-8", "backslashreplace")


IN_CHUNK = 500  # values in one "IN (...)": well under both databases' limits on parameters
AI_VERDICTS_SQL = "(" + ", ".join(f"'{v}'" for v in AI_VERDICTS) + ")"  # the verdicts policy treats as AI


def default_host_id() -> str:
    """Who is writing: AIPROV_HOST_ID, else this machine's name. Paths mean something only on their host."""
    return os.environ.get("AIPROV_HOST_ID") or socket.gethostname() or "localhost"


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
    host: str = ""

    @classmethod
    def from_row(cls, row: dict) -> "Location":
        return cls(row["id"], bytes(row["path_raw"]), row["path"], row["content_id"], row["size"],
                   row["mtime_ns"], row["inode"], row["device"], row["zone"], bool(row["gone"]), row["host"])


class Ledger:
    """The ledger, as seen from one host.

    `target` is a SQLite file's path or a postgresql:// URL. Locations, the journal and
    the sweep are this host's; assets, approvals, lineage and history are everyone's.
    A SQLite ledger is migrated when opened; a shared PostgreSQL one is created when
    empty, but upgrading it waits for `aiprov ledger migrate` (every host must run an
    aiprov that knows the new schema first).
    """

    def __init__(self, target: str | os.PathLike, host: str | None = None, migrate: bool | None = None,
                 check: bool = True, readonly: bool = False, create: bool = True):
        target = target if is_url(target) else os.fspath(target)
        self.host = host or default_host_id()
        self.readonly = readonly
        self.backend: Backend = connect(target, self.host, readonly=readonly, create=create)
        self.kind = self.backend.kind
        self.path = self.backend.label  # where it is, for reports and messages (never a password)
        self._write_depth = 0
        # Rows that nothing reads back before commit (events, evidence, identifiers), written
        # inside a transaction, wait here and go in one statement per kind at commit: on a
        # networked ledger that saves a round trip each, four or five a new file. A query that
        # names such a table sends what waits for it first (all SQL is in this module).
        self._deferred: dict[str, list[list]] = {}
        try:
            if readonly:
                self._check_readable()
            elif check:
                self._migrate(self.kind == "sqlite" if migrate is None else migrate)
        except (LedgerError, NoLedger):
            self.backend.close()
            raise

    # -- plumbing ---------------------------------------------------------

    def close(self) -> None:
        self.backend.close()

    def reconnect(self) -> None:
        """After LedgerUnavailable: a new connection (raises LedgerUnavailable while still away)."""
        self._write_depth = 0
        self._deferred.clear()
        self.backend.reconnect()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.backend.schema_version()

    @property
    def latest_schema(self) -> int:
        return len(schema.MIGRATIONS[self.kind])

    def _check_readable(self) -> None:
        """A command that only reads neither creates nor upgrades: it says what to run instead."""
        try:
            version = self.schema_version
        except self.backend.errors as exc:
            raise self.backend.explain(exc) from exc
        if version == 0:
            raise NoLedger(self.path)
        if version > self.latest_schema:
            raise LedgerError(f"the ledger at {self.path} was written by a newer aiprov "
                              f"(schema {version}, this one knows {self.latest_schema}): upgrade aiprov")
        if version < self.latest_schema:
            raise LedgerError(f"the ledger at {self.path} has schema {version}, older than this aiprov's "
                              f"{self.latest_schema}; a command that only reads does not upgrade it: run "
                              f"`aiprov ledger migrate --ledger {self.path}` (or any scan) first")

    def _migrate(self, upgrade: bool) -> int:
        """Bring the schema up to date; returns how many migrations ran."""
        try:
            version = self.schema_version
        except self.backend.errors as exc:
            raise self.backend.explain(exc) from exc
        if version == self.latest_schema:
            return 0
        if version > self.latest_schema:
            raise LedgerError(f"the ledger at {self.path} was written by a newer aiprov "
                              f"(schema {version}, this one knows {self.latest_schema}): upgrade aiprov")
        if version and not upgrade:
            raise LedgerError(f"the shared ledger at {self.path} has schema {version}; this aiprov needs "
                              f"{self.latest_schema}. Once every host runs this aiprov, run "
                              f"`aiprov ledger migrate --ledger URL` once.")
        return self.migrate()

    def migrate(self) -> int:
        with self.transaction():
            if hasattr(self.backend, "lock_schema"):
                self.backend.lock_schema()
            version = self.schema_version
            ran = 0
            for number, migration in enumerate(schema.MIGRATIONS[self.kind][version:], start=version + 1):
                schema.apply(self.backend, migration, self.host)
                self.backend.set_schema_version(number)
                ran += 1
            return ran

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one)."""
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
        try:
            self.backend.begin()
        except self.backend.errors as exc:
            raise self.backend.explain(exc) from exc
        self._write_depth = 1

    def _end(self, exc: BaseException | None) -> None:
        """Commit, or roll back after `exc`; a database error becomes a LedgerError for people."""
        self._write_depth = 0
        if exc is None:
            try:
                self._send_deferred()
                self.backend.commit()
                return
            except self.backend.errors as commit_exc:
                exc = commit_exc
        self._deferred.clear()
        self.backend.rollback()
        if isinstance(exc, self.backend.errors):
            raise self.backend.explain(exc) from exc

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

    def _db(self, method: str, *args: Any) -> Any:
        """Call the backend; a database error leaves here as a LedgerError meant for people."""
        try:
            return getattr(self.backend, method)(*args)
        except self.backend.errors as exc:
            raise self.backend.explain(exc) from exc

    def _q(self, sql: str, params: Any = ()) -> Any:
        self._send_deferred(sql)
        return self._db("execute", sql, params)

    def _insert(self, table: str, row: dict) -> int:
        return self._db("insert", table, row)

    def _update(self, table: str, row_id: int, row: dict) -> None:
        sets = ", ".join(f"{c} = ?" for c in row)
        self._q(f"UPDATE {table} SET {sets} WHERE id = ?", [*row.values(), row_id])

    def _rows(self, sql: str, params: Any = ()) -> list[dict]:
        self._send_deferred(sql)
        return self._db("rows", sql, params)

    def _many(self, sql: str, rows: list) -> None:
        self._send_deferred(sql)
        self._db("executemany", sql, rows)

    def _later(self, table: str, sql: str, rows: list) -> None:
        """Write rows of `table` at commit (at once outside a transaction); order within the table is kept."""
        if not rows:
            return
        if not self._write_depth:
            self._db("executemany", sql, rows)
            return
        queue = self._deferred.setdefault(table, [])
        if queue and queue[-1][0] == sql:
            queue[-1][1].extend(rows)
        else:
            queue.append([sql, list(rows)])

    def _send_deferred(self, before: str | None = None) -> None:
        """Write what waits: all of it, or (before a query) what waits for the tables it names."""
        if not self._deferred:
            return
        for table in [t for t in self._deferred if before is None or t in before]:
            for sql, rows in self._deferred.pop(table):
                self._db("executemany", sql, rows)

    def event(self, kind: str, content_id: str | None, path: str | None, detail: dict | str | None = None) -> None:
        if isinstance(detail, dict):
            detail = json.dumps(detail, ensure_ascii=False)
        self._later("events", "INSERT INTO events (at, kind, content_id, path, detail, host) VALUES (?, ?, ?, ?, ?, ?)",
                    [(now(), kind, content_id, path, detail, self.host)])

    # -- locations and assets ---------------------------------------------

    def location(self, path_raw: bytes) -> Location | None:
        rows = self._rows("SELECT * FROM locations WHERE host = ? AND path_raw = ?", [self.host, path_raw])
        return Location.from_row(rows[0]) if rows else None

    def live_locations_under(self, root_raw: bytes, unseen_only: bool = False) -> dict[bytes, Location]:
        """This host's recorded, not-gone locations below a folder (unseen_only: not in the sweep's seen table)."""
        prefix = root_raw.rstrip(b"/") + b"/"
        upper = prefix[:-1] + b"0"  # "/" + 1: every name starting with the prefix sorts in between
        unseen = " AND path_raw NOT IN (SELECT path_raw FROM seen)" if unseen_only else ""
        rows = self._rows("SELECT * FROM locations WHERE host = ? AND gone = 0 AND path_raw >= ? AND path_raw < ?"
                          + unseen, [self.host, prefix, upper])
        return {bytes(r["path_raw"]): Location.from_row(r) for r in rows}

    def place(self, path_raw: bytes, content_id: str | None) -> tuple[Location | None, list[Location]]:
        """This host's record of a path, and the live locations of a content elsewhere, in one question:
        what recording a freshly read file needs to tell a new file from a copy, a move or a change."""
        rows = self._rows("SELECT * FROM locations WHERE (host = ? AND path_raw = ?) OR (content_id = ? AND gone = 0) "
                          "ORDER BY first_seen, id", [self.host, path_raw, content_id])
        here, others = None, []
        for loc in map(Location.from_row, rows):
            if loc.host == self.host and loc.path_raw == path_raw:
                here = loc
            elif loc.content_id == content_id and not loc.gone:
                others.append(loc)
        return here, others

    def locations_of(self, content_id: str, include_gone: bool = True) -> list[Location]:
        """Every place this content has been, on any host."""
        sql = "SELECT * FROM locations WHERE content_id = ?" + ("" if include_gone else " AND gone = 0")
        return [Location.from_row(r) for r in self._rows(sql + " ORDER BY first_seen, id", [content_id])]

    def where(self, loc: Location) -> str:
        """A location as people read it: the path, prefixed with its host when that is not this one."""
        return loc.path if loc.host == self.host else f"{loc.host}:{loc.path}"

    def asset(self, content_id: str) -> dict | None:
        rows = self._rows("SELECT * FROM assets WHERE content_id = ?", [content_id])
        return rows[0] if rows else None

    def inspection(self, content_id: str, path: str) -> Inspection | None:
        """The recorded verdict of an asset, as an Inspection (used when a file is unchanged)."""
        a = self.asset(content_id)
        if a is None:
            return None
        return _inspection(a, self._rows("SELECT * FROM evidence WHERE content_id = ? ORDER BY id", [content_id]), path)

    # -- a batch's questions, asked once for the batch ------------------------------
    # A scan asks the same few things of every file; on a PostgreSQL server across the network
    # each question is a round trip, so a batch asks each of them once, for all its files.

    def _in(self, sql: str, values: list, before: list | None = None) -> list[dict]:
        """Rows for `sql` whose "IN ({})" is filled with `values`, asked in chunks."""
        out: list[dict] = []
        values = list(dict.fromkeys(values))
        for i in range(0, len(values), IN_CHUNK):
            fragment, params = self.backend.in_list(values[i:i + IN_CHUNK])
            out += self._rows(sql.replace("IN ({})", fragment), [*(before or []), *params])
        return out

    def locations_at(self, paths: list[bytes]) -> dict[bytes, Location]:
        """This host's records of these paths."""
        rows = self._in("SELECT * FROM locations WHERE host = ? AND path_raw IN ({})", paths, [self.host])
        return {bytes(r["path_raw"]): Location.from_row(r) for r in rows}

    def inspections(self, content_ids: list[str]) -> dict[str, Inspection]:
        """Recorded verdicts of many assets (paths left empty: the caller knows them)."""
        assets = {r["content_id"]: r for r in self._in("SELECT * FROM assets WHERE content_id IN ({})", content_ids)}
        evidence: dict[str, list[dict]] = {}
        for r in self._in("SELECT * FROM evidence WHERE content_id IN ({}) ORDER BY id", list(assets)):
            evidence.setdefault(r["content_id"], []).append(r)
        return {cid: _inspection(a, evidence.get(cid, []), "") for cid, a in assets.items()}

    def touch_locations(self, ids: list[int]) -> None:
        for i in range(0, len(ids), IN_CHUNK):
            fragment, params = self.backend.in_list(ids[i:i + IN_CHUNK])
            self._q(f"UPDATE locations SET last_seen = ? WHERE id {fragment}", [now(), *params])

    def fingerprinted(self, content_ids: list[str]) -> set[str]:
        return {r["content_id"] for r in self._in("SELECT DISTINCT content_id FROM fingerprints "
                                                  "WHERE content_id IN ({})", content_ids)}

    def approved_among(self, content_ids: list[str]) -> set[str]:
        """Which of these contents have an active approval for final use."""
        return {r["content_id"] for r in self._in("SELECT DISTINCT content_id FROM approvals "
                                                  "WHERE revoked_at IS NULL AND content_id IN ({})", content_ids)}

    def with_parents(self, content_ids: list[str]) -> set[str]:
        """Which of these contents have any lineage edge to a parent (only those need their ancestors walked)."""
        return {r["child_id"] for r in self._in("SELECT DISTINCT child_id FROM edges WHERE child_id IN ({})",
                                                content_ids)}

    def open_findings_at(self, location_ids: list[int]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for r in self._in("SELECT * FROM findings WHERE resolved_at IS NULL AND location_id IN ({})", location_ids):
            out.setdefault(r["location_id"], []).append(r)
        return out

    def record_asset(self, insp: Inspection) -> bool:
        """Store an asset's verdict and evidence; a new asset gets its "recorded" event. True if new."""
        cid = insp.content_id
        t = now()
        row = {"content_id": cid, "size": insp.size, "media_type": insp.media_type, "verdict": insp.verdict,
               "generator": insp.generator, "digital_source_type": insp.digital_source_type,
               "reason": insp.reason, "error": insp.error, "c2pa": json.dumps(insp.c2pa.to_dict()),
               "warnings": json.dumps(insp.warnings), "last_seen": t, "first_seen": t}
        with self.transaction():
            # The upsert comes first: on a shared ledger its row lock makes a second host that read
            # the same content wait here, then replace the evidence after the first one's.
            new = self._db("upsert", "assets", row, "content_id", ("first_seen",))
            if not new:
                self._later("evidence", "DELETE FROM evidence WHERE content_id = ?", [(cid,)])
            self._later("evidence", "INSERT INTO evidence (content_id, source, field, value, weight, implies, "
                        "generator) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(cid, e.source, e.field, e.value, e.weight, e.implies, e.generator) for e in insp.evidence])
            ids = {(cid, e.field, e.value) for e in insp.evidence if e.field.endswith(("InstanceID", "DocumentID"))}
            self._later("identifiers", "INSERT INTO identifiers (content_id, kind, value) VALUES (?, ?, ?) "
                        "ON CONFLICT DO NOTHING", sorted(ids))
            for ingr in insp.c2pa.ingredients:
                ref = ingr.instance_id or ingr.document_id or ingr.title
                if ref:
                    self.add_edge(cid, None, "c2pa-ingredient", f"C2PA ingredient {ingr.title!r} "
                                  f"({ingr.relationship or 'ingredient'})", parent_ref=ref, parent_title=ingr.title)
            if new:
                self.event("recorded", cid, insp.path, {"verdict": insp.verdict, "generator": insp.generator})
        return new

    def upsert_location(self, path_raw: bytes, content_id: str | None, st: os.stat_result | None,
                        zone: str | None) -> Location:
        t = now()
        path = _display(path_raw)
        row = {"host": self.host, "path_raw": path_raw, "path": path, "name": path.rsplit("/", 1)[-1],
               "content_id": content_id,
               "size": st.st_size if st else None, "mtime_ns": st.st_mtime_ns if st else None,
               "inode": st.st_ino if st else None, "device": st.st_dev if st else None, "zone": zone,
               "first_seen": t, "last_seen": t, "gone": 0, "gone_at": None}
        with self.transaction():
            return Location.from_row(self._db("upsert_returning", "locations", row, ("host", "path_raw"),
                                              ("first_seen",)))

    def move_location(self, old: Location, new_raw: bytes, st: os.stat_result, zone: str | None) -> Location:
        with self.transaction():
            self.mark_gone(old, moved=True)
            loc = self.upsert_location(new_raw, old.content_id, st, zone)
            self.event("moved", old.content_id, loc.path, {"from": old.path, "to": loc.path})
            return loc

    def mark_gone(self, loc: Location, moved: bool = False) -> None:
        with self.transaction():
            self._q("UPDATE locations SET gone = 1, gone_at = ? WHERE id = ?", [now(), loc.id])
            self._q("UPDATE findings SET resolved_at = ? WHERE location_id = ? AND resolved_at IS NULL",
                            [now(), loc.id])
            if not moved:
                self.event("gone", loc.content_id, loc.path)

    # -- lineage -----------------------------------------------------------

    def add_edge(self, child_id: str, parent_id: str | None, kind: str, reason: str,
                 parent_ref: str | None = None, parent_title: str | None = None) -> None:
        self._q("INSERT INTO edges (child_id, parent_id, parent_ref, parent_title, kind, reason, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [child_id, parent_id, parent_ref, parent_title, kind, reason, now()])

    def _resolve_refs(self, edges: list[dict]) -> list[list[str]]:
        """The content ids each edge known only by reference can mean: its XMP/C2PA instance id,
        else a file name that one content alone has. Asked for all the edges at once."""
        by_value: dict[str, set[str]] = {}
        for r in self._in("SELECT DISTINCT value, content_id FROM identifiers WHERE value IN ({})",
                          [e["parent_ref"] for e in edges if e["parent_ref"]]):
            by_value.setdefault(r["value"], set()).add(r["content_id"])
        by_name: dict[str, list[str]] = {}
        out = []
        for e in edges:
            ids = sorted(by_value.get(e["parent_ref"] or "", ()))
            name = e["parent_title"] or e["parent_ref"]
            if not ids and name:
                if name not in by_name:
                    by_name[name] = self._unique_name(name)
                ids = by_name[name]
            out.append(ids)
        return out

    def _unique_name(self, name: str) -> list[str]:
        """The one content found under this file name (or path ending), or none when several are."""
        like = "%/" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # The indexed file name finds the candidates (a suffix LIKE alone reads every location:
        # 0.15 s at 1M); the path test keeps a title with folders in it ("plates/sky.exr") exact.
        # Two distinct contents are enough to know the name is not unique (frame.1001.exr is in every shot).
        rows = self._rows("SELECT DISTINCT content_id FROM locations WHERE name = ? AND (path = ? OR path LIKE ? "
                          "ESCAPE '\\') AND content_id IS NOT NULL LIMIT 2", [name.rsplit("/", 1)[-1], name, like])
        return [rows[0]["content_id"]] if len(rows) == 1 else []

    def parents(self, content_id: str) -> list[dict]:
        edges = self._rows("SELECT * FROM edges WHERE child_id = ? ORDER BY id", [content_id])
        unresolved = [e for e in edges if not e["parent_id"]]
        resolved = dict(zip((e["id"] for e in unresolved), self._resolve_refs(unresolved)))
        return [{**e, "parent_ids": [e["parent_id"]] if e["parent_id"] else resolved[e["id"]]} for e in edges]

    def children(self, content_id: str) -> list[dict]:
        direct = self._rows("SELECT * FROM edges WHERE parent_id = ? ORDER BY id", [content_id])
        refs = [r["value"] for r in self._rows("SELECT value FROM identifiers WHERE content_id = ?", [content_id])]
        refs += [os.path.basename(loc.path) for loc in self.locations_of(content_id)]
        by_ref = []
        if refs:
            fragment, params = self.backend.in_list(list(dict.fromkeys(refs)))
            by_ref = self._rows(f"SELECT * FROM edges WHERE parent_id IS NULL AND (parent_ref {fragment} "
                                f"OR parent_title {fragment}) ORDER BY id", params + params)
        return direct + [e for e, ids in zip(by_ref, self._resolve_refs(by_ref)) if content_id in ids]

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

    def record_findings(self, loc: Location, findings: list[Finding],
                        open_rows: list[dict] | None = None) -> list[Finding]:
        """Make the open findings of a location exactly `findings`; returns the newly raised ones.

        `open_rows`: the location's open findings when the caller asked for a whole batch at once.
        """
        t = now()
        if open_rows is None:
            open_rows = self._rows("SELECT * FROM findings WHERE location_id = ? AND resolved_at IS NULL", [loc.id])
        if not findings and not open_rows:
            return []
        with self.transaction():
            still, new = set(), []
            for f in findings:
                match = next((r for r in open_rows if r["rule"] == f.rule and r["content_id"] == f.content_id), None)
                if match:
                    still.add(match["id"])
                    if (match["message"], match["severity"]) == (f.message, f.severity):
                        # Still open and unchanged: the most common case on a rescan, one statement a batch.
                        self._later("findings", "UPDATE findings SET last_seen = ? WHERE id = ?", [(t, match["id"])])
                    else:
                        self._update("findings", match["id"], {"last_seen": t, "message": f.message,
                                                                 "severity": f.severity})
                else:
                    # At most one open finding per (location, rule, content): if another process
                    # raised it a moment ago, this one is not raised (nor its hooks run) again.
                    raised = self._q("INSERT INTO findings (location_id, content_id, rule, severity, message, zone, "
                                     "first_raised, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                     [loc.id, f.content_id, f.rule, f.severity, f.message, f.zone, t, t]).rowcount
                    if raised:
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

    def ledger_id(self) -> str | None:
        """A stable id for this ledger, written into tags so a file can say which ledger knows it."""
        rows = self._rows("SELECT value FROM meta WHERE key = 'ledger_id'")
        if rows:
            return rows[0]["value"]
        if self.readonly:
            return None  # given on the first write that needs it
        import uuid

        value = f"urn:uuid:{uuid.uuid4()}"
        with self.transaction():
            self._q("INSERT INTO meta (key, value) VALUES ('ledger_id', ?) ON CONFLICT DO NOTHING", [value])
        return self._rows("SELECT value FROM meta WHERE key = 'ledger_id'")[0]["value"]

    # -- what a sweep has seen (a temporary table: flat memory on huge trees) ---------

    @contextmanager
    def seen_paths(self) -> Iterator["SeenPaths"]:
        self.backend.create_seen()
        try:
            yield SeenPaths(self)
        finally:
            self._q("DROP TABLE IF EXISTS seen")

    # -- perceptual prints -----------------------------------------------------

    def put_fingerprint(self, content_id: str, kind: str, blob: bytes, quality: int | None) -> int:
        with self.transaction():
            self._q("INSERT INTO fingerprints (content_id, kind, blob, quality) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (content_id, kind) DO UPDATE SET blob = excluded.blob, quality = excluded.quality",
                    [content_id, kind, blob, quality])
            return self._q("SELECT id FROM fingerprints WHERE content_id = ? AND kind = ?",
                           [content_id, kind]).fetchone()[0]

    def has_fingerprint(self, content_id: str) -> bool:
        return bool(self._q("SELECT 1 FROM fingerprints WHERE content_id = ?", [content_id]).fetchone())

    def fingerprints(self, kind: str, ai: bool) -> list[tuple[int, str, bytes]]:
        """(row id, content id, blob) of AI assets' prints (ai=True) or of the others'."""
        op = "IN" if ai else "NOT IN"
        return [(r[0], r[1], bytes(r[2])) for r in self._q(
            f"SELECT f.id, f.content_id, f.blob FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            f"WHERE f.kind = ? AND a.verdict {op} {AI_VERDICTS_SQL} AND length(f.blob) > 0", [kind])]

    def has_source_prints(self, kind: str | None) -> bool:
        """Whether any AI asset has a print of this kind (else finals material need not be printed yet)."""
        return bool(kind) and bool(self._q(
            "SELECT 1 FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            f"WHERE f.kind = ? AND a.verdict IN {AI_VERDICTS_SQL} AND length(f.blob) > 0 LIMIT 1",
            [kind]).fetchone())

    def fingerprint_owner(self, row_id: int) -> str | None:
        row = self._q("SELECT content_id FROM fingerprints WHERE id = ?", [row_id]).fetchone()
        return row[0] if row else None

    # -- the daemon's journal ------------------------------------------------

    def journal_add(self, paths: list[bytes]) -> None:
        if paths:
            t = now()
            with self.transaction():
                self._many("INSERT INTO journal (host, path_raw, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           [(self.host, p, t) for p in paths])

    def journal_remove(self, paths: list[bytes]) -> None:
        if paths:
            with self.transaction():
                self._many("DELETE FROM journal WHERE host = ? AND path_raw = ?", [(self.host, p) for p in paths])

    def journal(self) -> list[bytes]:
        return [bytes(r["path_raw"]) for r in self._rows("SELECT path_raw FROM journal WHERE host = ? ORDER BY added",
                                                          [self.host])]

    def history(self, content_id: str) -> list[dict]:
        return self._rows("SELECT * FROM events WHERE content_id = ? ORDER BY id", [content_id])

    def count(self, table: str) -> int:
        return self._q(f"SELECT count(*) FROM {identifier(table)}").fetchone()[0]

    # -- the hosts that share this ledger ------------------------------------------

    def report_daemon(self, pid: int, started: str, status: dict) -> None:
        """A daemon's heartbeat, so `aiprov ledger info` on any host shows every host's daemon."""
        row = {"host": self.host, "pid": pid, "started": started, "heartbeat": now(),
               "status": json.dumps(status, ensure_ascii=False)}
        with self.transaction():
            self._db("upsert", "daemons", row, "host")

    def describe(self) -> dict:
        from .schema import TABLES

        hosts = self._rows("SELECT host, sum(CASE WHEN gone = 0 THEN 1 ELSE 0 END) AS live, max(last_seen) AS "
                           "last_seen FROM locations GROUP BY host ORDER BY host")
        return {"backend": self.kind, "ledger": self.path, "ledger_id": self.ledger_id(),
                "schema": self.schema_version, "this_host": self.host,
                "rows": {t: self.count(t) for t in TABLES},
                "hosts": [{**h, "live": int(h["live"] or 0)} for h in hosts],
                "daemons": self._rows("SELECT host, pid, started, heartbeat FROM daemons ORDER BY host")}

    # -- read-only queries for reports (disclosure) ---------------------------

    def ai_assets_ever_in(self, zone: str) -> list[dict]:
        """The AI assets that have had a location in this zone, gone ones too (where content has been).

        One question for the whole ledger: a finals zone can hold a million frames, of which
        the AI ones are few, and asking per frame is a round trip each on a shared ledger.
        """
        return self._rows(f"SELECT * FROM assets WHERE verdict IN {AI_VERDICTS_SQL} AND content_id IN "
                          "(SELECT content_id FROM locations WHERE zone = ?) ORDER BY first_seen, content_id", [zone])

    def location_records(self, content_id: str) -> list[dict]:
        """Every path a content has had, with its zone and when it was seen there (first_seen, last_seen, gone_at)."""
        return self._rows("SELECT host, path, zone, gone, first_seen, last_seen, gone_at FROM locations "
                          "WHERE content_id = ? ORDER BY first_seen, id", [content_id])


class SeenPaths:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def add(self, paths: list[bytes]) -> None:
        self.ledger._many("INSERT INTO seen (path_raw) VALUES (?) ON CONFLICT DO NOTHING", [(p,) for p in paths])

    def unseen_under(self, root_raw: bytes) -> list[Location]:
        return list(self.ledger.live_locations_under(root_raw, unseen_only=True).values())


def _inspection(a: dict, evidence: list[dict], path: str) -> Inspection:
    from ..model import C2paReport, Evidence, Ingredient

    c2pa = json.loads(a["c2pa"]) if a["c2pa"] else {}
    report = C2paReport(**{k: v for k, v in c2pa.items() if k != "ingredients"})
    report.ingredients = [Ingredient(**i) for i in c2pa.get("ingredients", [])]
    return Inspection(path=path, verdict=a["verdict"], generator=a["generator"],
                      digital_source_type=a["digital_source_type"], c2pa=report,
                      evidence=[Evidence(r["source"], r["field"], r["value"], r["weight"], r["implies"], r["generator"])
                                for r in evidence],
                      error=a["error"], media_type=a["media_type"], size=a["size"], content_id=a["content_id"],
                      warnings=json.loads(a["warnings"] or "[]"), reason=a["reason"])


def _approval(row: dict) -> dict:
    return {**row, "categories": json.loads(row["categories"] or "[]"), "answers": json.loads(row["answers"] or "{}")}
