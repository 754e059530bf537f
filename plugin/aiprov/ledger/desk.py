"""What the review desk asks: open findings to sort and filter, the evidence behind them, recent events.

Open findings are few next to the ledger's millions of assets (each one is a problem someone must
fix), so the desk keeps them all, lightly, in its process, asks which are open to bring them up to
date, and filters and pages over them in Python, where a render's frames become one row
(desk/folding.py). Everything heavy (messages, evidence) is asked only for the rows on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Evidence

NO_PRODUCTION = "-"  # the filter value for findings raised before productions were recorded, or outside one


@dataclass(frozen=True)
class FindingFilter:
    """The desk's filters; None (or "") means any. `text` searches paths, generators and content ids."""

    production: str | None = None
    zone: str | None = None
    severity: str | None = None
    rule: str | None = None
    host: str | None = None
    text: str | None = None


class Desk:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def open_ids(self) -> set[int]:
        """Which findings are open, from the open findings' index alone: what the desk compares with
        the findings it keeps to see which were raised or resolved since."""
        return {int(r[0]) for r in self.db._q("SELECT id FROM findings WHERE resolved_at IS NULL").fetchall()}

    def open_findings_light(self, ids: list[int] | None = None) -> list[dict]:
        """The open findings (those among `ids`, or all), lightly: no message, no order."""
        sql = ("SELECT f.id, f.content_id, f.rule, f.severity, f.zone, f.production, l.path, l.host, a.verdict, "
               "a.generator FROM findings f JOIN locations l ON l.id = f.location_id "
               "LEFT JOIN assets a ON a.content_id = f.content_id WHERE f.resolved_at IS NULL")
        return self.db._rows(sql) if ids is None else self.db._in(sql + " AND f.id IN ({})", ids)

    def findings(self, ids: list[int]) -> dict[int, dict]:
        """The findings with these ids, whole (message, first raised, last seen), with their location's path."""
        return {r["id"]: r for r in self.db._in(
            "SELECT f.*, l.path, l.host FROM findings f JOIN locations l ON l.id = f.location_id WHERE f.id IN ({})",
            ids)}

    def evidence(self, content_ids: list[str]) -> dict[str, list[Evidence]]:
        """The recorded evidence of each content, in the order it was read."""
        out: dict[str, list[Evidence]] = {}
        for r in self.db._in("SELECT * FROM evidence WHERE content_id IN ({}) ORDER BY id", content_ids):
            out.setdefault(r["content_id"], []).append(
                Evidence(r["source"], r["field"], r["value"], r["weight"], r["implies"], r["generator"]))
        return out

    def assets(self, content_ids: list[str]) -> list[dict]:
        return self.db._in("SELECT * FROM assets WHERE content_id IN ({})", content_ids)

    def recent_events(self, limit: int = 25, after_id: int = 0) -> list[dict]:
        """The ledger's latest events, newest first (after `after_id`, for a live feed)."""
        return self.db._rows("SELECT * FROM events WHERE id > ? ORDER BY id DESC LIMIT ?", [after_id, limit])

    def location(self, location_id: int) -> dict | None:
        rows = self.db._rows("SELECT * FROM locations WHERE id = ?", [location_id])
        return rows[0] if rows else None
