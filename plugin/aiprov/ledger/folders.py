"""Folders, as a rescan sees them: one row per folder of a host with live files, with the digest
of its files' names and stats when a rescan last found every one of them unchanged.

Why: a rescan has to take each file's stat (nothing else says a file changed), but it need not
hold each one against a ledger row. Equal digests mean every file of the folder is as recorded;
only a folder whose digest differs (or was cleared) is compared file by file. Any write to a
location clears its folder's digest, so a digest never vouches for what the ledger no longer says.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator


class Folders:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def changed(self, folder_key: bytes) -> None:
        """A location in this folder was written: its digest no longer holds (and the folder has a row)."""
        self.db._later("folders", "INSERT INTO folders (host, folder_key) VALUES (?, ?) "
                       "ON CONFLICT (host, folder_key) DO UPDATE SET digest = NULL", [(self.db.host, folder_key)],
                       once=True)

    def vouch(self, digests: list[tuple[bytes, bytes, dict]]) -> None:
        """(folder, digest, tally) of folders a rescan found wholly unchanged; the tally counts its files
        by zone and verdict, so the next rescan's summary needs no row per file either."""
        self.db._later("folders", "UPDATE folders SET digest = ?, files = ?, tally = ? WHERE host = ? AND folder_key = ?",
                       [(digest, sum(tally.values()), json.dumps({f"{z}\t{v}": n for (z, v), n in tally.items()}),
                         self.db.host, folder) for folder, digest, tally in digests])

    def stream_under(self, root_raw: bytes, chunk: int = 5000) -> Iterator[tuple[bytes, bytes | None, Counter]]:
        """(folder, digest, tally) of this host's folders at and below a root, in the order a walk meets them."""
        top = root_raw.rstrip(b"/") + b"/"
        upper = top[:-1] + b"0"
        last = None
        while True:
            if last is None:
                rows = self.db._q("SELECT folder_key, digest, tally FROM folders WHERE host = ? AND folder_key >= ? "
                                  "AND folder_key < ? ORDER BY folder_key LIMIT ?",
                                  [self.db.host, top, upper, chunk]).fetchall()
            else:
                rows = self.db._q("SELECT folder_key, digest, tally FROM folders WHERE host = ? AND folder_key > ? "
                                  "AND folder_key < ? ORDER BY folder_key LIMIT ?",
                                  [self.db.host, last, upper, chunk]).fetchall()
            for r in rows:
                tally = Counter({tuple(k.split("\t", 1)): n for k, n in json.loads(r[2]).items()}) if r[2] else Counter()
                yield bytes(r[0]), (bytes(r[1]) if r[1] is not None else None), tally
            if len(rows) < chunk:
                return
            last = bytes(rows[-1][0])

    def forget(self, folder_key: bytes) -> None:
        """A folder with no live files left (it vanished from the walk)."""
        self.db._later("folders", "DELETE FROM folders WHERE host = ? AND folder_key = ?", [(self.db.host, folder_key)])
