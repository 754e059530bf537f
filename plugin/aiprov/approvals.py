"""Recording written approvals for final use, keyed by content.

An approval belongs to the bytes, not the path: a renamed or copied file
stays approved, and a re-export (new bytes) needs its own approval.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import UnreadableMedia
from .walk import entry_for

if TYPE_CHECKING:
    from .config import Config
    from .ledger import Ledger


@dataclass
class ApprovalList:
    """`aiprov approvals`: the approvals on record, as the ledger keeps them, oldest first."""

    approvals: list[dict] = field(default_factory=list)
    exit_code = 0

    def to_list(self) -> list[dict]:
        return self.approvals


def list_approvals(ledger: Ledger, include_revoked: bool = False) -> ApprovalList:
    return ApprovalList(ledger.approvals.all(include_revoked=include_revoked))


def approve_files(fspaths: Iterable[bytes], ledger: Ledger, config: Config, *, by: str, reason: str,
                  reference: str | None, categories: list[str],
                  answers: dict[str, str]) -> Iterator[tuple[str, int, str, str]]:
    """Approve each file's content, then judge and record it as `scan` does: a finding it had in
    finals is resolved at once. Yields (path, approval id, content id, verdict)."""
    from .checking import Checker  # numpy and the readers: only for approving, not for listing

    fspaths = [os.path.abspath(os.fsencode(p)) for p in fspaths]
    with Checker(config, ledger, workers=1) as checker:
        read = checker.read(fspaths)
        ids = {}
        for p in fspaths:
            insp = read[p]
            if not insp.content_id:
                raise UnreadableMedia(f"{insp.path}: cannot approve a file that cannot be read ({insp.error})")
            ids[p] = ledger.approvals.add(insp.content_id, by, reason, reference, categories, answers, insp.path)
        checked = {c.inspection.fspath: c.inspection for c in checker.check([entry_for(p) for p in fspaths],
                                                                            already_read=read)}
        for p in fspaths:  # a file in an ignored zone is approved all the same, and not recorded
            insp = checked.get(p, read[p])
            yield insp.path, ids[p], insp.content_id, insp.verdict
