"""What the ledger was told at birth (`aiprov register`): the content is AI output of a tool."""

from __future__ import annotations

from typing import Callable

from .sql import now


class Registrations:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def add(self, content_id: str, tool: str, tool_version: str | None, prompt: str | None, note: str | None,
                 status: str, composite: bool, path: str | None) -> int:
        with self.db.transaction():
            reg_id = self.db._insert("registrations", {
                "content_id": content_id, "tool": tool, "tool_version": tool_version, "prompt": prompt, "note": note,
                "status": status, "composite": int(composite), "path": path, "created": now()})
            self.db.event("registered", content_id, path, {"tool": tool, "version": tool_version, "status": status})
            return reg_id

    def of(self, content_id: str) -> list[dict]:
        return self.db._rows("SELECT * FROM registrations WHERE content_id = ? ORDER BY id", [content_id])

    def of_many(self, content_ids: list[str]) -> dict[str, list[dict]]:
        """The registrations of each of these contents, asked once for a batch."""
        return self.of_many_soon(content_ids)()

    def of_many_soon(self, content_ids: list[str]) -> Callable[[], dict[str, list[dict]]]:
        rows = self.db._in_soon("SELECT * FROM registrations WHERE content_id IN ({}) ORDER BY id", content_ids)

        def answer() -> dict[str, list[dict]]:
            out: dict[str, list[dict]] = {}
            for r in rows():
                out.setdefault(r["content_id"], []).append(r)
            return out
        return answer
