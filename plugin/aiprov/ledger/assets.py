"""What each content is: its verdict and evidence as recorded, and its history of events."""

from __future__ import annotations

import json
from typing import Callable

from ..model import C2paReport, Evidence, Ingredient, Inspection
from ..version import RULES_VERSION
from .sql import AI_VERDICTS_SQL, now


class Assets:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def get(self, content_id: str) -> dict | None:
        rows = self.db._rows("SELECT * FROM assets WHERE content_id = ?", [content_id])
        return rows[0] if rows else None

    def inspection(self, content_id: str, path: str) -> Inspection | None:
        """The recorded verdict of an asset, as an Inspection (used when a file is unchanged)."""
        a = self.get(content_id)
        if a is None:
            return None
        return _inspection(a, self.db._rows("SELECT * FROM evidence WHERE content_id = ? ORDER BY id", [content_id]), path)

    def inspections(self, content_ids: list[str]) -> dict[str, Inspection]:
        """Recorded verdicts of many assets (paths left empty: the caller knows them)."""
        return self.inspections_soon(content_ids)()

    def inspections_soon(self, content_ids: list[str]) -> Callable[[], dict[str, Inspection]]:
        """`inspections`, the assets asked now (their evidence, when any is on record, when answered)."""
        rows = self.db._in_soon("SELECT * FROM assets WHERE content_id IN ({})", content_ids)

        def answer() -> dict[str, Inspection]:
            assets = {r["content_id"]: r for r in rows()}
            evidence: dict[str, list[dict]] = {}
            for r in self.db._in("SELECT * FROM evidence WHERE content_id IN ({}) ORDER BY id", list(assets)):
                evidence.setdefault(r["content_id"], []).append(r)
            return {cid: _inspection(a, evidence.get(cid, []), "") for cid, a in assets.items()}
        return answer

    def judged_under_older_rules(self) -> set[str]:
        """Contents whose verdict was recorded under rules older than this aiprov's: what their
        metadata means may have changed, so a rescan reads their files again."""
        return {r[0] for r in self.db._q("SELECT content_id FROM assets WHERE rules IS NULL OR rules < ?",
                                         [RULES_VERSION])}

    def noteworthy(self) -> set[str]:
        """Contents a finding rule looks at whatever else is true: AI, unreadable, or carrying a C2PA
        manifest (its integrity has rules of its own). A rescan judges their unchanged files again;
        every other unchanged file is only counted."""
        return {r[0] for r in self.db._q(
            f"SELECT content_id FROM assets WHERE verdict IN {AI_VERDICTS_SQL} OR verdict = 'unreadable' "
            """OR c2pa LIKE '%"present": true%'""")}

    def record(self, insp: Inspection) -> bool:
        """Store an asset's verdict and evidence; a new asset gets its "recorded" event. True if new."""
        row = _row(insp, now())
        with self.db.transaction():
            # The upsert comes first: on a shared ledger its row lock makes a second host that read
            # the same content wait here, then replace the evidence after the first one's.
            new = self.db._db("upsert", "assets", row, "content_id", ("first_seen",))
            self._details(insp, new)
        return new

    def record_many(self, insps: list[Inspection]) -> list[bool]:
        """`record` for many contents (each once) in one statement a few hundred; whether each was new.

        Rows go in content id order, so two hosts recording overlapping batches lock them in the
        same order and neither waits on the other in a cycle."""
        t = now()
        order = sorted(range(len(insps)), key=lambda i: insps[i].content_id)
        with self.db.transaction():
            news = self.db._db("upsert_many", "assets", [_row(insps[i], t) for i in order], ("content_id",),
                               ("first_seen",))
            new_of = dict(zip(order, news))
            out = [new_of[i] for i in range(len(insps))]
            for insp, new in zip(insps, out):
                self._details(insp, new)
        return out

    def _details(self, insp: Inspection, new: bool) -> None:
        """What goes with an asset's row: its evidence (replacing the old), identifiers, ingredient
        edges, and the "recorded" event of a new one; all written at commit."""
        cid = insp.content_id
        if not new:
            self.db._later("evidence", "DELETE FROM evidence WHERE content_id = ?", [(cid,)])
        self.db._later("evidence", "INSERT INTO evidence (content_id, source, field, value, weight, implies, "
                    "generator) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(cid, e.source, e.field, e.value, e.weight, e.implies, e.generator) for e in insp.evidence])
        ids = {(cid, e.field, e.value) for e in insp.evidence if e.field.endswith(("InstanceID", "DocumentID"))}
        self.db._later("identifiers", "INSERT INTO identifiers (content_id, kind, value) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING", sorted(ids))
        for ingr in insp.c2pa.ingredients:
            ref = ingr.instance_id or ingr.document_id or ingr.title
            if ref:
                self.db.lineage.add(cid, None, "c2pa-ingredient", f"C2PA ingredient {ingr.title!r} "
                              f"({ingr.relationship or 'ingredient'})", parent_ref=ref, parent_title=ingr.title)
        if new:
            self.db.event("recorded", cid, insp.path, {"verdict": insp.verdict, "generator": insp.generator})

    def history(self, content_id: str) -> list[dict]:
        return self.db._rows("SELECT * FROM events WHERE content_id = ? ORDER BY id", [content_id])

    def ai_ever_in(self, zone: str) -> list[dict]:
        """The AI assets that have had a location in this zone, gone ones too (where content has been).

        One question for the whole ledger: a finals zone can hold a million frames, of which
        the AI ones are few, and asking per frame is a round trip each on a shared ledger.
        """
        return self.db._rows(f"SELECT * FROM assets WHERE verdict IN {AI_VERDICTS_SQL} AND content_id IN "
                          "(SELECT content_id FROM locations WHERE zone = ?) ORDER BY first_seen, content_id", [zone])


def _row(insp: Inspection, t: str) -> dict:
    return {"content_id": insp.content_id, "size": insp.size, "media_type": insp.media_type, "verdict": insp.verdict,
            "generator": insp.generator, "generator_source": insp.generator_source, "rules": insp.rules,
            "digital_source_type": insp.digital_source_type,
            "reason": insp.reason, "error": insp.error, "c2pa": json.dumps(insp.c2pa.to_dict()),
            "warnings": json.dumps(insp.warnings), "last_seen": t, "first_seen": t}


def _inspection(a: dict, evidence: list[dict], path: str) -> Inspection:
    c2pa = json.loads(a["c2pa"]) if a["c2pa"] else {}
    report = C2paReport(**{k: v for k, v in c2pa.items() if k != "ingredients"})
    report.ingredients = [Ingredient(**i) for i in c2pa.get("ingredients", [])]
    return Inspection(path=path, verdict=a["verdict"], generator=a["generator"],
                      generator_source=a.get("generator_source"), rules=a.get("rules") or 1,
                      digital_source_type=a["digital_source_type"], c2pa=report,
                      evidence=[Evidence(r["source"], r["field"], r["value"], r["weight"], r["implies"], r["generator"])
                                for r in evidence],
                      error=a["error"], media_type=a["media_type"], size=a["size"], content_id=a["content_id"],
                      warnings=json.loads(a["warnings"] or "[]"), reason=a["reason"])
