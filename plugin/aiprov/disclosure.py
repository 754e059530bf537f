"""`aiprov report disclosure`: the generative-AI disclosure a production sends its studio.

Every AI asset (verdict `ai` or `ai-composite`) that reached a finals zone, at
any time (a live location, or one since moved or deleted), with its written
approval(s) for final use: who, when, why, the studio's reference, the
categories and the answers to the five guiding questions. And every AI asset
in finals that has no active approval, which must not be delivered as it is.

Read-only: built from the ledger alone (schemas/disclosure.schema.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .approval_form import QUESTIONS
from .version import __version__
from .ledger import Ledger
from .policy import FINALS

APPROVED, UNAPPROVED, REVOKED = "approved", "unapproved", "revoked"


def _approval_entry(a: dict) -> dict:
    answers = a.get("answers") or {}
    return {
        "id": a["id"],
        "approved_by": a["approved_by"],
        "signed_in_as": a.get("signed_in_as"),
        "approved_at": a["created"],
        "reason": a["reason"],
        "reference": a["reference"],
        "categories": list(a.get("categories") or []),
        "answers": {q: answers.get(q) for q in QUESTIONS},
        "path": a.get("path"),
        "revoked": bool(a["revoked_at"]),
        "revoked_at": a["revoked_at"],
        "revoked_by": a["revoked_by"],
        "revoke_reason": a["revoke_reason"],
    }


def _ledger_id(ledger: Ledger) -> str | None:
    from .errors import LedgerError

    try:
        return ledger.ledger_id()
    except LedgerError:  # a read-only ledger that never had an id written
        return None


@dataclass
class DisclosureReport:
    """Every AI asset that reached finals, each a plain entry as schemas/disclosure.schema.json
    has it: approved (an active approval) or not."""

    production: str | None
    generated: str  # ISO 8601, UTC
    ledger: str
    ledger_id: str | None
    approved: list[dict] = field(default_factory=list)
    unapproved: list[dict] = field(default_factory=list)
    exit_code = 0  # a disclosure is a record, not a gate: `scan` is the gate

    @property
    def summary(self) -> dict:
        return {"ai_assets_in_finals": len(self.approved) + len(self.unapproved), "approved": len(self.approved),
                "unapproved": len(self.unapproved),
                "still_in_finals_unapproved": sum(1 for e in self.unapproved if e["in_finals_now"])}

    def to_dict(self) -> dict:
        return {"aiprov": __version__, "report": "generative-ai-disclosure", "production": self.production,
                "generated": self.generated, "ledger": self.ledger, "ledger_id": self.ledger_id,
                "questions": {q: text for q, (_, text) in QUESTIONS.items()}, "summary": self.summary,
                "approved": self.approved, "unapproved": self.unapproved}


def build(ledger: Ledger, production: str | None = None) -> DisclosureReport:
    """The disclosure, from the ledger alone."""
    approved, unapproved = [], []
    for asset in ledger.assets.ai_ever_in(FINALS):
        cid = asset["content_id"]
        approvals = [_approval_entry(a) for a in ledger.approvals.of(cid, include_revoked=True)]
        active = [a for a in approvals if not a["revoked"]]
        locations = [{"path": r["path"], "host": r["host"], "zone": r["zone"], "gone": bool(r["gone"]),
                      "first_seen": r["first_seen"], "last_seen": r["last_seen"], "gone_at": r["gone_at"]}
                     for r in ledger.locations.records(cid)]
        finals = [l for l in locations if l["zone"] == FINALS]
        entry = {
            "content_id": cid,
            "status": APPROVED if active else (REVOKED if approvals else UNAPPROVED),
            "verdict": asset["verdict"],
            "generator": asset["generator"],
            "digital_source_type": asset["digital_source_type"],
            "evidence": asset["reason"],
            "media_type": asset["media_type"],
            "size": asset["size"],
            "first_seen": asset["first_seen"],
            "in_finals_now": any(not l["gone"] for l in finals),
            "finals_paths": [l["path"] for l in finals],
            "locations": locations,
            "registrations": [{"tool": r["tool"], "tool_version": r["tool_version"], "status": r["status"],
                               "registered_at": r["created"]} for r in ledger.registrations.of(cid)],
            "approvals": approvals,
        }
        (approved if active else unapproved).append(entry)
    key = lambda e: (e["finals_paths"][0] if e["finals_paths"] else "", e["content_id"])  # noqa: E731
    approved.sort(key=key)
    unapproved.sort(key=key)
    return DisclosureReport(production=production, generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            ledger=ledger.path, ledger_id=_ledger_id(ledger), approved=approved, unapproved=unapproved)
