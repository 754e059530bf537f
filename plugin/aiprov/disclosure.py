"""`aiprov report disclosure`: the generative-AI disclosure a production sends its studio.

Every AI asset (verdict `ai` or `ai-composite`) that reached a finals zone, at
any time (a live location, or one since moved or deleted), with its written
approval(s) for final use: who, when, why, the studio's reference, the
categories and the answers to the five guiding questions. And every AI asset
in finals that has no active approval, which must not be delivered as it is.

Read-only: built from the ledger alone (schemas/disclosure.schema.json).
"""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import datetime, timezone

from .version import __version__
from .ledger import Ledger
from .policy import FINALS

# The five guiding questions (keys of an approval's `answers`), with short column headings.
QUESTIONS = {
    "copyright": ("Copyright", "the output does not replicate or substantially recreate unowned or copyrighted material"),
    "data_use": ("Data use", "the tool does not store, reuse or train on production data"),
    "enterprise_environment": ("Enterprise environment", "the tool ran in an enterprise-secured environment"),
    "final_use": ("Final use", "the material was escalated and is approved to be final, not temp"),
    "talent": ("Talent", "no talent performance or union-covered work was replaced or generated without consent"),
}

APPROVED, UNAPPROVED, REVOKED = "approved", "unapproved", "revoked"


def _approval_entry(a: dict) -> dict:
    answers = a.get("answers") or {}
    return {
        "id": a["id"],
        "approved_by": a["approved_by"],
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


def build(ledger: Ledger, production: str | None = None) -> dict:
    """The disclosure as plain data (schemas/disclosure.schema.json)."""
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
    return {
        "aiprov": __version__,
        "report": "generative-ai-disclosure",
        "production": production,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "ledger": ledger.path,
        "ledger_id": _ledger_id(ledger),
        "questions": {q: text for q, (_, text) in QUESTIONS.items()},
        "summary": {
            "ai_assets_in_finals": len(approved) + len(unapproved),
            "approved": len(approved),
            "unapproved": len(unapproved),
            "still_in_finals_unapproved": sum(1 for e in unapproved if e["in_finals_now"]),
        },
        "approved": approved,
        "unapproved": unapproved,
    }


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


CSV_FIELDS = ["status", "finals_paths", "in_finals_now", "verdict", "generator", "digital_source_type", "content_id",
              "approval_id", "approved_by", "approved_at", "reference", "categories", "reason", *QUESTIONS,
              "revoked_at", "revoked_by", "revoke_reason", "evidence"]


def to_csv(report: dict) -> str:
    """One row per approval (an unapproved asset: one row with empty approval columns)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    w.writeheader()
    for e in report["approved"] + report["unapproved"]:
        base = {"status": e["status"], "finals_paths": " | ".join(e["finals_paths"]),
                "in_finals_now": "yes" if e["in_finals_now"] else "no", "verdict": e["verdict"],
                "generator": e["generator"] or "", "digital_source_type": e["digital_source_type"] or "",
                "content_id": e["content_id"], "evidence": e["evidence"] or ""}
        if not e["approvals"]:
            w.writerow(base)
        for a in e["approvals"]:
            w.writerow({**base, "approval_id": a["id"], "approved_by": a["approved_by"],
                        "approved_at": a["approved_at"], "reference": a["reference"] or "",
                        "categories": "; ".join(a["categories"]), "reason": a["reason"],
                        **{q: a["answers"].get(q) or "" for q in QUESTIONS},
                        "revoked_at": a["revoked_at"] or "", "revoked_by": a["revoked_by"] or "",
                        "revoke_reason": a["revoke_reason"] or ""})
    return buf.getvalue()


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em} table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border-bottom:1px solid #ddd;padding:.35em .55em;text-align:left;vertical-align:top}
th{background:#f4f4f4} code{font-size:.9em;word-break:break-all}
.yes{color:#1b7f3b;font-weight:600} .no{color:#b00020;font-weight:600} .unsure,.none{color:#a66400;font-weight:600}
.bad{color:#b00020;font-weight:600} .ok{color:#1b7f3b;font-weight:600} .muted{color:#777}
.asset{border:1px solid #ccc;border-radius:4px;padding:.2em 1em 1em;margin:1em 0}
"""


def to_html(report: dict) -> str:
    e = html.escape
    s = report["summary"]
    title = f"Generative AI disclosure: {report['production'] or 'production'}"

    def answer(v):
        return f"<td class='{e(v or 'none')}'>{e(v or 'not answered')}</td>"

    def asset(x: dict) -> str:
        paths = "".join(f"<li><code>{e(l['path'])}</code> ({e(l['zone'] or '')}"
                        f"{', gone ' + e(l['gone_at'] or '') if l['gone'] else ', present'})</li>" for l in x["locations"])
        head = (f"<div class='asset'><h3><code>{e(x['finals_paths'][0] if x['finals_paths'] else x['content_id'])}</code></h3>"
                f"<p><b>{e(x['verdict'])}</b>{' by ' + e(x['generator']) if x['generator'] else ''}; "
                f"content id <code>{e(x['content_id'])}</code><br><span class='muted'>{e(x['evidence'] or '')}</span></p>"
                f"<p>Paths:</p><ul>{paths}</ul>")
        if not x["approvals"]:
            return head + ("<p class='bad'>No written approval for final use: replace it or have it approved "
                           "(aiprov approve) before delivery.</p></div>")
        rows = []
        for a in x["approvals"]:
            state = (f"<span class='bad'>revoked {e(a['revoked_at'])} by {e(a['revoked_by'] or '')}: "
                     f"{e(a['revoke_reason'] or '')}</span>") if a["revoked"] else "<span class='ok'>active</span>"
            rows.append(f"<tr><td>#{a['id']}</td><td>{e(a['approved_by'])}<br><span class='muted'>"
                        f"{e(a['approved_at'])}</span></td><td>{e(a['reference'] or '')}</td>"
                        f"<td>{e(', '.join(a['categories']))}</td><td>{e(a['reason'])}</td>"
                        + "".join(answer(a["answers"].get(q)) for q in QUESTIONS) + f"<td>{state}</td></tr>")
        headers = "".join(f"<th title='{e(text)}'>{e(label)}</th>" for label, text in QUESTIONS.values())
        return head + ("<table><tr><th>approval</th><th>by, when</th><th>reference</th><th>categories</th>"
                       f"<th>reason</th>{headers}<th>state</th></tr>" + "".join(rows) + "</table></div>")

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
             f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
             f"<p>{s['ai_assets_in_finals']} AI asset(s) reached the finals: <span class='ok'>{s['approved']} approved "
             f"in writing for final use</span>, <span class='{'bad' if s['unapproved'] else 'ok'}'>{s['unapproved']} "
             f"without an active approval</span> ({s['still_in_finals_unapproved']} of them still in finals).</p>",
             "<p class='muted'>The five questions: "
             + "; ".join(f"<b>{e(label)}</b>: {e(text)}" for label, text in QUESTIONS.values()) + ".</p>",
             "<h2>Approved for final use</h2>",
             "".join(asset(x) for x in report["approved"]) or "<p class='muted'>none</p>",
             "<h2>In finals without an approval for final use</h2>",
             "".join(asset(x) for x in report["unapproved"]) or "<p class='ok'>none</p>",
             f"<p class='muted'>Generated {e(report['generated'])} by aiprov {e(report['aiprov'])} from ledger "
             f"<code>{e(report['ledger_id'] or report['ledger'])}</code>.</p></body></html>"]
    return "\n".join(parts)


RENDERERS = {"json": to_json, "csv": to_csv, "html": to_html}
