"""The provenance ledger: the only code that knows SQL.

A SQLite file for one machine, or a PostgreSQL database shared by a facility's
hosts (backends.py). `Ledger` holds the connection and the transactions (and
the writes deferred to commit); the questions live in one module per topic,
reached as attributes: `ledger.assets`, `ledger.locations`, `ledger.lineage`,
`ledger.approvals`, `ledger.registrations`, `ledger.findings`, `ledger.prints`,
`ledger.journal`, `ledger.hosts`, `ledger.scripts`, `ledger.folders`, `ledger.users` and `ledger.desk` (the
review desk's people and questions). A new question goes into its topic's module;
a new topic is a module and one line in `Ledger.__init__`.

Every write goes through a transaction (`transaction`, or `batch` for many
small ones), and database errors leave here as LedgerError messages meant
for people.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..errors import LedgerError, NoLedger
from . import schema
from .approvals import Approvals
from .assets import Assets
from .desk import Desk
from .backends import Backend, connect, identifier, is_url
from .findings import Findings
from .folders import Folders
from .hosts import Hosts
from .journal import Journal
from .lineage import Lineage
from .locations import Locations
from .prints import Prints
from .registrations import Registrations
from .scripts import Scripts
from .users import Users
from .sql import IN_CHUNK, now


def default_host_id() -> str:
    """Who is writing: AIPROV_HOST_ID, else this machine's name. Paths mean something only on their host."""
    return os.environ.get("AIPROV_HOST_ID") or socket.gethostname() or "localhost"


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
        self.target = target  # what `sibling` opens again (self.path is redacted for messages)
        self.backend: Backend = connect(target, self.host, readonly=readonly, create=create)
        self.kind = self.backend.kind
        self.path = self.backend.label  # where it is, for reports and messages (never a password)
        self._write_depth = 0
        self._grown = 0  # new files recorded in the open transaction (see grew)
        # Rows that nothing reads back before commit (events, evidence, identifiers), written
        # inside a transaction, wait here and go in one statement per kind at commit: on a
        # networked ledger that saves a round trip each, four or five a new file. A query that
        # names such a table sends what waits for it first (all SQL is in this module).
        self._deferred: dict[str, list[list]] = {}
        self.assets = Assets(self)
        self.locations = Locations(self)
        self.folders = Folders(self)
        self.lineage = Lineage(self)
        self.approvals = Approvals(self)
        self.registrations = Registrations(self)
        self.findings = Findings(self)
        self.prints = Prints(self)
        self.journal = Journal(self)
        self.hosts = Hosts(self)
        self.scripts = Scripts(self)
        self.users = Users(self)
        self.desk = Desk(self)
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

    def grew(self, files: int) -> None:
        """`files` new files were recorded: once they are committed, a PostgreSQL ledger may refresh
        the statistics of the tables a first scan is filling (PostgresBackend.grew)."""
        self._grown += files
        if self._write_depth == 0:
            self._committed_growth()

    def _committed_growth(self) -> None:
        if self._grown:
            files, self._grown = self._grown, 0
            try:
                self.backend.grew(files)
            except self.backend.errors:  # statistics are a help, never a reason to fail a scan
                pass

    def sibling(self) -> "Ledger":
        """A second, read-only connection to the same ledger, for a question asked on another thread
        while this one walks or writes (a connection is used by one thread at a time)."""
        return Ledger(self.target, host=self.host, readonly=True)

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
                with self.backend.together():  # on PostgreSQL the waiting rows and the COMMIT go in one round trip
                    self._send_deferred()
                    self.backend.commit()
            except BaseException as commit_exc:  # a waiting row refused (already a LedgerError), the commit, ^C
                exc = commit_exc
                if not isinstance(exc, self.backend.errors):
                    self._abandon()
                    raise
            else:
                self._committed_growth()
                return
        self._abandon()
        if isinstance(exc, self.backend.errors):
            raise self.backend.explain(exc) from exc

    def _abandon(self) -> None:
        """Roll back, forgetting what waited to be written with the transaction."""
        self._grown = 0
        self._deferred.clear()
        self.backend.rollback()

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
        return self._explained(getattr(self.backend, method), *args)

    def _explained(self, call: Callable, *args: Any) -> Any:
        try:
            return call(*args)
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

    def _rows_soon(self, sql: str, params: Any = ()) -> Callable[[], list[dict]]:
        """`_rows`, answered when the result is called: questions asked inside `together()` share one
        round trip to a shared ledger."""
        self._send_deferred(sql)
        answer = self._db("rows_soon", sql, params)
        return lambda: self._explained(answer)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Questions asked inside (the `*_soon` methods) go to the ledger together: one round trip on
        PostgreSQL, where each of a first scan's groups asked four apart. Answers are read after the block."""
        try:
            with self.backend.together():
                yield
        except self.backend.errors as exc:
            raise self.backend.explain(exc) from exc

    def _many(self, sql: str, rows: list) -> None:
        self._send_deferred(sql)
        self._db("executemany", sql, rows)

    def _later(self, table: str, sql: str, rows: list, once: bool = False) -> None:
        """Write rows of `table` at commit (at once outside a transaction); order within the table is kept.

        once: the statement does the same whether a row is written once or twice in a row (a
        folder's digest cleared), so a row already waiting right before is not sent again.
        """
        if not rows:
            return
        if not self._write_depth:
            self._db("executemany", sql, rows)
            return
        queue = self._deferred.setdefault(table, [])
        if not (queue and queue[-1][0] == sql):
            queue.append([sql, [], set() if once else None])
        waiting, seen = queue[-1][1], queue[-1][2]
        if seen is None:
            waiting.extend(rows)
            return
        for row in rows:
            if row not in seen:
                seen.add(row)
                waiting.append(row)

    def _send_deferred(self, before: str | None = None) -> None:
        """Write what waits: all of it, or (before a query) what waits for the tables it names."""
        if not self._deferred:
            return
        for table in [t for t in self._deferred if before is None or t in before]:
            for sql, rows, _ in self._deferred.pop(table):
                self._db("executemany", sql, rows)

    def event(self, kind: str, content_id: str | None, path: str | None, detail: dict | str | None = None) -> None:
        if isinstance(detail, dict):
            detail = json.dumps(detail, ensure_ascii=False)
        self._later("events", "INSERT INTO events (at, kind, content_id, path, detail, host) VALUES (?, ?, ?, ?, ?, ?)",
                    [(now(), kind, content_id, path, detail, self.host)])

    # -- locations and assets ---------------------------------------------

    def _in(self, sql: str, values: list, before: list | None = None) -> list[dict]:
        """Rows for `sql` whose "IN ({})" is filled with `values`, asked in chunks."""
        return self._in_soon(sql, values, before)()

    def _in_soon(self, sql: str, values: list, before: list | None = None) -> Callable[[], list[dict]]:
        """`_in`, answered when the result is called (see `together`)."""
        parts = []
        values = list(dict.fromkeys(values))
        for i in range(0, len(values), IN_CHUNK):
            fragment, params = self.backend.in_list(values[i:i + IN_CHUNK])
            parts.append(self._rows_soon(sql.replace("IN ({})", fragment), [*(before or []), *params]))
        return lambda: [row for part in parts for row in part()]

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

    def count(self, table: str) -> int:
        return self._q(f"SELECT count(*) FROM {identifier(table)}").fetchone()[0]

    # -- the hosts that share this ledger ------------------------------------------


@contextmanager
def read_only_or_empty(target: str | os.PathLike, host: str | None = None) -> Iterator[tuple["Ledger", bool]]:
    """The ledger opened read-only, or, where there is none, an empty one made aside and thrown away
    after: for checks that still say something from the files alone (an edit, a publish), where a
    missing ledger only means no approval or lineage is known. Yields (ledger, whether it was there)."""
    import tempfile

    try:
        ledger = Ledger(target, host=host, readonly=True)
    except NoLedger:
        with tempfile.TemporaryDirectory(prefix="aiprov-no-ledger-") as aside:
            with Ledger(os.path.join(aside, "empty.db"), host=host) as empty:
                empty.path = f"none (no ledger at {target})"  # what reports say they were checked against
                yield empty, False
        return
    with ledger:
        yield ledger, True
