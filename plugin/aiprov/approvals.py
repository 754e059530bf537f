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
                  answers: dict[str, str], signed_in_as: str | None = None) -> Iterator[tuple[str, int, str, str]]:
    """Approve each file's content, then judge and record it as `scan` does: a finding it had in
    finals is resolved at once. Yields (path, approval id, content id, verdict). `signed_in_as`: the
    desk account that recorded it."""
    from .checking import Checker  # numpy and the readers: only for approving, not for listing

    fspaths = [os.path.abspath(os.fsencode(p)) for p in fspaths]
    with Checker(config, ledger, workers=1) as checker:
        read = checker.read(fspaths)
        ids = {}
        for p in fspaths:
            insp = read[p]
            if not insp.content_id:
                raise UnreadableMedia(f"{insp.path}: cannot approve a file that cannot be read ({insp.error})")
            ids[p] = ledger.approvals.add(insp.content_id, by, reason, reference, categories, answers, insp.path,
                                          signed_in_as)
        checked = {c.inspection.fspath: c.inspection for c in checker.check([entry_for(p) for p in fspaths],
                                                                            already_read=read)}
        for p in fspaths:  # a file in an ignored zone is approved all the same, and not recorded
            insp = checked.get(p, read[p])
            yield insp.path, ids[p], insp.content_id, insp.verdict


@dataclass
class ContentApproval:
    """One content approved by id: its approval, and how its live locations were judged after."""

    content_id: str
    approval_id: int
    verdict: str
    paths: list[str]  # its live locations, as people read them (another host's prefixed with it)
    still_open: list[dict]  # findings that remain at those locations (another rule: an AI ancestor, ...)

    def to_dict(self) -> dict:
        return {"content_id": self.content_id, "approval_id": self.approval_id, "verdict": self.verdict,
                "paths": self.paths, "still_open": self.still_open}


def approve_contents(content_ids: Iterable[str], ledger: Ledger, *, by: str, reason: str, reference: str | None,
                     categories: list[str], answers: dict[str, str], signed_in_as: str | None = None,
                     production: str | None = None) -> list[ContentApproval]:
    """Approve contents the ledger knows, by content id (the desk and its API, where the reviewer
    has no path on their machine), then judge every live location of each again from the record,
    so the findings the approval answers resolve at once, on every host. All or nothing: an id the
    ledger does not know approves none of them."""
    from .checking import judge_recorded
    from .errors import NotInLedger

    content_ids = list(dict.fromkeys(content_ids))
    known = ledger.assets.inspections(content_ids)
    unknown = [c for c in content_ids if c not in known]
    if unknown:
        raise NotInLedger(f"the ledger has no content {', '.join(unknown)}: nothing was approved")
    ids = {}
    with ledger.transaction():
        for cid in content_ids:
            locs = ledger.locations.of(cid, include_gone=False)
            ids[cid] = ledger.approvals.add(cid, by, reason, reference, categories, answers,
                                            ledger.locations.where(locs[0]) if locs else None, signed_in_as)
        judged = judge_recorded(ledger, content_ids, production)
    out = []
    for cid in content_ids:
        mine = [c for c in judged if c.inspection.content_id == cid]
        out.append(ContentApproval(cid, ids[cid], known[cid].verdict,
                                   [ledger.locations.where(c.location) for c in mine],
                                   [{"path": ledger.locations.where(c.location), **f.to_dict()}
                                    for c in mine for f in c.findings]))
    return out


def revoke_approval(approval_id: int, ledger: Ledger, *, by: str, reason: str) -> dict:
    """Revoke an approval (the record stays, marked revoked), then judge its content's live
    locations again: in finals without another approval, it is flagged at once."""
    from .checking import judge_recorded

    with ledger.transaction():
        row = ledger.approvals.revoke(approval_id, by, reason)
        judge_recorded(ledger, [row["content_id"]])
    return row
