"""Where content is: this host's paths (and other hosts'), moves, what a sweep has seen.

A path means something only on its host: locations are keyed by (host, path bytes), so
one server's reconcile never marks another's files gone. Paths are stored twice,
`path_raw` (the exact bytes) and `path` (for display, undecodable bytes as \\xNN).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator

from .sql import AI_VERDICTS_SQL, IN_CHUNK, now


def _display(path_raw: bytes) -> str:
    return path_raw.decode("utf-8", "backslashreplace")


def folder_of(path_raw: bytes) -> bytes:
    """A path's folder as the ledger keys it: everything up to and with the last "/". With the slash,
    folders sort as a walk meets them (a folder's files and subfolders before its next sibling)."""
    return path_raw[:path_raw.rfind(b"/") + 1]


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

    def unchanged(self, st: os.stat_result | None) -> bool:
        """The one test of "this is still what was recorded here", so its recorded verdict can be
        reused without opening the file: same size, mtime, inode and device. A copy restored over
        the path, a file from another volume mounted at the same place, a re-render: all differ."""
        return (st is not None and not self.gone and self.content_id is not None
                and (self.size, self.mtime_ns, self.inode, self.device)
                == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev))

    @classmethod
    def from_row(cls, row: dict) -> "Location":
        return cls(row["id"], bytes(row["path_raw"]), row["path"], row["content_id"], row["size"],
                   row["mtime_ns"], row["inode"], row["device"], row["zone"], bool(row["gone"]), row["host"])


class Locations:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def get(self, path_raw: bytes) -> Location | None:
        rows = self.db._rows("SELECT * FROM locations WHERE host = ? AND path_raw = ?", [self.db.host, path_raw])
        return Location.from_row(rows[0]) if rows else None

    def live_under(self, root_raw: bytes) -> dict[bytes, Location]:
        """This host's recorded, not-gone locations below a folder."""
        prefix = root_raw.rstrip(b"/") + b"/"
        upper = prefix[:-1] + b"0"  # "/" + 1: every name starting with the prefix sorts in between
        rows = self.db._rows("SELECT * FROM locations WHERE host = ? AND gone = 0 AND path_raw >= ? AND path_raw < ?",
                             [self.db.host, prefix, upper])
        return {bytes(r["path_raw"]): Location.from_row(r) for r in rows}

    def stream_under(self, root_raw: bytes, chunk: int = 5000) -> Iterator[tuple]:
        """This host's live locations below a folder, in path byte order, a chunk per statement:
        (path_raw, size, mtime_ns, inode, device, zone, content_id, id). A walk in the same order
        is merged with it, so a rescan asks the ledger nothing per file and holds no tree in
        memory; no statement stays open between chunks, so writes may come in between."""
        prefix = root_raw.rstrip(b"/") + b"/"
        upper = prefix[:-1] + b"0"  # "/" + 1: every name starting with the prefix sorts in between
        last = prefix
        while True:
            rows = self.db._q("SELECT path_raw, size, mtime_ns, inode, device, zone, content_id, id "
                               "FROM locations WHERE host = ? AND gone = 0 AND path_raw > ? AND path_raw < ? "
                               "ORDER BY path_raw LIMIT ?", [self.db.host, last, upper, chunk]).fetchall()
            for r in rows:
                yield r if type(r[0]) is bytes else (bytes(r[0]), *r[1:])
            if len(rows) < chunk:
                return
            last = bytes(rows[-1][0])

    def with_inodes(self, inodes: list[tuple[int, int]]) -> list[Location]:
        """This host's live locations on these (device, inode)s: where a renamed file was before."""
        out: list[Location] = []
        by_device: dict[int, list[int]] = {}
        for dev, ino in inodes:
            by_device.setdefault(dev, []).append(ino)
        for dev, inos in by_device.items():
            rows = self.db._in("SELECT * FROM locations WHERE host = ? AND gone = 0 AND device = ? AND inode IN ({})",
                               inos, [self.db.host, dev])
            out += [Location.from_row(r) for r in rows]
        return out

    def place(self, path_raw: bytes, content_id: str | None) -> tuple[Location | None, list[Location]]:
        """This host's record of a path, and the live locations of a content elsewhere, in one question:
        what recording a freshly read file needs to tell a new file from a copy, a move or a change."""
        rows = self.db._rows("SELECT * FROM locations WHERE (host = ? AND path_raw = ?) OR (content_id = ? AND gone = 0) "
                          "ORDER BY first_seen, id", [self.db.host, path_raw, content_id])
        here, others = None, []
        for loc in map(Location.from_row, rows):
            if loc.host == self.db.host and loc.path_raw == path_raw:
                here = loc
            elif loc.content_id == content_id and not loc.gone:
                others.append(loc)
        return here, others

    def of(self, content_id: str, include_gone: bool = True) -> list[Location]:
        """Every place this content has been, on any host."""
        sql = "SELECT * FROM locations WHERE content_id = ?" + ("" if include_gone else " AND gone = 0")
        return [Location.from_row(r) for r in self.db._rows(sql + " ORDER BY first_seen, id", [content_id])]

    def where(self, loc: Location) -> str:
        """A location as people read it: the path, prefixed with its host when that is not this one."""
        return loc.path if loc.host == self.db.host else f"{loc.host}:{loc.path}"

    def get_many(self, paths: list[bytes]) -> dict[bytes, Location]:
        """This host's records of these paths."""
        return self.get_many_soon(paths)()

    def get_many_soon(self, paths: list[bytes]) -> Callable[[], dict[bytes, Location]]:
        rows = self.db._in_soon("SELECT * FROM locations WHERE host = ? AND path_raw IN ({})", paths, [self.db.host])
        return lambda: {bytes(r["path_raw"]): Location.from_row(r) for r in rows()}

    def touch(self, ids: list[int]) -> None:
        for i in range(0, len(ids), IN_CHUNK):
            fragment, params = self.db.backend.in_list(ids[i:i + IN_CHUNK])
            self.db._q(f"UPDATE locations SET last_seen = ? WHERE id {fragment}", [now(), *params])

    def live_of_many(self, content_ids: list[str]) -> dict[str, list[Location]]:
        """The live locations of these contents, on any host, by content (oldest first)."""
        return self.live_of_many_soon(content_ids)()

    def live_of_many_soon(self, content_ids: list[str]) -> Callable[[], dict[str, list[Location]]]:
        rows = self.db._in_soon("SELECT * FROM locations WHERE gone = 0 AND content_id IN ({}) ORDER BY first_seen, id",
                                content_ids)

        def answer() -> dict[str, list[Location]]:
            out: dict[str, list[Location]] = {}
            for r in rows():
                out.setdefault(r["content_id"], []).append(Location.from_row(r))
            return out
        return answer

    def upsert(self, path_raw: bytes, content_id: str | None, st: os.stat_result | None,
                        zone: str | None) -> Location:
        row = self._row(path_raw, content_id, st, zone, now())
        with self.db.transaction():
            self.db.folders.changed(row["folder_key"])
            return Location.from_row(self.db._db("upsert_returning", "locations", row, ("host", "path_raw"),
                                              ("first_seen",)))

    def upsert_many(self, places: list[tuple[bytes, str | None, os.stat_result | None, str | None]]) -> list[Location]:
        """`upsert` for many (path, content id, stat, zone) of distinct paths, in one statement a few
        hundred; their locations in the order given."""
        t = now()
        rows = sorted((self._row(p, cid, st, zone, t) for p, cid, st, zone in places), key=lambda r: r["path_raw"])
        with self.db.transaction():
            for r in rows:
                self.db.folders.changed(r["folder_key"])
            stored = self.db._db("upsert_many_returning", "locations", rows, ("host", "path_raw"), ("first_seen",))
        by_path = {bytes(r["path_raw"]): Location.from_row(r) for r in stored}
        return [by_path[p] for p, _, _, _ in places]

    def _row(self, path_raw: bytes, content_id: str | None, st: os.stat_result | None, zone: str | None,
             t: str) -> dict:
        path = _display(path_raw)
        return {"host": self.db.host, "path_raw": path_raw, "path": path, "name": path.rsplit("/", 1)[-1],
                "folder_key": folder_of(path_raw), "content_id": content_id,
                "size": st.st_size if st else None, "mtime_ns": st.st_mtime_ns if st else None,
                "inode": st.st_ino if st else None, "device": st.st_dev if st else None, "zone": zone,
                "first_seen": t, "last_seen": t, "gone": 0, "gone_at": None}

    def move(self, old: Location, new_raw: bytes, st: os.stat_result, zone: str | None) -> Location:
        with self.db.transaction():
            self.mark_gone(old, moved=True)
            loc = self.upsert(new_raw, old.content_id, st, zone)
            self.db.event("moved", old.content_id, loc.path, {"from": old.path, "to": loc.path})
            return loc

    def mark_gone(self, loc: Location, moved: bool = False) -> None:
        with self.db.transaction():
            self.db.folders.changed(folder_of(loc.path_raw))
            self.db._q("UPDATE locations SET gone = 1, gone_at = ? WHERE id = ?", [now(), loc.id])
            self.db._q("UPDATE findings SET resolved_at = ? WHERE location_id = ? AND resolved_at IS NULL",
                            [now(), loc.id])
            if not moved:
                self.db.event("gone", loc.content_id, loc.path)

    def records(self, content_id: str) -> list[dict]:
        """Every path a content has had, with its zone and when it was seen there (first_seen, last_seen, gone_at)."""
        return self.db._rows("SELECT host, path, zone, gone, first_seen, last_seen, gone_at FROM locations "
                          "WHERE content_id = ? ORDER BY first_seen, id", [content_id])

    def in_folder(self, folder_key: bytes) -> dict[bytes, tuple]:
        """This host's live locations directly in a folder, as stream_under's rows and their content's
        verdict, by path."""
        rows = self.db._q("SELECT l.path_raw, l.size, l.mtime_ns, l.inode, l.device, l.zone, l.content_id, l.id, "
                          "COALESCE(a.verdict, 'unreadable') FROM locations l LEFT JOIN assets a ON a.content_id = "
                          "l.content_id WHERE l.host = ? AND l.folder_key = ? AND l.gone = 0",
                          [self.db.host, folder_key]).fetchall()
        return {bytes(r[0]): (bytes(r[0]), *r[1:]) for r in rows}

    def noteworthy(self, print_kinds: set[str], rules: int, roots: list[bytes] | None = None
                   ) -> list[tuple[bytes, tuple]]:
        """(folder, row) of this host's live locations that a rescan judges again even when unchanged:
        content that is AI, unreadable or carries a C2PA manifest (rules look at each), content with
        lineage, locations with open findings, content judged under rules older than `rules` (read
        again), and (for the kinds some AI source has a print of) finals content not printed yet. One question; the answer is the few, not the many.

        With `roots`, only the folders at and below them (what a walk of those roots meets, the ranges
        `Folders.stream_under` reads): a rescan of one delivery folder then costs the same in a ledger
        of ten million files as in one of a thousand, instead of reading every noteworthy row of the host."""
        media = [f"a.media_type LIKE '{prefix}/%'" for kind, prefix in (("still", "image"), ("clip", "video"))
                 if kind in print_kinds]
        owed = (f" OR (l.zone = 'finals' AND a.verdict NOT IN {AI_VERDICTS_SQL} AND a.verdict <> 'unreadable' AND "
                f"({' OR '.join(media)}) AND NOT EXISTS (SELECT 1 FROM fingerprints f WHERE f.content_id = "
                "l.content_id))") if media else ""
        within, bounds = "", []
        if roots is not None:
            tops = sorted({r.rstrip(b"/") + b"/" for r in roots})
            within = " AND (" + " OR ".join(["(l.folder_key >= ? AND l.folder_key < ?)"] * len(tops)) + ")"
            bounds = [b for top in tops for b in (top, top[:-1] + b"0")]  # "0" follows "/"
        rows = self.db._q(
            "SELECT l.folder_key, l.path_raw, l.size, l.mtime_ns, l.inode, l.device, l.zone, l.content_id, l.id, "
            "COALESCE(a.verdict, 'unreadable') FROM locations l LEFT JOIN assets a ON a.content_id = l.content_id WHERE l.host = ? AND l.gone = 0 AND ("
            f"a.verdict IN {AI_VERDICTS_SQL} OR a.verdict = 'unreadable' OR a.c2pa LIKE '%\"present\": true%' "
            "OR EXISTS (SELECT 1 FROM edges e WHERE e.child_id = l.content_id) "
            "OR EXISTS (SELECT 1 FROM findings fi WHERE fi.location_id = l.id AND fi.resolved_at IS NULL) "
            "OR (a.content_id IS NOT NULL AND (a.rules IS NULL OR a.rules < ?))" + owed + ")" + within,
            [self.db.host, rules, *bounds]).fetchall()
        return [(bytes(r[0]) if r[0] is not None else folder_of(bytes(r[1])), (bytes(r[1]), *r[2:])) for r in rows]
