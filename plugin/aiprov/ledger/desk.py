"""What the review desk asks: open findings to sort and filter, the evidence behind them, recent events.

Open findings are few next to the ledger's millions of assets (each one is a problem someone must
fix), so the desk's list asks for all the open findings that pass its filters in one light query
and pages over them in Python, where a render's frames become one row. Everything heavy
(messages, evidence) is asked only for the rows on the page.
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


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Desk:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def open_findings(self, flt: FindingFilter) -> list[dict]:
        """Every open finding passing the filter, lightly (no message), in path order."""
        where, params = ["f.resolved_at IS NULL"], []
        for column, value in (("f.zone", flt.zone), ("f.severity", flt.severity), ("f.rule", flt.rule),
                              ("l.host", flt.host)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if flt.production == NO_PRODUCTION:
            where.append("f.production IS NULL")
        elif flt.production:
            where.append("f.production = ?")
            params.append(flt.production)
        if flt.text:
            like = _like(flt.text.strip())
            where.append("(lower(l.path) LIKE ? ESCAPE '\\' OR lower(a.generator) LIKE ? ESCAPE '\\' "
                         "OR f.content_id LIKE ? ESCAPE '\\')")
            params += [like, like, like]
        return self.db._rows(
            "SELECT f.id, f.content_id, f.rule, f.severity, f.zone, f.production, "
            "l.path, l.host, a.verdict, a.generator FROM findings f "
            "JOIN locations l ON l.id = f.location_id LEFT JOIN assets a ON a.content_id = f.content_id "
            f"WHERE {' AND '.join(where)} ORDER BY l.path, f.id", params)

    def open_stamp(self) -> tuple:
        """What changes whenever a finding is raised or resolved, asked of the open findings' index
        alone: the desk's folded list is kept until it changes."""
        row = self.db._q("SELECT count(*), COALESCE(sum(id), 0) FROM findings WHERE resolved_at IS NULL").fetchone()
        return (int(row[0]), int(row[1]))

    def facets(self) -> dict[str, dict[str, int]]:
        """How many open findings there are by production, zone, severity, rule and host: the filters' choices."""
        out: dict[str, dict[str, int]] = {k: {} for k in ("production", "zone", "severity", "rule", "host")}
        for r in self.db._rows("SELECT f.production, f.zone, f.severity, f.rule, l.host, count(*) AS n FROM findings f "
                               "JOIN locations l ON l.id = f.location_id WHERE f.resolved_at IS NULL "
                               "GROUP BY f.production, f.zone, f.severity, f.rule, l.host"):
            for key in out:
                value = r[key] if r[key] is not None else (NO_PRODUCTION if key == "production" else "")
                out[key][value] = out[key].get(value, 0) + int(r["n"])
        return out

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
