"""What content was made from what: edges from a child to its parents.

An edge names its parent by content id when known, else by reference (an XMP/C2PA
instance id, or a file name) that is resolved when asked, so a parent recorded after
its child is still found.
"""

from __future__ import annotations

import os

from .sql import now


class Lineage:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def add(self, child_id: str, parent_id: str | None, kind: str, reason: str,
                 parent_ref: str | None = None, parent_title: str | None = None) -> None:
        # Written at commit, with the batch's other edges in one statement: every question about
        # edges sends what waits first, so the policy still sees it.
        self.db._later("edges", "INSERT INTO edges (child_id, parent_id, parent_ref, parent_title, kind, reason, created) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       [(child_id, parent_id, parent_ref, parent_title, kind, reason, now())])

    def _resolve_refs(self, edges: list[dict]) -> list[list[str]]:
        """The content ids each edge known only by reference can mean: its XMP/C2PA instance id,
        else a file name that one content alone has. Asked for all the edges at once."""
        by_value: dict[str, set[str]] = {}
        for r in self.db._in("SELECT DISTINCT value, content_id FROM identifiers WHERE value IN ({})",
                          [e["parent_ref"] for e in edges if e["parent_ref"]]):
            by_value.setdefault(r["value"], set()).add(r["content_id"])
        by_name: dict[str, list[str]] = {}
        out = []
        for e in edges:
            ids = sorted(by_value.get(e["parent_ref"] or "", ()))
            name = e["parent_title"] or e["parent_ref"]
            if not ids and name:
                if name not in by_name:
                    by_name[name] = self._unique_name(name)
                ids = by_name[name]
            out.append(ids)
        return out

    def _unique_name(self, name: str) -> list[str]:
        """The one content found under this file name (or path ending), or none when several are."""
        like = "%/" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # The indexed file name finds the candidates (a suffix LIKE alone reads every location:
        # 0.15 s at 1M); the path test keeps a title with folders in it ("plates/sky.exr") exact.
        # Two distinct contents are enough to know the name is not unique (frame.1001.exr is in every shot).
        rows = self.db._rows("SELECT DISTINCT content_id FROM locations WHERE name = ? AND (path = ? OR path LIKE ? "
                          "ESCAPE '\\') AND content_id IS NOT NULL LIMIT 2", [name.rsplit("/", 1)[-1], name, like])
        return [rows[0]["content_id"]] if len(rows) == 1 else []

    def parents(self, content_id: str) -> list[dict]:
        edges = self.db._rows("SELECT * FROM edges WHERE child_id = ? ORDER BY id", [content_id])
        unresolved = [e for e in edges if not e["parent_id"]]
        resolved = dict(zip((e["id"] for e in unresolved), self._resolve_refs(unresolved)))
        return [{**e, "parent_ids": [e["parent_id"]] if e["parent_id"] else resolved[e["id"]]} for e in edges]

    def children(self, content_id: str, locations: list | None = None) -> list[dict]:
        """Edges to this content: resolved, or by one of its identifiers or file names (`locations`:
        its locations, when the caller has them already: one round trip fewer)."""
        direct = self.db._rows("SELECT * FROM edges WHERE parent_id = ? ORDER BY id", [content_id])
        refs = [r["value"] for r in self.db._rows("SELECT value FROM identifiers WHERE content_id = ?", [content_id])]
        if locations is None:
            locations = self.db.locations.of(content_id)
        refs += [os.path.basename(loc.path) for loc in locations]
        by_ref = []
        if refs:
            fragment, params = self.db.backend.in_list(list(dict.fromkeys(refs)))
            # Two arms, not "parent_ref IN (...) OR parent_title IN (...)": SQLite answers the OR by reading
            # every unresolved edge (22 ms a lookup at ten million assets), each arm by its own index.
            by_ref = self.db._rows(f"SELECT * FROM edges WHERE parent_id IS NULL AND parent_ref {fragment} UNION "
                                   f"SELECT * FROM edges WHERE parent_id IS NULL AND parent_title {fragment} ORDER BY id",
                                   params + params)
        return direct + [e for e, ids in zip(by_ref, self._resolve_refs(by_ref)) if content_id in ids]

    def ancestors(self, content_id: str, limit: int = 1000) -> list[tuple[str, dict]]:
        """Every (ancestor content id, edge that led to it), nearest first; cycles are cut."""
        seen, out, todo = {content_id}, [], [content_id]
        while todo and len(out) < limit:
            cid = todo.pop(0)
            for edge in self.parents(cid):
                for pid in edge["parent_ids"]:
                    if pid not in seen:
                        seen.add(pid)
                        out.append((pid, edge))
                        todo.append(pid)
        return out

    def with_parents(self, content_ids: list[str]) -> set[str]:
        """Which of these contents have any lineage edge to a parent (only those need their ancestors walked)."""
        return {r["child_id"] for r in self.db._in("SELECT DISTINCT child_id FROM edges WHERE child_id IN ({})",
                                                content_ids)}

    def children_with_parents(self) -> set[str]:
        """Every content with an edge to a parent (only those can be derived from AI)."""
        return {r[0] for r in self.db._q("SELECT DISTINCT child_id FROM edges")}
