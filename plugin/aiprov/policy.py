"""Zone + verdict + approvals + lineage -> findings.

The rule: generative-AI material is temporary unless approved for final
use. AI in a working zone is fine; in a finals zone it needs a written
approval on record for that content. A file in finals that cannot be read is
a finding too (fail closed): nothing it might hide was seen. So is a C2PA
manifest nobody can read or check: it may declare AI.
"""

from __future__ import annotations

from .model import AI_VERDICTS, MALFORMED, TAMPERED, UNCHECKED_MANIFEST, UNREADABLE, Finding, Inspection

FINALS, WORKING, IGNORED = "finals", "working", "ignored"


def findings_for(insp: Inspection, zone: str, approved: bool, unapproved_ai_ancestor: str | None) -> list[Finding]:
    """The findings on one file. `unapproved_ai_ancestor` describes the nearest such ancestor, if any."""
    if zone == IGNORED:
        return []
    out = []

    def add(rule, severity, message):
        out.append(Finding(rule=rule, severity=severity, message=message, path=insp.path,
                           content_id=insp.content_id, zone=zone))

    if zone == FINALS:
        if insp.verdict in AI_VERDICTS and not approved:
            what = "AI-generated material" if insp.verdict == "ai" else "Partly AI-generated material (composite)"
            by = f" from {insp.generator}" if insp.generator else ""
            add("ai-in-finals", "error",
                f"{what}{by} is in a finals zone without an approval for final use. Evidence: {insp.reason}. "
                "Replace it with non-AI material, or record the written approval: "
                "aiprov approve PATH --by NAME --reason TEXT --reference STUDIO-REF")
        elif insp.verdict == UNREADABLE:
            add("unreadable-in-finals", "error",
                f"cannot be checked, so it cannot be delivered: {insp.error}. Re-export or re-copy the file")
        if unapproved_ai_ancestor and not approved and insp.verdict not in AI_VERDICTS:
            add("derived-from-ai", "error",
                f"made from unapproved AI material ({unapproved_ai_ancestor}). Approve the source or this file, "
                "or replace it")
    c2pa = insp.c2pa
    if c2pa.present and c2pa.integrity == TAMPERED:
        codes = ", ".join(c for c in c2pa.status_codes if not c.startswith("signingCredential")) \
            or c2pa.error or "unreadable manifest"
        add("invalid-provenance", "error" if zone == FINALS else "warning",
            f"its C2PA manifest no longer matches the file ({codes}): the file or its manifest was altered "
            "after signing, so the manifest proves nothing")
    elif c2pa.present and c2pa.integrity in UNCHECKED_MANIFEST:
        # Fail closed: what it declares is unknown. An approval for final use is someone's
        # written decision about this very content, so it clears the error (a warning stays).
        cleared = zone == FINALS and approved
        add("unverifiable-provenance", "error" if zone == FINALS and not approved else "warning",
            f"its C2PA manifest cannot be read or checked: {c2pa.error}. Anything it declares is unchecked and "
            "an AI declaration in it may not have been read. An old or malformed manifest is not by itself a "
            "sign that the file was altered. "
            + ("An approval for final use is on record for this content." if cleared else
               "Ask the supplier for a re-export from the tool that made it, or record the written approval: "
               "aiprov approve PATH --by NAME --reason TEXT --reference STUDIO-REF"))
    elif c2pa.present and c2pa.integrity == MALFORMED:
        add("malformed-provenance", "warning",
            f"its C2PA manifest checks out (content and signature match), but {c2pa.error}. That part cannot "
            "declare AI, so nothing about AI origin is hidden; only what it carried (an identity, a thumbnail) "
            "is lost")
    return out


def findings(checked) -> list[Finding]:
    """The findings on one checked file (checking.Checked): its verdict, zone, approvals and lineage."""
    return findings_for(checked.inspection, checked.zone, checked.approved, checked.ai_ancestor)
