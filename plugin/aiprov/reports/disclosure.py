"""`aiprov report disclosure`: the page a production sends its studio, and the same as JSON or CSV."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, TextIO

from ..approval_form import QUESTIONS
from ..version import __version__
from .common import escape as e
from .common import html_head

if TYPE_CHECKING:
    from ..disclosure import DisclosureReport


def to_json(report: DisclosureReport, out: TextIO, **_) -> None:
    out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


CSV_FIELDS = ["status", "finals_paths", "in_finals_now", "verdict", "generator", "digital_source_type", "content_id",
              "approval_id", "approved_by", "approved_at", "reference", "categories", "reason", *QUESTIONS,
              "revoked_at", "revoked_by", "revoke_reason", "evidence"]


def to_csv(report: DisclosureReport, out: TextIO, **_) -> None:
    """One row per approval (an unapproved asset: one row with empty approval columns)."""
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    w.writeheader()
    for x in report.approved + report.unapproved:
        base = {"status": x["status"], "finals_paths": " | ".join(x["finals_paths"]),
                "in_finals_now": "yes" if x["in_finals_now"] else "no", "verdict": x["verdict"],
                "generator": x["generator"] or "", "digital_source_type": x["digital_source_type"] or "",
                "content_id": x["content_id"], "evidence": x["evidence"] or ""}
        if not x["approvals"]:
            w.writerow(base)
        for a in x["approvals"]:
            w.writerow({**base, "approval_id": a["id"], "approved_by": a["approved_by"],
                        "approved_at": a["approved_at"], "reference": a["reference"] or "",
                        "categories": "; ".join(a["categories"]), "reason": a["reason"],
                        **{q: a["answers"].get(q) or "" for q in QUESTIONS},
                        "revoked_at": a["revoked_at"] or "", "revoked_by": a["revoked_by"] or "",
                        "revoke_reason": a["revoke_reason"] or ""})


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em} table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border-bottom:1px solid #ddd;padding:.35em .55em;text-align:left;vertical-align:top}
th{background:#f4f4f4} code{font-size:.9em;word-break:break-all}
.yes{color:#1b7f3b;font-weight:600} .no{color:#b00020;font-weight:600} .unsure,.none{color:#a66400;font-weight:600}
.bad{color:#b00020;font-weight:600} .ok{color:#1b7f3b;font-weight:600} .muted{color:#777}
.asset{border:1px solid #ccc;border-radius:4px;padding:.2em 1em 1em;margin:1em 0}
"""


def _answer(v: str | None) -> str:
    return f"<td class='{e(v or 'none')}'>{e(v or 'not answered')}</td>"


def _asset(x: dict) -> str:
    """One asset: where it has been, and its approvals with the five answers (or their absence)."""
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
                    + "".join(_answer(a["answers"].get(q)) for q in QUESTIONS) + f"<td>{state}</td></tr>")
    headers = "".join(f"<th title='{e(text)}'>{e(label)}</th>" for label, text in QUESTIONS.values())
    return head + ("<table><tr><th>approval</th><th>by, when</th><th>reference</th><th>categories</th>"
                   f"<th>reason</th>{headers}<th>state</th></tr>" + "".join(rows) + "</table></div>")


def to_html(report: DisclosureReport, out: TextIO, **_) -> None:
    s = report.summary
    parts = [*html_head(f"Generative AI disclosure: {report.production or 'production'}", CSS),
             f"<p>{s['ai_assets_in_finals']} AI asset(s) reached the finals: <span class='ok'>{s['approved']} approved "
             f"in writing for final use</span>, <span class='{'bad' if s['unapproved'] else 'ok'}'>{s['unapproved']} "
             f"without an active approval</span> ({s['still_in_finals_unapproved']} of them still in finals).</p>",
             "<p class='muted'>The five questions: "
             + "; ".join(f"<b>{e(label)}</b>: {e(text)}" for label, text in QUESTIONS.values()) + ".</p>",
             "<h2>Approved for final use</h2>",
             "".join(_asset(x) for x in report.approved) or "<p class='muted'>none</p>",
             "<h2>In finals without an approval for final use</h2>",
             "".join(_asset(x) for x in report.unapproved) or "<p class='ok'>none</p>",
             f"<p class='muted'>Generated {e(report.generated)} by aiprov {e(__version__)} from ledger "
             f"<code>{e(report.ledger_id or report.ledger)}</code>.</p></body></html>"]
    out.write("\n".join(parts) + "\n")


def notes_after(report: DisclosureReport, *, output: str | None = None, **_) -> list[str]:
    """Unapproved AI in finals is said on the terminal even when the report goes to a file or a pipe."""
    s = report.summary
    if not (output or s["unapproved"]):
        return []
    return [f"{s['ai_assets_in_finals']} AI asset(s) reached finals: {s['approved']} approved, "
            f"{s['unapproved']} without an approval" + (f"; written to {output}" if output else "")]


RENDERERS = {"html": to_html, "json": to_json, "csv": to_csv}
