"""Recording written approvals for final use, keyed by content.

An approval belongs to the bytes, not the path: a renamed or copied file
stays approved, and a re-export (new bytes) needs its own approval.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from .isolation import ReaderPool
from .ledger import Ledger
from .reader import ReadSettings


def approve_files(fspaths: Iterable[bytes], ledger: Ledger, *, by: str, reason: str, reference: str | None,
                  categories: list[str], answers: dict[str, str]) -> Iterator[tuple[str, int, str, str]]:
    """Approve each file; yields (path, approval id, content id, verdict)."""
    with ReaderPool(ReadSettings(want_content_id=True), workers=1) as pool:
        for insp in pool.read_many(fspaths):
            if not insp.content_id:
                from .errors import UnreadableMedia

                raise UnreadableMedia(f"{insp.path}: cannot approve a file that cannot be read ({insp.error})")
            with ledger.transaction():
                if ledger.assets.get(insp.content_id) is None:
                    ledger.assets.record(insp)
                approval_id = ledger.approvals.add(insp.content_id, by, reason, reference, categories, answers, insp.path)
            yield insp.path, approval_id, insp.content_id, insp.verdict
