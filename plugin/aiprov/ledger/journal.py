"""The daemon's journal: every path an event named, written before it is processed, so kill -9
loses nothing (the next start finishes the journal)."""

from __future__ import annotations

from .sql import now


class Journal:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def add(self, paths: list[bytes]) -> None:
        if paths:
            t = now()
            with self.db.transaction():
                self.db._many("INSERT INTO journal (host, path_raw, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           [(self.db.host, p, t) for p in paths])

    def remove(self, paths: list[bytes]) -> None:
        if paths:
            with self.db.transaction():
                self.db._many("DELETE FROM journal WHERE host = ? AND path_raw = ?", [(self.db.host, p) for p in paths])

    def paths(self) -> list[bytes]:
        return [bytes(r["path_raw"]) for r in self.db._rows("SELECT path_raw FROM journal WHERE host = ? ORDER BY added",
                                                          [self.db.host])]
