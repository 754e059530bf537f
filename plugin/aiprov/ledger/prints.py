"""Perceptual prints of AI sources and finals material (likeness.py matches them)."""

from __future__ import annotations

from .sql import AI_VERDICTS_SQL

PRINT_KINDS = ("still", "clip")  # likeness.STILL, likeness.CLIP: what kind_of gives a print


class Prints:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def put(self, content_id: str, kind: str, blob: bytes, quality: int | None) -> int:
        with self.db.transaction():
            self.db._q("INSERT INTO fingerprints (content_id, kind, blob, quality) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (content_id, kind) DO UPDATE SET blob = excluded.blob, quality = excluded.quality",
                    [content_id, kind, blob, quality])
            return self.db._q("SELECT id FROM fingerprints WHERE content_id = ? AND kind = ?",
                           [content_id, kind]).fetchone()[0]

    def has(self, content_id: str) -> bool:
        return bool(self.db._q("SELECT 1 FROM fingerprints WHERE content_id = ?", [content_id]).fetchone())

    def of_kind(self, kind: str, ai: bool) -> list[tuple[int, str, bytes]]:
        """(row id, content id, blob) of AI assets' prints (ai=True) or of the others'."""
        op = "IN" if ai else "NOT IN"
        return [(r[0], r[1], bytes(r[2])) for r in self.db._q(
            f"SELECT f.id, f.content_id, f.blob FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            f"WHERE f.kind = ? AND a.verdict {op} {AI_VERDICTS_SQL} AND length(f.blob) > 0", [kind])]

    def has_sources(self, kind: str | None) -> bool:
        """Whether any AI asset has a print of this kind (None: of any kind); else finals material
        need not be printed yet."""
        if kind is None:
            return bool(self.db._q(
                "SELECT 1 FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
                f"WHERE a.verdict IN {AI_VERDICTS_SQL} AND length(f.blob) > 0 LIMIT 1").fetchone())
        return bool(self.db._q(
            "SELECT 1 FROM fingerprints f JOIN assets a ON a.content_id = f.content_id "
            f"WHERE f.kind = ? AND a.verdict IN {AI_VERDICTS_SQL} AND length(f.blob) > 0 LIMIT 1",
            [kind]).fetchone())

    def owner(self, row_id: int) -> str | None:
        row = self.db._q("SELECT content_id FROM fingerprints WHERE id = ?", [row_id]).fetchone()
        return row[0] if row else None

    def printed_among(self, content_ids: list[str]) -> set[str]:
        return {r["content_id"] for r in self.db._in("SELECT DISTINCT content_id FROM fingerprints "
                                                  "WHERE content_id IN ({})", content_ids)}

    def source_kinds(self) -> set[str]:
        """The kinds (still, clip) of which some AI asset has a print: only those are matched against.
        Asked kind by kind: every rescan asks, and a facility's ledger holds millions of prints (of its
        finals material too). Whether there is any print of a kind is read from its index alone (a
        kind nobody prints, clips in a ledger of frames, costs nothing); then the first AI one ends
        the search (where there are prints, there are sources: finals material is printed for them)."""
        return {kind for kind in PRINT_KINDS
                if self.db._q("SELECT 1 FROM fingerprints WHERE kind = ? LIMIT 1", [kind]).fetchone()
                and self.has_sources(kind)}

    def owed_in_finals(self, kinds: set[str]) -> set[str]:
        """Non-AI contents live in a finals zone, of a kind some AI source has a print of, that have no
        print yet: a rescan prints them even though they did not change (a source came later)."""
        media = [f"a.media_type LIKE '{prefix}/%'" for kind, prefix in (("still", "image"), ("clip", "video"))
                 if kind in kinds]
        if not media:
            return set()
        return {r[0] for r in self.db._q(
            f"SELECT DISTINCT a.content_id FROM assets a WHERE a.verdict NOT IN {AI_VERDICTS_SQL} "
            f"AND a.verdict <> 'unreadable' AND ({' OR '.join(media)}) "
            "AND NOT EXISTS (SELECT 1 FROM fingerprints f WHERE f.content_id = a.content_id) "
            "AND EXISTS (SELECT 1 FROM locations l WHERE l.content_id = a.content_id AND l.zone = 'finals' "
            "AND l.gone = 0)")}
