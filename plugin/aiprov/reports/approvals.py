"""`aiprov approvals`: the written approvals for final use on record."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..approvals import ApprovalList


def text(result: ApprovalList, out: TextIO, **_) -> None:
    if not result.approvals:
        out.write("no approvals on record\n")
    for r in result.approvals:
        state = f"REVOKED {r['revoked_at']} by {r['revoked_by']}: {r['revoke_reason']}" if r["revoked_at"] else "active"
        out.write(f"#{r['id']} {r['created']} {r['path']}\n    by {r['approved_by']}: {r['reason']}"
                  f"{' [' + r['reference'] + ']' if r['reference'] else ''} ({', '.join(r['categories'])}); {state}\n")


def to_json(result: ApprovalList, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_list(), indent=2, ensure_ascii=False) + "\n")


RENDERERS = {"text": text, "json": to_json}
