"""Policy findings per location: raised once, touched while still true, resolved when not."""

from __future__ import annotations

from ..model import Finding
from .locations import Location
from .sql import now


class Findings:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def record(self, loc: Location, findings: list[Finding],
                        open_rows: list[dict] | None = None, production: str | None = None) -> list[Finding]:
        """Make the open findings of a location exactly `findings`; returns the newly raised ones.

        `open_rows`: the location's open findings when the caller asked for a whole batch at once;
        `production`: the production a newly raised finding belongs to.
        """
        if open_rows is None:
            open_rows = self.db._rows("SELECT * FROM findings WHERE location_id = ? AND resolved_at IS NULL", [loc.id])
        return self.record_many([(loc, findings, open_rows)], production)[0]

    def record_many(self, items: list[tuple[Location, list[Finding], list[dict]]],
                    production: str | None = None) -> list[list[Finding]]:
        """`record` for a batch of (location, findings, its open rows): the findings raised anew go
        in one statement, and each list returned holds those this call raised for its location."""
        t = now()
        raise_rows: list[tuple] = []
        wanted: list[tuple[int, Finding]] = []  # (item index, finding) of each one to raise
        if not any(findings or open_rows for _, findings, open_rows in items):
            return [[] for _ in items]
        with self.db.transaction():
            for n, (loc, findings, open_rows) in enumerate(items):
                still = set()
                for f in findings:
                    match = next((r for r in open_rows if r["rule"] == f.rule and r["content_id"] == f.content_id), None)
                    if match:
                        still.add(match["id"])
                        if (match["message"], match["severity"]) == (f.message, f.severity):
                            # Still open and unchanged: the most common case on a rescan, one statement a batch.
                            self.db._later("findings", "UPDATE findings SET last_seen = ? WHERE id = ?",
                                           [(t, match["id"])])
                        else:
                            self.db._update("findings", match["id"], {"last_seen": t, "message": f.message,
                                                                     "severity": f.severity})
                    else:
                        wanted.append((n, f))
                        raise_rows.append((loc.id, f.content_id, f.rule, f.severity, f.message, f.zone, production,
                                           t, t))
                for r in open_rows:
                    if r["id"] not in still:
                        self.db._update("findings", r["id"], {"resolved_at": t})
            # At most one open finding per (location, rule, content): one raised by another process a
            # moment ago is not raised (nor its hooks run) again; the statement says which it raised.
            raised = self.db._db("insert_new", "findings", ("location_id", "content_id", "rule", "severity",
                                                            "message", "zone", "production", "first_raised",
                                                            "last_seen"), raise_rows,
                                 ("location_id", "rule", "content_id")) if raise_rows else set()
            out: list[list[Finding]] = [[] for _ in items]
            for n, f in wanted:
                loc = items[n][0]
                if (loc.id, f.rule, f.content_id) in raised:
                    raised.discard((loc.id, f.rule, f.content_id))  # a finding twice in the batch: raised once
                    self.db.event("flagged", f.content_id, loc.path, {"rule": f.rule, "severity": f.severity})
                    out[n].append(f)
        return out

    def open(self) -> list[dict]:
        return self.db._rows("SELECT f.*, l.path FROM findings f JOIN locations l ON l.id = f.location_id "
                          "WHERE f.resolved_at IS NULL ORDER BY f.id")

    def open_at(self, location_ids: list[int]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for r in self.db._in("SELECT * FROM findings WHERE resolved_at IS NULL AND location_id IN ({})", location_ids):
            out.setdefault(r["location_id"], []).append(r)
        return out

    def open_locations(self) -> set[int]:
        """The locations with an open finding: a rescan judges them again even when unchanged."""
        return {r[0] for r in self.db._q("SELECT DISTINCT location_id FROM findings WHERE resolved_at IS NULL")}
