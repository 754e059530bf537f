"""The nearest unapproved AI material a file was made from, through every kind of lineage.

Two kinds of edges lead from a file to what it was made from: the ledger's
recorded edges (C2PA ingredients, registrations, near-duplicates, tagged
versions), by content id; and comp scripts, by path: the render nodes whose
output the file is, then the files read upstream of them (ledger/scripts.py).
A script's row is a node of the walk of its own, between a render and its
inputs, so every frame of a thousand-frame render reaches the same row and the
row's answer is worked out once: a judgement of a whole render costs about what
one frame costs. One Ancestry serves one judgement (its memory is of the ledger
as it is now).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .ledger import Ledger
from .ledger.scripts import NO_INPUT, describe
from .model import AI_VERDICTS

MAX_VISITED = 50_000  # nodes one walk looks at before giving up on a verdict (a pathological ledger)

Node = tuple[str, object]  # ("c", content id) or ("r", script row id)


@dataclass(frozen=True)
class Found:
    """Unapproved AI material, and the steps from it to the file (nearest the AI first)."""

    content_id: str
    where: str
    verdict: str
    generator: str | None
    hops: tuple[str, ...]

    def describe(self) -> str:
        by = f" by {self.generator}" if self.generator else ""
        return f"{self.where}, {self.verdict}{by}; " + "; then ".join(self.hops)

    def further(self, hop: str | None) -> "Found":
        return Found(self.content_id, self.where, self.verdict, self.generator,
                     self.hops + ((hop,) if hop else ()))


class Ancestry:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._memo: dict[Node, Found | None] = {}
        self._rows: dict[int, dict] = {}
        self._made: dict[str, list[dict]] = {}  # content id -> rows of the scripts that render it
        self._recorded: set[str] = set()  # content ids with recorded edges
        self._expanded: set[str] = set()  # content ids whose edges have been asked for
        self._assets: dict[str, tuple[str | None, str | None, str]] = {}  # id -> (verdict, generator, where)
        self._approved: dict[str, bool] = {}
        self._inputs: dict[tuple, list[dict]] = {}
        self._by_path: dict[str, list[dict]] = {}  # this host's display path -> rows making it
        self._scripts: bool | None = None  # whether the ledger has any script rows at all
        self._asked: set[str] = set()  # this host's paths whose script rows have been asked for

    # -- what a batch needs, asked once ------------------------------------------------------

    def know(self, files: list[tuple[str | None, str]]) -> None:
        """A batch's (content id, display path on this host): their recorded edges, and the script
        rows that render them, here or wherever else their content is on record, asked at once."""
        self._expand([cid for cid, _ in files if cid])
        # paths on record were asked with their contents; a file `look` reads is on no record
        unasked = [p for _, p in files if p not in self._asked]
        if not unasked or not self._any_scripts():
            return
        found = self.ledger.scripts.making(unasked)
        self._by_path.update(found)
        for cid, path in files:
            if cid and path in found:
                self._note_rows(cid, found[path])

    def has_lineage(self, content_id: str) -> bool:
        """Whether the walk has anywhere to go from this content (after `know`)."""
        self._expand([content_id])
        return content_id in self._recorded or bool(self._made.get(content_id))

    def _any_scripts(self) -> bool:
        if self._scripts is None:
            self._scripts = self.ledger.scripts.any()
        return self._scripts

    def made_by_script(self, path: str) -> list[dict]:
        """The script rows that render this file (this host), as asked in `know`."""
        return self._by_path.get(path, [])

    def script_rows(self, content_id: str) -> list[dict]:
        """The rows of the scripts that render this content, wherever it is on record (after `know`)."""
        self._expand([content_id])
        return list(self._made.get(content_id, []))

    def inputs(self, row: dict) -> list[dict]:
        """The recorded files a row's input names, with their verdicts."""
        return [] if row["input_key"] is None else self._files(row)

    def unknown(self, path: str) -> list[str]:
        """The inputs of the scripts rendering this file whose paths aiprov could not work out."""
        return list(dict.fromkeys(describe(r) for r in self._by_path.get(path, ()) if r["why"]))

    def _note_rows(self, cid: str, rows: list[dict]) -> None:
        have = self._made.setdefault(cid, [])
        ids = {r["id"] for r in have}
        for r in rows:
            self._rows[r["id"]] = r
            if r["id"] not in ids:
                have.append(r)
                ids.add(r["id"])

    # -- the walk ---------------------------------------------------------------------------

    def of(self, content_id: str | None) -> Found | None:
        """The nearest unapproved AI material this content was made from, or None."""
        if not content_id:
            return None
        start: Node = ("c", content_id)
        if start in self._memo:
            return self._memo[start]
        came: dict[Node, tuple[Node, str | None]] = {}
        seen, todo = {start}, deque([start])
        while todo and len(seen) < MAX_VISITED:
            node = todo.popleft()
            edges = self._edges(node)
            self._learn([p for p, _ in edges if p[0] == "c"])
            for parent, hop in edges:
                if parent in seen:
                    continue
                if parent[0] == "c" and self._unapproved_ai(parent[1]):
                    verdict, generator, where = self._assets[parent[1]]
                    found = Found(parent[1], where, verdict, generator, (hop,) if hop else ())
                    return self._remember(found, node, came, start)
                known = self._memo.get(parent, False)
                if known is None:
                    continue  # explored before: nothing above it
                if known:
                    return self._remember(known.further(hop), node, came, start)
                seen.add(parent)
                came[parent] = (node, hop)
                todo.append(parent)
        if not todo:  # everything above was looked at: nothing there, for any of it
            for node in seen:
                self._memo[node] = None
        return None

    def _remember(self, found: Found, node: Node, came: dict, start: Node) -> Found:
        """The answer for `node` and every node between it and the start of the walk."""
        self._memo[node] = found
        while node != start:
            node, hop = came[node][0], came[node][1]
            found = found.further(hop)
            self._memo[node] = found
        return found

    def _edges(self, node: Node) -> list[tuple[Node, str | None]]:
        kind, value = node
        if kind == "r":
            row = self._rows[value]
            if row["input_key"] is None or row["reader"] == NO_INPUT:
                return []
            hop = f"comp-script: {describe(row)}"
            return [(("c", f["content_id"]), hop) for f in self._files(row)]
        cid = value
        self._expand([cid])
        out: list[tuple[Node, str | None]] = []
        if cid in self._recorded:
            for edge in self.ledger.lineage.parents(cid):
                for pid in edge["parent_ids"]:
                    out.append((("c", pid), f"{edge['kind']}: {edge['reason']}"))
        out += [(("r", r["id"]), None) for r in self._made.get(cid, [])]
        return out

    def _files(self, row: dict) -> list[dict]:
        k = (row["host"], row["input_key"], row["first_frame"], row["last_frame"])
        if k not in self._inputs:
            files = self.ledger.scripts.files(row["input_key"], row["host"], row["first_frame"], row["last_frame"])
            self._inputs[k] = files
            for f in files:
                self._assets.setdefault(f["content_id"], (f["verdict"], f["generator"], f["path"]))
            self._expand([f["content_id"] for f in files])
        return self._inputs[k]

    def prime(self, content_id: str, recorded: bool, places: list[tuple[str, str]]) -> None:
        """What the caller has asked the ledger already of one content (whether it has recorded edges,
        its (host, path) places, gone ones too), so that `_expand` does not ask it again: a lookup on a
        shared ledger pays a round trip per question."""
        if content_id in self._expanded:
            return
        self._expanded.add(content_id)
        if recorded:
            self._recorded.add(content_id)
        where: dict[str, dict[str, list[str]]] = {}
        for host, path in places:
            where.setdefault(host, {}).setdefault(path, []).append(content_id)
        self._scripts_making(where)  # asked outright: asking first whether any script is on record costs as much

    def _expand(self, cids: list[str]) -> None:
        """Which of these contents have recorded edges, and which script rows render them: asked for all at once."""
        todo = [c for c in dict.fromkeys(cids) if c not in self._expanded]
        if not todo:
            return
        self._expanded.update(todo)
        self._recorded |= self.ledger.lineage.with_parents(todo)
        if not self._any_scripts():
            return
        where: dict[str, dict[str, list[str]]] = {}  # host -> path -> content ids
        for r in self.ledger._in("SELECT content_id, host, path FROM locations WHERE content_id IN ({})", todo):
            where.setdefault(r["host"], {}).setdefault(r["path"], []).append(r["content_id"])
        self._scripts_making(where)

    def _scripts_making(self, where: dict[str, dict[str, list[str]]]) -> None:
        """The script rows rendering these places (host -> path -> content ids there), one question a host."""
        for host, paths in where.items():
            found = self.ledger.scripts.making(list(paths), host)
            if host == self.ledger.host:
                self._asked.update(paths)
                self._by_path.update(found)
            for path, rows in found.items():
                for cid in paths[path]:
                    self._note_rows(cid, rows)

    def _learn(self, nodes: list[Node]) -> None:
        """Verdicts and approvals of these contents, for those not known yet: one question each."""
        cids = [n[1] for n in nodes if n[1] not in self._assets]
        if cids:
            got = {r["content_id"]: r for r in self.ledger._in(
                "SELECT content_id, verdict, generator FROM assets WHERE content_id IN ({})", cids)}
            ai = [c for c, r in got.items() if r["verdict"] in AI_VERDICTS]
            places = {}
            for r in self.ledger._in("SELECT content_id, host, path FROM locations WHERE content_id IN ({}) "
                                     "ORDER BY first_seen, id", ai):
                places[r["content_id"]] = r["path"] if r["host"] == self.ledger.host else f"{r['host']}:{r['path']}"
            for c in cids:
                r = got.get(c)
                self._assets[c] = (r["verdict"], r["generator"], places.get(c, c)) if r else (None, None, c)
        ask = [n[1] for n in nodes if n[1] not in self._approved and self._assets[n[1]][0] in AI_VERDICTS]
        if ask:
            approved = self.ledger.approvals.approved_among(ask)
            self._approved.update({c: c in approved for c in ask})

    def _unapproved_ai(self, cid: str) -> bool:
        verdict = self._assets.get(cid, (None,))[0]
        return verdict in AI_VERDICTS and not self._approved.get(cid, False)
