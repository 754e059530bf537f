"""The hosts that share a ledger: their daemons' heartbeats, and what the ledger holds for each."""

from __future__ import annotations

import json

from .schema import TABLES
from .sql import now


class Hosts:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def heartbeat(self, pid: int, started: str, status: dict) -> None:
        """A daemon's heartbeat, so `aiprov ledger info` on any host shows every host's daemon."""
        row = {"host": self.db.host, "pid": pid, "started": started, "heartbeat": now(),
               "status": json.dumps(status, ensure_ascii=False)}
        with self.db.transaction():
            self.db._db("upsert", "daemons", row, "host")

    def describe(self) -> dict:
        """Which database, which schema, how much it holds, and which hosts and daemons write to it."""
        hosts = self.db._rows("SELECT host, sum(CASE WHEN gone = 0 THEN 1 ELSE 0 END) AS live, max(last_seen) AS "
                           "last_seen FROM locations GROUP BY host ORDER BY host")
        return {"backend": self.db.kind, "ledger": self.db.path, "ledger_id": self.db.ledger_id(),
                "schema": self.db.schema_version, "this_host": self.db.host,
                "rows": {t: self.db.count(t) for t in TABLES},
                "hosts": [{**h, "live": int(h["live"] or 0)} for h in hosts],
                "daemons": self.db._rows("SELECT host, pid, started, heartbeat FROM daemons ORDER BY host")}
