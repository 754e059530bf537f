"""What comp scripts render from what: lineage recorded by path, before or after the files exist.

A script names its renders and inputs by path, not by content: the render may
not exist yet, and is a thousand frames when it does. So an edge here is a row
(host, script, render node + its output key, file-reading node + its input key),
where a key is a path with any frame number taken out (compscripts/frames.py).
A file on disk is matched to the rows whose output key is one of its own keys
(one indexed question for a whole batch), and an input key to the files recorded
under it, so a render of a thousand frames costs one row, and a frame landing
before or after its script is matched all the same.

Rows belong to the script at one place on one host: reading a new version of the
script there replaces them. A script deleted or moved keeps its rows (its renders
were made from what it read; deleting the script must not launder them).
"""

from __future__ import annotations

import json

from ..compscripts import ScriptReport
from ..compscripts.frames import file_keys, frame_of, split_key
from .sql import now

NO_INPUT = ""  # reader of a row recording a render made from no file at all (Constants, CG)


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _after(prefix: bytes) -> bytes:
    """The first byte string after every string that starts with `prefix`."""
    p = prefix.rstrip(b"\xff")
    return p[:-1] + bytes([p[-1] + 1]) if p else b"\xff" * (len(prefix) + 1)


class Scripts:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    # -- writing ------------------------------------------------------------------------

    def record(self, fspath: bytes, path: str, content_id: str | None, report: ScriptReport | None) -> set[str]:
        """What the script now at this place says replaces what its earlier version said. Returns
        the output keys of both versions: the renders whose lineage just changed."""
        db, host = self.db, self.db.host
        rows = []
        for r in (report.renders if report else []):
            base = [host, fspath, path, content_id, r.node + (" (disabled)" if r.disabled else ""), r.path, r.key]
            for s in r.sources:
                rows.append(base + [s.node, s.path, s.key, s.first, s.last, None])
            for u in r.unresolved:
                rows.append(base + [u.node, u.value, None, None, None, u.why])
            if not r.sources and not r.unresolved:
                rows.append(base + [NO_INPUT, NO_INPUT, None, None, None, None])
        with db.transaction():
            before = {r["output_key"] for r in db._rows("SELECT DISTINCT output_key FROM script_edges WHERE host = ? "
                                                        "AND script_raw = ?", [host, fspath])}
            db._q("DELETE FROM script_edges WHERE host = ? AND script_raw = ?", [host, fspath])
            db._many("INSERT INTO script_edges (host, script_raw, script, script_id, writer, output, output_key, reader, "
                     "input, input_key, first_frame, last_frame, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     rows)
            db._db("upsert", "scripts", {
                "host": host, "path_raw": fspath, "path": path, "content_id": content_id,
                "app": report.app if report else None, "summary": report.summary() if report else None,
                "unresolved": json.dumps([u.__dict__ for u in report.unresolved]) if report else None,
                "read_at": now()}, ("host", "path_raw"))
        return before | {r[6] for r in rows}

    # -- reading ------------------------------------------------------------------------

    def any(self) -> bool:
        return bool(self.db._rows("SELECT 1 AS x FROM script_edges LIMIT 1"))

    def read(self, paths: list[bytes]) -> set[bytes]:
        """Which of these paths hold a script this ledger has read where it is now."""
        return {bytes(r["path_raw"]) for r in self.db._in("SELECT path_raw FROM scripts WHERE host = ? AND path_raw "
                                                          "IN ({})", paths, [self.db.host])}

    def of(self, fspath: bytes) -> dict | None:
        """A script as recorded where it is: its summary and what it renders from what."""
        rows = self.db._rows("SELECT * FROM scripts WHERE host = ? AND path_raw = ?", [self.db.host, fspath])
        if not rows:
            return None
        edges = self.db._rows("SELECT writer, output, reader, input, first_frame, last_frame, why FROM script_edges "
                              "WHERE host = ? AND script_raw = ? ORDER BY id", [self.db.host, fspath])
        return {"app": rows[0]["app"], "summary": rows[0]["summary"], "read_at": rows[0]["read_at"],
                "unresolved": json.loads(rows[0]["unresolved"] or "[]"), "edges": edges}

    def making(self, paths: list[str], host: str | None = None) -> dict[str, list[dict]]:
        """The rows of the scripts that render each of these files (display paths), asked once."""
        host = host or self.db.host
        keys = {p: file_keys(p) for p in paths}
        rows = self.db._in("SELECT * FROM script_edges WHERE host = ? AND output_key IN ({}) ORDER BY id",
                           [k for ks in keys.values() for k in ks], [host])
        by_key: dict[str, list[dict]] = {}
        for r in rows:
            by_key.setdefault(r["output_key"], []).append(r)
        return {p: [r for k in ks for r in by_key.get(k, [])] for p, ks in keys.items() if any(k in by_key for k in ks)}

    def reading(self, paths: list[str]) -> list[dict]:
        """The rows of the scripts that read any of these files (this host's)."""
        keys = [k for p in paths for k in file_keys(p)]
        return self.db._in("SELECT * FROM script_edges WHERE host = ? AND input_key IN ({}) ORDER BY id", keys,
                           [self.db.host])

    def files(self, key: str, host: str, first: int | None = None, last: int | None = None, *,
              live: bool = False) -> list[dict]:
        """The recorded files a key names (a path, or every frame of a sequence within first..last),
        with what each content was found to be: path, path_raw, content_id, gone, verdict, generator."""
        sql = ("SELECT l.path, l.path_raw, l.content_id, l.gone, a.verdict, a.generator FROM locations l "
               "LEFT JOIN assets a ON a.content_id = l.content_id WHERE l.host = ? AND l.content_id IS NOT NULL"
               + (" AND l.gone = 0" if live else ""))
        parts = split_key(key)
        if parts is None:
            return self.db._rows(sql + " AND l.path_raw = ?", [host, _raw(key)])
        head, tail = parts
        prefix = _raw(head)
        out = []
        for r in self.db._rows(sql + " AND l.path_raw >= ? AND l.path_raw < ?", [host, prefix, _after(prefix)]):
            frame = frame_of(r["path"], head, tail)
            if frame is not None and (first is None or frame >= first) and (last is None or frame <= last):
                out.append({**r, "frame": frame})
        return out

    def rendered(self, keys: set[str]) -> list[bytes]:
        """This host's files on record under these output keys (the renders to judge again)."""
        found: list[bytes] = []
        for key in keys:
            found += [bytes(r["path_raw"]) for r in self.files(key, self.db.host, live=True)]
        return list(dict.fromkeys(found))


def describe(row: dict) -> str:
    """One row as people read it: "Write1 in /shots/sh010/comp_v003.nk reads Read3: /plates/plate.####.exr"."""
    where = f"{row['writer']} in {row['script']}"
    if row["reader"] == NO_INPUT:
        return f"{where} renders {row['output']} from no file"
    if row["input_key"] is None:
        return f"{where} reads {row['reader']}, whose path {row['why']}: {row['input']}"
    return f"{where} reads {row['reader']}: {row['input']}"
