"""The two databases a ledger can live in, behind one small surface.

SQLite is the embedded default for one machine; PostgreSQL is the facility's
shared ledger, where several hosts' daemons and scans write at once. The
queries in store.py are written once, in the SQL both speak (`?` marks,
ON CONFLICT upserts); a backend owns what differs: connecting, transactions,
how locks and conflicts look, the schema version and the column types.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import time
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from ..errors import LedgerConflict, LedgerError, LedgerLocked, LedgerUnavailable, NoLedger

BUSY_TIMEOUT_MS = 5000
# Rows asked about in one statement: well under SQLite's limit on parameters (32,766).
ROWS_PER_STATEMENT = 500
# An INSERT of one row of marks that PostgreSQL may take for many rows in one statement (nothing
# returned, no update on conflict: the same row twice in one statement would be an error there).
_PLAIN_INSERT = re.compile(r"^INSERT INTO ([a-z_]+) \(([a-z_, ]+)\) VALUES \(\?(?:, \?)*\)( ON CONFLICT DO NOTHING)?$")
LOCK_RETRIES = 12
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | bytes | object) -> bool:
    """A PostgreSQL URL selects the shared ledger; anything else is a SQLite file's path."""
    return isinstance(target, str) and target.lower().startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL for messages and reports: never the password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


class Backend:
    kind: str
    label: str  # where the ledger is, for messages (no password)

    def execute(self, sql: str, params: Any = ()) -> Any: ...
    def executemany(self, sql: str, rows: list) -> None: ...
    def insert(self, table: str, row: dict) -> int: ...
    def upsert(self, table: str, row: dict, key: str | tuple[str, ...], keep: tuple[str, ...] = ()) -> bool:
        """Insert or update the row with this key, leaving `keep` columns of an existing row; True if new."""
    def upsert_returning(self, table: str, row: dict, key: tuple[str, ...], keep: tuple[str, ...] = ()) -> dict:
        """The same upsert, returning the row as stored (one statement where the database allows it)."""
    def upsert_many(self, table: str, rows: list[dict], key: tuple[str, ...], keep: tuple[str, ...] = ()) -> list[bool]:
        """`upsert` for many rows with distinct keys, in as few round trips as the database allows;
        whether each row (in the order given) was new."""
    def upsert_many_returning(self, table: str, rows: list[dict], key: tuple[str, ...],
                              keep: tuple[str, ...] = ()) -> list[dict]:
        """`upsert_returning` for many rows with distinct keys: each row as stored, in the order given."""
    def insert_new(self, table: str, cols: tuple[str, ...], rows: list[tuple], report: tuple[str, ...]) -> set[tuple]:
        """Insert rows, skipping any a unique index already holds; the `report` columns of those
        inserted (a row twice among them is inserted once)."""
    def stream(self, sql: str, params: Any = ()) -> Iterator[dict]: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...

    def together(self) -> contextlib.AbstractContextManager:
        """Statements sent inside go to the database in one round trip where it allows (their
        errors may then surface at the end of the block)."""
        return contextlib.nullcontext()

    def schema_version(self) -> int: ...
    def set_schema_version(self, number: int) -> None: ...
    def reconnect(self) -> None:
        """Open a new connection after the old one was lost (a no-op for a local file)."""
    def explain(self, exc: BaseException) -> LedgerError: ...
    def close(self) -> None: ...

    errors: tuple[type[BaseException], ...] = ()

    def grew(self, rows: int) -> None:
        """`rows` new files were recorded by this connection (see PostgresBackend.grew)."""

    def in_list(self, values: list) -> tuple[str, list]:
        """SQL and parameters for "column IN (values)": a mark per value."""
        return f"IN ({', '.join('?' * len(values))})", list(values)

    def rows(self, sql: str, params: Any = ()) -> list[dict]:
        return _dicts(self.execute(sql, params))

    def rows_soon(self, sql: str, params: Any = ()) -> Callable[[], list[dict]]:
        """`rows`, asked now and answered when called: inside `together()` several questions then
        share one round trip."""
        rows = self.rows(sql, params)
        return lambda: rows

    def _upsert_sql(self, table: str, row: dict, key: tuple[str, ...], keep: tuple[str, ...]) -> str:
        return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})" + _on_conflict(row, key, keep)

    def _stored(self, table: str, rows: list[dict], key: tuple[str, ...], cols: str = "t.*") -> list[dict]:
        """The stored rows with these rows' keys (`cols` of each), asked in chunks. A join from the keys, not
        "(a, b) IN (VALUES ...)", which SQLite answers by reading the whole table."""
        one = f"({', '.join('?' * len(key))})"
        on = " AND ".join(f"t.{k} = v.column{i + 1}" for i, k in enumerate(key))
        out: list[dict] = []
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[i:i + ROWS_PER_STATEMENT]
            out += self.rows(f"SELECT {cols} FROM (VALUES {', '.join([one] * len(part))}) v JOIN {table} t ON {on}",
                             [r[k] for r in part for k in key])
        return out


# -- SQLite ------------------------------------------------------------------------


class SqliteBackend(Backend):
    """One file in WAL mode, so `lookup` and reports read while a scan or the daemon writes.

    Writers are serialised by SQLite itself (BEGIN IMMEDIATE); a lock that does not clear
    within our back-off becomes LedgerLocked instead of a traceback.
    """

    kind = "sqlite"
    errors = (sqlite3.Error,)

    def __init__(self, path: str, readonly: bool = False, create: bool = True):
        import os
        from urllib.parse import quote

        self.label = path
        if (readonly or not create) and not os.path.isfile(path):
            raise NoLedger(path)
        try:
            if readonly:
                # mode=ro: a command that only reads can never create or change a ledger.
                self.conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                                            timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                            check_same_thread=False)
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                return
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the ledger at {path}: {exc} "
                              "(is it an aiprov ledger? is the disk full?)") from exc

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params)

    def executemany(self, sql, rows):
        self.conn.executemany(sql, rows)

    def insert(self, table, row):
        cols = ", ".join(row)
        return self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})",
                                 list(row.values())).lastrowid

    def upsert(self, table, row, key, keep=()):
        key = (key,) if isinstance(key, str) else key
        # Writers are serialised, so asking first is exact.
        where = " AND ".join(f"{k} = ?" for k in key)
        new = self.conn.execute(f"SELECT 1 FROM {table} WHERE {where}", [row[k] for k in key]).fetchone() is None
        self.conn.execute(self._upsert_sql(table, row, key, keep), list(row.values()))
        return new

    def upsert_returning(self, table, row, key, keep=()):
        sql = self._upsert_sql(table, row, key, keep)
        if sqlite3.sqlite_version_info < (3, 35):  # no RETURNING yet (Debian 11, Ubuntu 20.04)
            self.conn.execute(sql, list(row.values()))
            return self.rows(f"SELECT * FROM {table} WHERE " + " AND ".join(f"{k} = ?" for k in key),
                             [row[k] for k in key])[0]
        return self.rows(sql + " RETURNING *", list(row.values()))[0]

    def upsert_many(self, table, rows, key, keep=()):
        if not rows:
            return []
        # Writers are serialised, so asking first is exact.
        known = {_key_of(r, key) for r in self._stored(table, rows, key, ", ".join(f"t.{k}" for k in key))}
        self.conn.executemany(self._upsert_sql(table, rows[0], key, keep), [list(r.values()) for r in rows])
        return [_key_of(r, key) not in known for r in rows]

    def insert_new(self, table, cols, rows, report):
        # One statement a row: each says whether it inserted; writers are serialised, and a
        # statement here costs no round trip.
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) ON CONFLICT DO NOTHING"
        at = [cols.index(c) for c in report]
        out = set()
        for r in rows:
            if self.conn.execute(sql, r).rowcount:
                out.add(tuple(r[i] for i in at))
        return out

    def upsert_many_returning(self, table, rows, key, keep=()):
        if not rows:
            return []
        self.conn.executemany(self._upsert_sql(table, rows[0], key, keep), [list(r.values()) for r in rows])
        found = {_key_of(r, key): r for r in self._stored(table, rows, key)}
        return [found[_key_of(r, key)] for r in rows]

    def stream(self, sql, params=()):
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        for r in cur:
            yield dict(zip(cols, r))

    def begin(self):
        for attempt in range(LOCK_RETRIES):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self.explain(exc) from exc
                time.sleep(min(2.0, 0.05 * 2**attempt))
        raise LedgerLocked(f"the ledger at {self.label} stayed locked by another process; try again, "
                           "or check for a stuck aiprov process")

    def commit(self):
        self.conn.execute("COMMIT")

    def rollback(self):
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. on a full disk)

    def schema_version(self):
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, number):
        self.conn.execute(f"PRAGMA user_version = {int(number)}")

    def explain(self, exc):
        text = str(exc)
        if "full" in text:
            return LedgerError(f"the disk holding the ledger {self.label} is full: nothing from the interrupted step "
                               "was written and what was recorded before is intact. Free some space and run again.")
        if "locked" in text or "busy" in text:
            return LedgerLocked(f"the ledger at {self.label} stayed locked by another process; try again")
        if "readonly" in text or "read-only" in text:
            return LedgerError(f"the ledger at {self.label} is read-only for this user; use --ledger to pick another")
        if "not a database" in text or "malformed" in text:
            return LedgerError(f"the ledger at {self.label} cannot be used: {text} (is it an aiprov ledger?)")
        return LedgerError(f"could not use the ledger at {self.label}: {text}")

    def close(self):
        self.conn.close()


# -- PostgreSQL --------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """store.py writes `?` marks; psycopg wants `%s` (and a literal % doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresBackend(Backend):
    """The facility ledger: one PostgreSQL database (or one schema of it, named by the URL's
    `options=-csearch_path=...`) shared by every host.

    No global writer lock: hosts ingest in parallel. Rows that two hosts may write at
    once (an asset both saw, an open finding, an edge) are written as upserts, whose row
    locks make the second writer wait and then see the first. Two batches that lock
    the same assets in opposite orders can deadlock; PostgreSQL then aborts one, which
    surfaces as LedgerConflict and the caller runs that batch again.
    """

    kind = "postgresql"

    def __init__(self, url: str, host: str = "", readonly: bool = False, create: bool = True):
        try:
            import psycopg
        except ImportError as exc:
            raise LedgerError("a PostgreSQL ledger needs psycopg 3: pip install 'aiprov[postgresql]'") from exc
        self.psycopg = psycopg
        self.errors = (psycopg.Error,)
        self.url, self.label = url, redact(url)
        # pg_stat_activity then says which host holds a connection
        self.application_name = f"aiprov {host}".strip()[:63]
        self.readonly = readonly
        self._bulk: dict[tuple, str] = {}  # bulk inserts' statements, by table, columns and ending
        self._column_types: dict[str, dict[str, str]] = {}
        self._analyze = True  # False once ANALYZE was refused
        self._counted: float | None = None  # rows of `locations` the statistics last counted
        self._added = 0
        self._begin_waits = False  # BEGIN is sent with the transaction's first statement
        self._together = 0  # inside together(): statements wait to be sent in one round trip
        self.conn = self._connect()
        if (readonly or not create) and self.conn.execute("SELECT to_regclass('aiprov_schema')").fetchone()[0] is None:
            self.conn.close()
            raise NoLedger(self.label)

    def _connect(self):
        try:
            conn = self.psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                        application_name=self.application_name)
            # A writer stuck behind another's lock for this long is reported, not waited on forever.
            conn.execute("SET lock_timeout = '60s'")
            if self.readonly:
                conn.execute("SET default_transaction_read_only = on")
            return conn
        except self.psycopg.Error as exc:
            raise LedgerUnavailable(f"cannot connect to the ledger at {self.label}: {_first_line(exc)} "
                                    "(is the server running and the URL right? see the README's facility "
                                    "ledger section)") from exc

    # The tables a scan's new files grow.
    GROWING = ("locations", "assets", "evidence", "identifiers", "events", "findings", "folders", "edges")

    def grew(self, rows):
        """A first scan fills tables that were empty: the plans PostgreSQL made for its statements then
        (reading the whole table is cheapest when it is empty) stay in use until the tables are analyzed,
        which autovacuum does a minute later at best, and each lookup of a batch's paths and contents
        then reads every row recorded so far: 25,000 new files took 2.5-4.5x as long as into SQLite.
        So a writer that has doubled what the statistics last counted analyzes the tables it grows
        (a few tens of ms; the plans are made again after it). Not on a big ledger's routine scans:
        the first doubling there is millions of files, and autovacuum has long kept up."""
        if not self._analyze:
            return
        if self._counted is None:
            row = self.conn.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass('locations')").fetchone()
            self._counted = max(0.0, float(row[0])) if row and row[0] is not None else 0.0
        self._added += rows
        if self._added < max(1000.0, self._counted):
            return
        try:
            self.conn.execute("ANALYZE " + ", ".join(self.GROWING))
        except self.psycopg.Error:  # not the tables' owner: leave it to autovacuum
            self._analyze = False
            return
        self._counted += self._added
        self._added = 0

    def in_list(self, values):
        # One array parameter, not a mark per value: the statement text is the same whatever
        # the count (one prepared statement), and the planner probes the index once per value
        # instead of reading every row of the host and filtering (236 ms for 500 paths at 20k
        # locations with a generic plan, against 11 ms).
        return "= ANY(?)", [list(values)]

    def reconnect(self):
        try:
            self.conn.close()
        except self.psycopg.Error:
            pass
        self._begin_waits = False
        self.conn = self._connect()

    def _send(self, sql: str, params: Any = None):
        """Send one statement (psycopg's text and marks); a BEGIN waiting for it goes in the same
        round trip. On a busy machine each round trip to a local server waits for the server's
        process to be scheduled, so a transaction's BEGIN on its own cost what a statement costs."""
        if not self._begin_waits:
            return self.conn.execute(sql, params)
        self._begin_waits = False
        with self.conn.pipeline():
            self.conn.execute("BEGIN")
            cur = self.conn.execute(sql, params)
        return cur

    def _begin_now(self) -> None:
        """Send a waiting BEGIN before what cannot carry it (a cursor of its own)."""
        if self._begin_waits:
            self._begin_waits = False
            self.conn.execute("BEGIN")

    @contextlib.contextmanager
    def together(self):
        with self.conn.pipeline():
            self._together += 1
            try:
                yield
            finally:
                self._together -= 1

    def rows_soon(self, sql, params=()):
        if not self._together:  # an answer now costs the same round trip
            return super().rows_soon(sql, params)
        cur = self.execute(sql, params)  # a cursor of its own, read after the others were asked
        return lambda: _dicts(cur)  # the first answer fetched waits for all those asked before it

    def execute(self, sql, params=()):
        # Without parameters psycopg sends the text as it is (no % escaping, no marks).
        return self._send(_pg_sql(sql), params) if params else self._send(sql)

    def executemany(self, sql, rows):
        plain = _PLAIN_INSERT.match(sql)
        if plain is None or len(rows) < 2:
            self._begin_now()
            with self.conn.cursor() as cur:
                cur.executemany(_pg_sql(sql), rows)
            return
        # One INSERT of every row: the server plans and runs one statement, not one per row (an
        # executemany is one round trip in pipeline mode, but each row is still a statement to
        # the server: that was most of its work on a first scan).
        table, cols, tail = plain.group(1), tuple(c.strip() for c in plain.group(2).split(",")), plain.group(3) or ""
        self._send(self._bulk_sql(table, cols, tail), _columns_of(rows, len(cols)))

    def insert(self, table, row):
        cols = ", ".join(row)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))}) RETURNING id"
        return self._send(_pg_sql(sql), list(row.values())).fetchone()[0]

    def upsert(self, table, row, key, keep=()):
        key = (key,) if isinstance(key, str) else key
        # xmax is 0 on a row this statement inserted, the updater's transaction id otherwise.
        sql = self._upsert_sql(table, row, key, keep) + " RETURNING (xmax = 0)"
        return bool(self._send(_pg_sql(sql), list(row.values())).fetchone()[0])

    def upsert_returning(self, table, row, key, keep=()):
        return self.rows(self._upsert_sql(table, row, key, keep) + " RETURNING *", list(row.values()))[0]

    def upsert_many(self, table, rows, key, keep=()):
        if not rows:
            return []
        cur = self._upsert_bulk(table, rows, key, keep, f"{', '.join(key)}, (xmax = 0)")
        new = {_key_of(dict(zip(key, r[:-1])), key): bool(r[-1]) for r in cur.fetchall()}
        return [new[_key_of(r, key)] for r in rows]

    def insert_new(self, table, cols, rows, report):
        if not rows:
            return set()
        sql = self._bulk_sql(table, tuple(cols), f" ON CONFLICT DO NOTHING RETURNING {', '.join(report)}")
        return {tuple(r) for r in self._send(sql, _columns_of(rows, len(cols))).fetchall()}

    def upsert_many_returning(self, table, rows, key, keep=()):
        if not rows:
            return []
        cur = self._upsert_bulk(table, rows, key, keep, "*")
        names = [d[0] for d in cur.description]
        found = {}
        for r in cur.fetchall():
            row = dict(zip(names, r))
            found[_key_of(row, key)] = row
        return [found[_key_of(r, key)] for r in rows]

    def _upsert_bulk(self, table: str, rows: list[dict], key: tuple[str, ...], keep: tuple[str, ...], returning: str):
        """One upsert of every row (distinct keys), as arrays; the cursor of its RETURNING."""
        cols = tuple(rows[0])
        sql = self._bulk_sql(table, cols, _on_conflict(cols, key, keep) + f" RETURNING {returning}")
        return self._send(sql, _columns_of([tuple(r.values()) for r in rows], len(cols)))

    def _bulk_sql(self, table: str, cols: tuple[str, ...], tail: str) -> str:
        """INSERT of many rows handed over as one array per column: the statement's text is the same
        whatever the count, so psycopg parses it once and the server prepares it once."""
        key = (table, cols, tail)
        sql = self._bulk.get(key)
        if sql is None:
            types = self._types(table)
            # %b: the arrays go in binary (ten times cheaper to make than their text, on both ends)
            arrays = ", ".join(f"%b::{types[c]}[]" for c in cols)
            sql = self._bulk[key] = (f"INSERT INTO {identifier(table)} ({', '.join(map(identifier, cols))}) "
                                     f"SELECT * FROM unnest({arrays}){tail}")
        return sql

    def _types(self, table: str) -> dict[str, str]:
        """The table's column types, as the arrays of a bulk insert are cast to (asked once a table)."""
        if table not in self._column_types:
            self._column_types[table] = dict(self.conn.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped", [table]).fetchall())
        return self._column_types[table]

    def stream(self, sql, params=()):
        # A server-side cursor: an export of millions of rows never sits in memory.
        self._begin_now()
        with self.conn.transaction():
            with self.conn.cursor(name="aiprov_stream") as cur:
                cur.itersize = 2000
                cur.execute(_pg_sql(sql) if params else sql, params or None)
                cols = [d[0] for d in cur.description]
                for r in cur:
                    yield dict(zip(cols, r))

    def begin(self):
        self._begin_waits = True

    def commit(self):
        if self._begin_waits:  # nothing was sent: there is no transaction to end
            self._begin_waits = False
            return
        self.conn.execute("COMMIT")

    def rollback(self):
        if self._begin_waits:
            self._begin_waits = False
            return
        try:
            self.conn.execute("ROLLBACK")
        except self.psycopg.Error:
            pass

    def schema_version(self):
        if self.conn.execute("SELECT to_regclass('aiprov_schema')").fetchone()[0] is None:
            return 0
        row = self.conn.execute("SELECT max(version) FROM aiprov_schema").fetchone()
        return row[0] or 0

    def set_schema_version(self, number):
        self._send("CREATE TABLE IF NOT EXISTS aiprov_schema (version INTEGER NOT NULL)")
        self.conn.execute("DELETE FROM aiprov_schema")
        self.conn.execute("INSERT INTO aiprov_schema (version) VALUES (%s)", [number])

    def lock_schema(self):
        """Two hosts starting a new aiprov at once must not both migrate."""
        self._send("SELECT pg_advisory_xact_lock(7262, hashtext(current_schema()))")

    def restart_ids(self, tables):
        """After an import that kept its ids, new rows must be numbered after them."""
        for table in tables:
            self._send(f"SELECT setval(pg_get_serial_sequence('{identifier(table)}', 'id'), "
                       f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")

    def explain(self, exc):
        errors = self.psycopg.errors
        text = _first_line(exc)
        if isinstance(exc, (errors.DeadlockDetected, errors.SerializationFailure)):
            return LedgerConflict(f"another host wrote the same records at the same moment ({text}); "
                                  "the step can simply be run again")
        if isinstance(exc, errors.LockNotAvailable):
            return LedgerLocked(f"the ledger at {self.label} stayed locked by another process for 60 s; try again")
        if isinstance(exc, errors.DiskFull):
            return LedgerError(f"the PostgreSQL server holding {self.label} is out of disk: nothing from the "
                               "interrupted step was written. Ask its administrator to free space.")
        if isinstance(exc, errors.InsufficientPrivilege):
            return LedgerError(f"the database user cannot write the ledger at {self.label}: {text}")
        if isinstance(exc, self.psycopg.OperationalError) or self.conn.closed:
            return LedgerUnavailable(f"lost the connection to the ledger at {self.label}: {text}; "
                                     "nothing from the interrupted step was written")
        return LedgerError(f"could not use the ledger at {self.label}: {text}")

    def close(self):
        self.conn.close()


def _dicts(cur) -> list[dict]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _columns_of(rows: list, width: int) -> list[list]:
    """Rows turned into one list per column (the arrays of a bulk insert). An array holds one type:
    a column of ints and floats (a weight of 1 and one of 0.5) becomes floats, of bools and ints ints."""
    if not rows:
        return [[] for _ in range(width)]
    out = []
    for col in zip(*rows):
        kinds = {type(v) for v in col if v is not None}
        if len(kinds) > 1:
            unify = float if float in kinds else int if kinds <= {bool, int} else str
            col = tuple(None if v is None else unify(v) for v in col)
        out.append(list(col))
    return out


def _on_conflict(cols, key: tuple[str, ...], keep: tuple[str, ...]) -> str:
    """An upsert's ending: on the key, every other column but `keep` takes the new row's value."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in key and c not in keep)
    return f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"


def _key_of(row: dict, key: tuple[str, ...]) -> tuple:
    """A row's key, comparable whichever database returned it (bytea may come back as a memoryview)."""
    return tuple(bytes(row[k]) if isinstance(row[k], memoryview) else row[k] for k in key)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(target: str, host: str = "", readonly: bool = False, create: bool = True) -> Backend:
    """readonly: never write, never create (a missing ledger is NoLedger); create=False: write to a
    ledger that must exist already."""
    if is_url(target):
        return PostgresBackend(target, host, readonly=readonly, create=create)
    return SqliteBackend(target, readonly=readonly, create=create)


_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def identifier(name: str) -> str:
    """Table and column names come from our own schema only; refuse anything else loudly."""
    if not _IDENT.match(name):
        raise ValueError(f"not a ledger table or column name: {name!r}")
    return name
