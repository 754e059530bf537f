"""The ledger's schema, versioned in code, for both databases.

Never edit a migration that has shipped: add the next one, to both lists. The two
lists have the same length and the same meaning at each number, so an export made
at schema N can be imported into either database at schema N.

SQLite's first four migrations are the schema aiprov shipped with; PostgreSQL's
are the same tables in its types (BIGINT for sizes, inodes and nanosecond times,
BYTEA for raw path bytes, identity columns that keep the ids an import brings).
The fifth makes the ledger shared: a location is (host, path), because the same
path on two storage servers is two different files. RULES_8 records the rules each verdict
was judged under.
"""

from __future__ import annotations

import re
from typing import Callable, Union

Migration = Union[str, Callable[..., None]]

# 6 (in both lists below): comp-script lineage.
SCRIPTS_6 = """
    CREATE TABLE scripts (
        host TEXT NOT NULL,
        path_raw BLOB NOT NULL,
        path TEXT NOT NULL,
        content_id TEXT,
        app TEXT,
        summary TEXT,
        unresolved TEXT,
        read_at TEXT NOT NULL,
        PRIMARY KEY (host, path_raw)
    );
    CREATE TABLE script_edges (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        script_raw BLOB NOT NULL,
        script TEXT NOT NULL,
        script_id TEXT,
        writer TEXT NOT NULL,
        output TEXT NOT NULL,
        output_key TEXT NOT NULL,
        reader TEXT NOT NULL,
        input TEXT NOT NULL,
        input_key TEXT,
        first_frame INTEGER,
        last_frame INTEGER,
        why TEXT
    );
    CREATE INDEX script_edges_output ON script_edges (host, output_key);
    CREATE INDEX script_edges_input ON script_edges (host, input_key);
    CREATE INDEX script_edges_script ON script_edges (host, script_raw);
    """

# 8 (appended to both lists, after 6 comp-script lineage and 7 folders): the rules each verdict was judged under
# (aiprov.version.RULES_VERSION; NULL: before rules were recorded), so a rescan reads again the
# files judged under older rules, and what named each AI asset's generator.
RULES_8 = """
    ALTER TABLE assets ADD COLUMN rules INTEGER;
    ALTER TABLE assets ADD COLUMN generator_source TEXT;
    """

# 9 (appended to both lists, after 8): the review desk (`aiprov serve`). Its users and their roles (a password
# hashed with argon2), their API tokens (only a token's SHA-256 is kept), the desk account an approval
# was signed under (beside the free-text approved_by, which any command line can type), and the
# production a finding was raised in (the desk filters by it). Open findings by production/zone are few
# and read page by page; the partial index keeps that read off the resolved history.
DESK_9 = """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT,
        created TEXT NOT NULL,
        changed TEXT,
        removed_at TEXT
    );
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        last_used TEXT,
        revoked_at TEXT
    );
    CREATE INDEX api_tokens_user ON api_tokens (user_id);
    ALTER TABLE approvals ADD COLUMN signed_in_as TEXT;
    ALTER TABLE findings ADD COLUMN production TEXT;
    CREATE INDEX findings_open ON findings (id) WHERE resolved_at IS NULL;
    CREATE INDEX events_at ON events (at);
    """

# 10 (appended to both lists, after 9): the kinds of print an AI source has (Prints.source_kinds) are
# asked once a rescan; without this index that question read every print of the ledger (millions in a
# facility), whatever the rescan's size. And the edges known only by reference or title are the only
# ones found by them (Lineage.children): a frame's name is in every shot, so indexing resolved edges
# too made a lookup read every edge to any frame of that name (1,359 at ten million assets).
FACILITY_SCALE_10 = """
    CREATE INDEX fingerprints_kind ON fingerprints (kind);
    DROP INDEX edges_parent_ref;
    CREATE INDEX edges_parent_ref ON edges (parent_ref) WHERE parent_id IS NULL;
    DROP INDEX edges_parent_title;
    CREATE INDEX edges_parent_title ON edges (parent_title) WHERE parent_id IS NULL
    """

SQLITE: list = [
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

    # 5: a ledger shared by several hosts. Locations, the journal and events carry the
    # host that saw them; an edge and an open finding can exist once only, so two
    # writers racing on them cannot make twins; daemons report in. A location's file
    # name is indexed, and so are the references of unresolved lineage edges: an
    # ingredient known only by name is found without reading every location.
    lambda db, host: _sqlite_5(db, host),
    # 6: what comp scripts render from what (ledger/scripts.py). One row a script read at a
    # place, and one a (render node output, file-reading node upstream of it); keyed by the
    # render's path, a frame sequence's with its number taken out, so a render's thousand
    # frames match one row. Replaced when a new version of the script is read at that place.
    SCRIPTS_6,
]


def _sqlite_5(db, host: str) -> None:
    for statement in (
        """CREATE TABLE locations_5 (
            id INTEGER PRIMARY KEY,
            host TEXT NOT NULL,
            path_raw BLOB NOT NULL,
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
            gone_at TEXT,
            name TEXT,
            UNIQUE (host, path_raw)
        )""",
        # name: what follows the last "/" (rtrim takes off every character that is not a "/")
        """INSERT INTO locations_5 (id, host, path_raw, path, content_id, size, mtime_ns, inode, device, zone,
               first_seen, last_seen, gone, gone_at, name)
           SELECT id, ?, path_raw, path, content_id, size, mtime_ns, inode, device, zone,
               first_seen, last_seen, gone, gone_at, substr(path, length(rtrim(path, replace(path, '/', ''))) + 1)
           FROM locations""",
        "DROP TABLE locations",
        "ALTER TABLE locations_5 RENAME TO locations",
        "CREATE INDEX locations_content ON locations(content_id)",
        "CREATE INDEX locations_inode ON locations(device, inode)",
        "CREATE TABLE journal_5 (host TEXT NOT NULL, path_raw BLOB NOT NULL, added TEXT NOT NULL, "
        "PRIMARY KEY (host, path_raw))",
        "INSERT INTO journal_5 (host, path_raw, added) SELECT ?, path_raw, added FROM journal",
        "DROP TABLE journal",
        "ALTER TABLE journal_5 RENAME TO journal",
        *COMMON_5,
    ):
        db.execute(statement, [host] if "?" in statement else ())


# Shared by both databases: the SQL is the same.
COMMON_5 = (
    "ALTER TABLE events ADD COLUMN host TEXT",
    "DELETE FROM edges WHERE id NOT IN (SELECT min(id) FROM edges GROUP BY child_id, COALESCE(parent_id, ''), "
    "COALESCE(parent_ref, ''), kind)",
    "CREATE UNIQUE INDEX edges_once ON edges (child_id, COALESCE(parent_id, ''), COALESCE(parent_ref, ''), kind)",
    "UPDATE findings SET resolved_at = last_seen WHERE resolved_at IS NULL AND id NOT IN "
    "(SELECT min(id) FROM findings WHERE resolved_at IS NULL GROUP BY location_id, rule, COALESCE(content_id, ''))",
    "CREATE UNIQUE INDEX findings_open_once ON findings (location_id, rule, COALESCE(content_id, '')) "
    "WHERE resolved_at IS NULL",
    "CREATE TABLE daemons (host TEXT PRIMARY KEY, pid INTEGER, started TEXT, heartbeat TEXT, status TEXT)",
    "CREATE INDEX locations_name ON locations(name)",
    # Only resolved edges in edges_parent: otherwise "parent_id IS NULL" (the edges known by
    # reference) searches it, and SQLite would walk every unresolved edge instead of the two below.
    "DROP INDEX edges_parent",
    "CREATE INDEX edges_parent ON edges(parent_id) WHERE parent_id IS NOT NULL",
    "CREATE INDEX edges_parent_ref ON edges(parent_ref)",
    "CREATE INDEX edges_parent_title ON edges(parent_title)",
)


def _pg_types(sql: str) -> str:
    """SQLite's first schema in PostgreSQL's types (the meaning is the same)."""
    sql = sql.replace("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)


def _postgres_5(db, host: str) -> None:
    for statement in (
        "ALTER TABLE locations ADD COLUMN host TEXT NOT NULL DEFAULT ''",
        "UPDATE locations SET host = ?",
        "ALTER TABLE locations ALTER COLUMN host DROP DEFAULT",
        "ALTER TABLE locations DROP CONSTRAINT locations_path_raw_key",
        "ALTER TABLE locations ADD CONSTRAINT locations_host_path UNIQUE (host, path_raw)",
        "ALTER TABLE journal ADD COLUMN host TEXT NOT NULL DEFAULT ''",
        "UPDATE journal SET host = ?",
        "ALTER TABLE journal ALTER COLUMN host DROP DEFAULT",
        "ALTER TABLE journal DROP CONSTRAINT journal_pkey",
        "ALTER TABLE journal ADD PRIMARY KEY (host, path_raw)",
        "ALTER TABLE locations ADD COLUMN name TEXT",
        "UPDATE locations SET name = regexp_replace(path, '^.*/', '')",
        *COMMON_5,
    ):
        db.execute(statement, [host] if "?" in statement else ())


def _folders(db, host: str, blob: str) -> None:
    """Folders: each location knows its folder (its path up to and with the last "/"), and each
    folder of a host with live files has a row, with the digest of its files' names and stats when
    a rescan last found all of them unchanged. A rescan then takes each file's stat and compares
    one digest per folder with the ledger, instead of a row per file."""
    db.execute("ALTER TABLE locations ADD COLUMN folder_key " + blob)
    db.execute("CREATE INDEX locations_folder ON locations(host, folder_key)")
    db.execute(f"CREATE TABLE folders (host TEXT NOT NULL, folder_key {blob} NOT NULL, digest {blob}, files BIGINT, "
               "tally TEXT, PRIMARY KEY (host, folder_key))")
    fill_folders(db)


def fill_folders(db) -> None:
    """Give locations without one their folder, and every folder with live files its row (no digest:
    the next rescan compares those files one by one, and then records the digest)."""
    last = 0
    while True:
        rows = db.execute("SELECT id, path_raw FROM locations WHERE id > ? AND folder_key IS NULL ORDER BY id "
                          "LIMIT 5000", [last]).fetchall()
        if not rows:
            break
        db.executemany("UPDATE locations SET folder_key = ? WHERE id = ?",
                       [(bytes(path)[:bytes(path).rfind(b"/") + 1], loc_id) for loc_id, path in rows])
        last = rows[-1][0]
    db.execute("INSERT INTO folders (host, folder_key) SELECT DISTINCT host, folder_key FROM locations WHERE gone = 0 "
               "ON CONFLICT DO NOTHING")


SQLITE.append(lambda db, host: _folders(db, host, "BLOB"))
SQLITE.append(RULES_8)
SQLITE.append(DESK_9)
SQLITE.append(FACILITY_SCALE_10)

POSTGRES: list = [_pg_types(m) for m in SQLITE[:4]] + [lambda db, host: _postgres_5(db, host), _pg_types(SCRIPTS_6),
                                                        lambda db, host: _folders(db, host, "BYTEA"), _pg_types(RULES_8),
                                                        _pg_types(DESK_9), FACILITY_SCALE_10]

MIGRATIONS: dict[str, list] = {"sqlite": SQLITE, "postgresql": POSTGRES}

# Every table an export carries, in the order an import writes them.
TABLES = ("meta", "assets", "evidence", "identifiers", "locations", "edges", "approvals", "findings", "events",
          "journal", "registrations", "fingerprints", "daemons", "scripts", "script_edges", "folders", "users",
          "api_tokens")


def apply(db, migration: Migration, host: str) -> None:
    if callable(migration):
        migration(db, host)
        return
    for statement in migration.split(";"):
        if statement.strip():
            db.execute(statement)
