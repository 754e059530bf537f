"""`aiprov scan`: the gate's report for people (text, HTML) and for machines (JSON, JUnit, CSV).

JSON follows schemas/scan-report.schema.json. JUnit makes the gate readable
by any CI server a facility already runs: one test case per file, a failure
per error finding, warnings in system-out. The HTML page is what a supervisor
forwards to the studio: thumbnails of flagged stills and video frames are
made by ffmpeg in a subprocess with a time limit (it decodes PNG, JPEG, TIFF,
EXR, DPX and video alike, and a hostile file cannot take the report down with
it), then inlined as data URIs so the page needs nothing beside it.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, TextIO

from rich.markup import escape

from ..model import UNREADABLE
from .common import console, html_head, short_dst
from .common import escape as e

if TYPE_CHECKING:
    from ..scanning import ScanResult

CSV_FIELDS = ["path", "zone", "verdict", "generator", "digital_source_type", "content_id", "rule", "severity",
              "message"]
THUMB_TIMEOUT_S = 20
MAX_THUMBS = 200


def text(result: ScanResult, out: TextIO, *, verbose: bool = False, **_) -> None:
    """Findings first (what must be fixed), frame sequences on one line, then a summary."""
    from ..sequences import group

    con = console(out)
    s = result.summary()
    for given, real in result.root_links.items():
        con.print(f"[dim]{escape(given)} is a link: checked {escape(real)}, where it leads[/]",
                  highlight=False, soft_wrap=True)
    flagged = [fr for fr in result.files if fr.findings or verbose]
    outcome = lambda fr: (fr.zone, fr.inspection.verdict, tuple((f.rule, f.severity) for f in fr.findings))  # noqa: E731
    for run in group(flagged, lambda fr: fr.inspection.path, outcome):
        fr = run.items[0]
        i = fr.inspection
        frames = f", {run.frames} frames" if run.frames > 1 else ""
        for f in fr.findings:
            style = "bold red" if f.severity == "error" else "yellow"
            con.print(f"[{style}]{f.severity.upper():<7}[/] [bold]{f.rule}[/]  {escape(run.label)}  "
                      f"[dim]({fr.zone}{frames})[/]", highlight=False, soft_wrap=True)
            con.print(f"         {escape(f.message)}", highlight=False, soft_wrap=True)
        if not fr.findings:
            con.print(f"[green]ok     [/] {escape(run.label)}  [dim]({fr.zone}, {i.verdict}{frames})[/]",
                      highlight=False, soft_wrap=True)
    verdicts = ", ".join(f"{n} {v}" for v, n in s["verdicts"].items())
    older = f" ({s['older_rules']} recorded under older rules)" if s.get("older_rules") else ""
    con.print(f"\n[bold]{s['files']} files[/] ({verdicts}); read {s['read']}{older}, unchanged {s['reused']}, "
              f"moved {s['moved']}, gone {s['gone']}; {s['seconds']:.1f} s", highlight=False)
    if s["findings"]["error"]:
        con.print(f"[bold red]{s['findings']['error']} error(s)[/], {s['findings']['warning']} warning(s): "
                  "not ready to deliver.", highlight=False)
    else:
        con.print(f"[bold green]No errors[/] ({s['findings']['warning']} warning(s)): no unapproved AI "
                  "material in finals.", highlight=False)


def to_json(result: ScanResult, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry most control characters (a newline in a file name is fine).
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else f"\\x{ord(c):02x}" for c in text)


def junit(result: ScanResult, out: TextIO, **_) -> None:
    s = result.summary()
    suites = ET.Element("testsuites", name="aiprov", tests=str(s["files"]), failures=str(s["findings"]["error"]))
    suite = ET.SubElement(suites, "testsuite", name=f"aiprov scan: {result.production or ', '.join(result.roots)}",
                          tests=str(s["files"]), failures=str(s["findings"]["error"]), errors="0", skipped="0",
                          time=f"{s['seconds']:.3f}")
    for fr in result.files:
        insp = fr.inspection
        case = ET.SubElement(suite, "testcase", classname=f"{fr.zone}", name=_xml_safe(insp.path))
        for f in fr.findings:
            if f.severity == "error":
                fail = ET.SubElement(case, "failure", message=_xml_safe(f"{f.rule}: {f.message}"), type=f.rule)
                fail.text = _xml_safe(f"{insp.path}\nverdict: {insp.verdict}\n{f.message}")
        notes = [f"{f.rule}: {f.message}" for f in fr.findings if f.severity != "error"] + insp.warnings
        system_out = ET.SubElement(case, "system-out")
        system_out.text = _xml_safe("\n".join([f"verdict: {insp.verdict}" + (f" ({insp.generator})" if insp.generator
                                                                             else ""), *notes]))
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n")


def to_csv(result: ScanResult, out: TextIO, **_) -> None:
    """One row per finding; a file without findings has one row with no rule."""
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    w.writeheader()
    for fr in result.files:
        i = fr.inspection
        base = {"path": i.path, "zone": fr.zone, "verdict": i.verdict, "generator": i.generator or "",
                "digital_source_type": i.digital_source_type or "", "content_id": i.content_id or ""}
        if not fr.findings:
            w.writerow({**base, "rule": "", "severity": "", "message": ""})
        for f in fr.findings:
            w.writerow({**base, "rule": f.rule, "severity": f.severity, "message": f.message})


def thumbnail_png(fspath: bytes, width: int = 160) -> bytes | None:
    """A PNG of the file's first picture, `width` pixels wide, or None when ffmpeg cannot make one
    in time (the desk caches what this returns)."""
    cmd = [b"ffmpeg", b"-v", b"error", b"-nostdin", b"-i", b"file:" + os.path.abspath(fspath), b"-frames:v", b"1",
           b"-vf", b"scale=%d:-2" % width, b"-f", b"image2pipe", b"-c:v", b"png", b"-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=THUMB_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0 or not proc.stdout.startswith(b"\x89PNG"):
        return None
    return proc.stdout


def thumbnail(fspath: bytes) -> str | None:
    """A small PNG data URI of the file's first picture, or None."""
    png = thumbnail_png(fspath)
    return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode("ascii")


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #ddd;padding:.4em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4} .error{color:#b00020;font-weight:600} .warning{color:#a66400}
.v-ai,.v-ai-composite,.v-unreadable{color:#b00020;font-weight:600} .v-not-ai{color:#1b7f3b} .v-no-ai-declared{color:#22606e} .v-unknown{color:#8a6d00}
.summary span{display:inline-block;margin-right:1.5em} img{max-width:160px;max-height:120px;border:1px solid #ccc}
code{font-size:.9em;word-break:break-all} .ok{color:#1b7f3b;font-weight:600}
"""


def to_html(result: ScanResult, out: TextIO, **_) -> None:
    s = result.summary()
    parts = [*html_head(f"aiprov scan: {result.production or ', '.join(result.roots)}", CSS),
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
            thumb = thumbnail(i.fspath or os.fsencode(i.path)) if n < MAX_THUMBS and i.verdict != UNREADABLE else None
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
    out.write("\n".join(parts) + "\n")


def notes_after(result: ScanResult, *, output: str | None = None, **_) -> list[str]:
    """With the report in a file, the terminal still learns whether the gate passed."""
    return [f"report written to {output}; {len(result.errors)} error finding(s)"] if output else []


RENDERERS = {"text": text, "json": to_json, "junit": junit, "csv": to_csv, "html": to_html}
