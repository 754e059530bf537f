"""What aiprov finds wrong with a checked file: one ordered list of rules, shared by every entry point.

The rule: generative-AI material is temporary unless approved for final
use. AI in a working zone is fine; in a finals zone it needs a written
approval on record for that content. A file in finals that cannot be read is
a finding too (fail closed): nothing it might hide was seen. So is a C2PA
manifest nobody can read or check: it may declare AI.

Each rule takes a `checking.Checked` (inspection, zone, approvals, nearest
unapproved AI ancestor) and returns its finding or None. `scan`, the daemon,
`lookup`, `timeline` and the pyblish validator all ask `findings()`, so a rule
added to RULES reaches every one of them. Rules say what happened and what to
do; how it reads on a terminal, in a cut list or to an artist is the
reports' business.
"""

from __future__ import annotations

from typing import Callable

from .markers import is_prompt_hint
from .model import AI, AI_VERDICTS, MALFORMED, TAMPERED, UNCHECKED_MANIFEST, UNREADABLE, Finding

FINALS, WORKING, IGNORED = "finals", "working", "ignored"
APPROVE_HINT = "aiprov approve PATH --by NAME --reason TEXT --reference STUDIO-REF"


def _finding(checked, rule: str, severity: str, message: str) -> Finding:
    insp = checked.inspection
    return Finding(rule=rule, severity=severity, message=message, path=insp.path, content_id=insp.content_id,
                   zone=checked.zone)


def ai_in_finals(c) -> Finding | None:
    insp = c.inspection
    if c.zone != FINALS or insp.verdict not in AI_VERDICTS or c.approved:
        return None
    what = "AI-generated material" if insp.verdict == AI else "Partly AI-generated material (composite)"
    by = f" from {insp.generator}" if insp.generator else ""
    return _finding(c, "ai-in-finals", "error",
                    f"{what}{by} is in a finals zone without an approval for final use. Evidence: {insp.reason}. "
                    f"Replace it with non-AI material, or record the written approval: {APPROVE_HINT}")


def unreadable_in_finals(c) -> Finding | None:
    if c.zone != FINALS or c.inspection.verdict != UNREADABLE:
        return None
    return _finding(c, "unreadable-in-finals", "error",
                    f"cannot be checked, so it cannot be delivered: {c.inspection.error}. Re-export or re-copy the file")


def derived_from_ai(c) -> Finding | None:
    if c.zone != FINALS or not c.ai_ancestor or c.approved or c.inspection.verdict in AI_VERDICTS:
        return None
    return _finding(c, "derived-from-ai", "error",
                    f"made from unapproved AI material ({c.ai_ancestor}). Approve the source or this file, "
                    "or replace it")


def lineage_unknown(c) -> Finding | None:
    unknown = getattr(c, "lineage_unknown", None)
    if c.zone != FINALS or not unknown or c.ai_ancestor or c.approved or c.inspection.verdict in AI_VERDICTS:
        return None
    return _finding(c, "lineage-unknown", "warning",
                    f"rendered by a comp script, but not all of its inputs could be worked out: {'; '.join(unknown)}. "
                    "What it was made from through them is not known: check those inputs")


def invalid_provenance(c) -> Finding | None:
    manifest = c.inspection.c2pa
    if not (manifest.present and manifest.integrity == TAMPERED):
        return None
    codes = ", ".join(s for s in manifest.status_codes if not s.startswith("signingCredential")) \
        or manifest.error or "unreadable manifest"
    return _finding(c, "invalid-provenance", "error" if c.zone == FINALS else "warning",
                    f"its C2PA manifest no longer matches the file ({codes}): the file or its manifest was altered "
                    "after signing, so the manifest proves nothing")


def unverifiable_provenance(c) -> Finding | None:
    manifest = c.inspection.c2pa
    if not (manifest.present and manifest.integrity in UNCHECKED_MANIFEST):
        return None
    # Fail closed: what it declares is unknown. An approval for final use is someone's
    # written decision about this very content, so it clears the error (a warning stays).
    cleared = c.zone == FINALS and c.approved
    return _finding(c, "unverifiable-provenance", "error" if c.zone == FINALS and not c.approved else "warning",
                    f"its C2PA manifest cannot be read or checked: {manifest.error}. Anything it declares is "
                    "unchecked and an AI declaration in it may not have been read. An old or malformed manifest is "
                    "not by itself a sign that the file was altered. "
                    + ("An approval for final use is on record for this content." if cleared else
                       "Ask the supplier for a re-export from the tool that made it, or record the written "
                       f"approval: {APPROVE_HINT}"))


def malformed_provenance(c) -> Finding | None:
    manifest = c.inspection.c2pa
    if not (manifest.present and manifest.integrity == MALFORMED):
        return None
    return _finding(c, "malformed-provenance", "warning",
                    f"its C2PA manifest checks out (content and signature match), but {manifest.error}. That part "
                    "cannot declare AI, so nothing about AI origin is hidden; only what it carried (an identity, a "
                    "thumbnail) is lost")


def prompt_hint_in_finals(c) -> Finding | None:
    """Text shaped like a generation prompt, with no generator named and nothing declaring AI.

    A warning, not an error: the shape (attention weights, LoRA tags, a negative prompt,
    Midjourney parameters, quality padding) is specific to prompts, but it declares nothing.
    A generator's name alone in a caption ("on the runway") is not warned about: those words
    are too common to stop anyone over."""
    insp = c.inspection
    if c.zone != FINALS or insp.verdict in AI_VERDICTS or insp.verdict == UNREADABLE or c.approved:
        return None
    hint = next((e for e in insp.evidence if is_prompt_hint(e)), None)
    if hint is None:
        return None
    return _finding(c, "prompt-hint-in-finals", "warning",
                    f"nothing in it declares AI, but its {hint.source} {hint.field} {hint.value}. Ask where it "
                    "came from; if it was generated, register it (aiprov register) or replace it")


# The rules, in the order their findings are listed. A new rule is a function above and a line here.
RULES: list[Callable] = [ai_in_finals, unreadable_in_finals, derived_from_ai, lineage_unknown, invalid_provenance,
                         unverifiable_provenance, malformed_provenance, prompt_hint_in_finals]


def findings(checked) -> list[Finding]:
    """Every finding on one checked file; none in an ignored zone."""
    if checked.zone == IGNORED:
        return []
    return [f for rule in RULES if (f := rule(checked)) is not None]
