"""Written approvals for final use, keyed by content; a revocation keeps the record."""

from __future__ import annotations

import json

from ..errors import LedgerError
from .sql import now


class Approvals:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def add(self, content_id: str, approved_by: str, reason: str, reference: str | None,
                categories: list[str], answers: dict[str, str], path: str | None,
                signed_in_as: str | None = None) -> int:
        """`signed_in_as`: the desk account whose sign-in or token recorded it (None from the command line)."""
        with self.db.transaction():
            row = {"content_id": content_id, "approved_by": approved_by, "reason": reason, "reference": reference,
                   "categories": json.dumps(categories), "answers": json.dumps(answers), "path": path,
                   "created": now()}
            if signed_in_as:
                row["signed_in_as"] = signed_in_as
            approval_id = self.db._insert("approvals", row)
            detail = {"approval": approval_id, "by": approved_by, "reference": reference}
            if signed_in_as:
                detail["signed_in_as"] = signed_in_as
            self.db.event("approved", content_id, path, detail)
            return approval_id

    def revoke(self, approval_id: int, revoked_by: str, reason: str) -> dict:
        with self.db.transaction():
            rows = self.db._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])
            if not rows:
                raise LedgerError(f"there is no approval #{approval_id} (see `aiprov approvals`)")
            if rows[0]["revoked_at"]:
                raise LedgerError(f"approval #{approval_id} was already revoked on {rows[0]['revoked_at']}")
            self.db._update("approvals", approval_id, {"revoked_at": now(), "revoked_by": revoked_by,
                                                      "revoke_reason": reason})
            self.db.event("approval-revoked", rows[0]["content_id"], rows[0]["path"],
                       {"approval": approval_id, "by": revoked_by, "reason": reason})
            return self.db._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])[0]

    def get(self, approval_id: int) -> dict | None:
        rows = self.db._rows("SELECT * FROM approvals WHERE id = ?", [approval_id])
        return _approval(rows[0]) if rows else None

    def of(self, content_id: str, include_revoked: bool = False) -> list[dict]:
        sql = "SELECT * FROM approvals WHERE content_id = ?" + ("" if include_revoked else " AND revoked_at IS NULL")
        return [_approval(r) for r in self.db._rows(sql + " ORDER BY id", [content_id])]

    def all(self, include_revoked: bool = True) -> list[dict]:
        sql = "SELECT * FROM approvals" + ("" if include_revoked else " WHERE revoked_at IS NULL")
        return [_approval(r) for r in self.db._rows(sql + " ORDER BY id")]

    def active_for_many(self, content_ids: list[str]) -> dict[str, list[dict]]:
        """The active approvals of each of these contents, asked once for a batch."""
        out: dict[str, list[dict]] = {}
        for r in self.db._in("SELECT * FROM approvals WHERE revoked_at IS NULL AND content_id IN ({}) ORDER BY id",
                             content_ids):
            out.setdefault(r["content_id"], []).append(_approval(r))
        return out

    def approved_among(self, content_ids: list[str]) -> set[str]:
        """Which of these contents have an active approval for final use."""
        return {r["content_id"] for r in self.db._in("SELECT DISTINCT content_id FROM approvals "
                                                  "WHERE revoked_at IS NULL AND content_id IN ({})", content_ids)}


def _approval(row: dict) -> dict:
    return {**row, "categories": json.loads(row["categories"] or "[]"), "answers": json.loads(row["answers"] or "{}")}
