"""`aiprov timeline`: the cuts that use AI material, where they sit, and what to do about each."""

from __future__ import annotations

import json
import os
import shlex
from typing import TYPE_CHECKING, TextIO

from ..errors import NoLedger
from ..timeline import APPROVED, CANNOT_CHECK, DERIVED, FLAGGED, NOT_NEEDED, UNAPPROVED

if TYPE_CHECKING:
    from ..timeline import TimelineReport

LABELS = {UNAPPROVED: "UNAPPROVED AI", DERIVED: "FROM UNAPPROVED AI", APPROVED: "approved AI",
          CANNOT_CHECK: "CANNOT CHECK", NOT_NEEDED: "not AI", FLAGGED: "FLAGGED"}


def approve_hint(path: str, ledger_path: str | None) -> str:
    """The command that records the missing approval, ready to paste into a shell."""
    return (f"aiprov approve {shlex.quote(path)} --by NAME --reason TEXT --reference STUDIO-REF"
            + (f" --ledger {shlex.quote(ledger_path)}" if ledger_path else ""))


def text(result: TimelineReport, out: TextIO, *, verbose: bool = False, ledger_path: str | None = None, **_) -> None:
    """The cuts using AI or unchecked media (every cut with verbose), then a count."""
    def say(line: str) -> None:
        out.write(line + "\n")

    say(f"{result.name or os.path.basename(result.edit)}: {len(result.cuts)} cut(s) at {result.rate:g} fps, "
        f"starting {result.start_timecode}")
    for c in result.cuts:
        if not (verbose or c.uses_ai or c.unchecked or c.problem):
            continue
        where = f"{c.record_in}-{c.record_out} ({c.start_seconds:.3f}-{c.end_seconds:.3f} s)"
        muted = "" if c.enabled else " [disabled clip]"
        say(f"{LABELS.get(c.approval, c.approval):<18} {c.track or '?':<6} {where}  {c.clip!r}{muted}")
        say(f"    file: {c.file or c.media or '(none)'}")
        if c.approval in (CANNOT_CHECK, FLAGGED):
            say(f"    {c.verdict}: {c.reason}")
        elif c.uses_ai or verbose:
            say(f"    {c.verdict}{' by ' + c.generator if c.generator else ''}" + (f"; {c.reason}" if c.reason else ""))
        if c.approval == APPROVED:
            say("    " + "; ".join(f"approval #{a['id']} by {a['by']}" + (f" [{a['reference']}]" if a['reference'] else "")
                                   for a in c.approvals))
        elif c.problem and c.file:
            say("    no approval for final use: replace it in the cut, or record the written approval:\n"
                f"    {approve_hint(c.file, ledger_path)}")
    ai = result.ai_cuts
    approved = sum(1 for c in ai if c.approval == APPROVED)
    say(f"{len(ai)} cut(s) use AI material: {approved} approved, {len(result.problems)} without approval"
        + (f"; {len(result.unchecked)} cut(s) cannot be checked" if result.unchecked else ""))


def to_json(result: TimelineReport, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


def notes_before(result: TimelineReport, **_) -> list[str]:
    if not result.no_ledger_at:
        return []
    return [f"{NoLedger(result.no_ledger_at)}. Checking the edit from its files alone: no approval or lineage is "
            "known, so every AI cut counts as unapproved"]


RENDERERS = {"text": text, "json": to_json}
