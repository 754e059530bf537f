"""One self-contained HTML page: what a supervisor forwards to the studio.

Thumbnails of flagged stills and video frames are made by ffmpeg in a
subprocess with a time limit (it decodes PNG, JPEG, TIFF, EXR, DPX and video
alike, and a hostile file cannot take the report down with it), then inlined
as data URIs so the page needs nothing beside it.
"""

from __future__ import annotations

import base64
import html
import os
import subprocess

from ..scanning import ScanResult
from .text import short_dst

THUMB_TIMEOUT_S = 20
MAX_THUMBS = 200

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4} .error{color:#b00020;font-weight:600} .warning{color:#a66400}
.v-ai,.v-ai-composite,.v-unreadable{color:#b00020;font-weight:600} .v-not-ai{color:#1b7f3b} .v-no-ai-declared{color:#22606e} .v-unknown{color:#8a6d00}
.summary span{display:inline-block;margin-right:1.5em} img{max-width:160px;max-height:120px;border:1px solid #ccc}
code{font-size:.9em;word-break:break-all} .ok{color:#1b7f3b;font-weight:600}
"""


def thumbnail(fspath: bytes) -> str | None:
    """A small PNG data URI of the file's first picture, or None."""
    cmd = [b"ffmpeg", b"-v", b"error", b"-nostdin", b"-i", b"file:" + os.path.abspath(fspath), b"-frames:v", b"1",
           b"-vf", b"scale=160:-2", b"-f", b"image2pipe", b"-c:v", b"png", b"-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=THUMB_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0 or not proc.stdout.startswith(b"\x89PNG"):
        return None
    return "data:image/png;base64," + base64.b64encode(proc.stdout).decode("ascii")


def to_html(result: ScanResult) -> str:
    s = result.summary()
    e = html.escape
    title = f"aiprov scan: {result.production or ', '.join(result.roots)}"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
             f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
             "<p class='summary'>",
             f"<span>{s['files']} files</span>",
             f"<span class='error'>{s['findings']['error']} errors</span>",
             f"<span class='warning'>{s['findings']['warning']} warnings</span>",
             *[f"<span>{e(v)}: {n}</span>" for v, n in s["verdicts"].items()],
             "</p>"]
    flagged = [fr for fr in result.files if fr.findings]
    if not flagged:
        parts.append("<p class='ok'>No findings: no unapproved AI material in finals.</p>")
    else:
        parts.append("<h2>Findings</h2><table><tr><th>preview</th><th>file</th><th>finding</th><th>evidence</th></tr>")
        for n, fr in enumerate(flagged):
            i = fr.inspection
            thumb = thumbnail(i.fspath or os.fsencode(i.path)) if n < MAX_THUMBS and i.verdict != "unreadable" else None
            img = f"<img alt='preview' src='{thumb}'>" if thumb else ""
            finding = "".join(f"<div class='{e(f.severity)}'>{e(f.rule)}</div><div>{e(f.message)}</div>"
                              for f in fr.findings)
            ev = "<br>".join(f"{e(x.source)} <code>{e(x.field)}</code> = {e(x.value)}"
                             for x in i.evidence if x.weight > 0) or e(i.reason or "")
            parts.append(f"<tr><td>{img}</td><td><code>{e(i.path)}</code><br>zone: {e(fr.zone)}<br>"
                         f"<span class='v-{e(i.verdict)}'>{e(i.verdict)}</span>"
                         f"{' by ' + e(i.generator) if i.generator else ''}</td><td>{finding}</td><td>{ev}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>All files</h2><table><tr><th>file</th><th>zone</th><th>verdict</th><th>generator</th>"
                 "<th>source type</th><th>content id</th></tr>")
    for fr in result.files:
        i = fr.inspection
        parts.append(f"<tr><td><code>{e(i.path)}</code></td><td>{e(fr.zone)}</td>"
                     f"<td class='v-{e(i.verdict)}'>{e(i.verdict)}</td><td>{e(i.generator or '')}</td>"
                     f"<td>{e(short_dst(i.digital_source_type) or '')}</td><td><code>{e(i.content_id or '')}</code></td></tr>")
    parts.append(f"</table><p>ledger: <code>{e(result.ledger)}</code></p></body></html>")
    return "\n".join(parts)
