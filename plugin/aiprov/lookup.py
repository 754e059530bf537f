"""`aiprov lookup`: everything the ledger knows about one file, found by content.

A renamed or copied file has the same content id, so it has the same
history. A file the ledger has never seen is read (not recorded: a lookup
never writes) so the answer still says what the file itself declares.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from .ancestry import Ancestry
from .checking import Checker
from .compscripts import is_script
from .config import Config
from .errors import AiprovError, NotInLedger
from .ledger import Ledger
from .ledger.scripts import describe
from .model import AI_VERDICTS, Finding, Inspection
from .names import display_path

SHOWN_FRAMES = 20  # files of a sequence input listed in a lookup (the AI ones first)


@dataclass
class LookupResult:
    """Everything known of one file. Approvals, locations, events and lineage stay the plain rows
    the ledger gives: they are what `aiprov lookup --json` prints."""

    path: str
    content_id: str | None
    known: bool  # the ledger has a record of this content
    inspection: Inspection
    host: str
    zone: str | None
    exists: bool
    approvals: list[dict] = field(default_factory=list)  # revoked ones included
    findings: list[Finding] = field(default_factory=list)  # what `scan` would say of it, where it is
    # locations and events carry `where`: the path as people read it, prefixed with its host
    # when another host saw it there
    locations: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    parents: list[dict] = field(default_factory=list)
    children: list[dict] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # where else the same content lives now
    script: dict | None = None  # a comp script's own lineage: what it renders from what
    ai_source: dict | None = None  # the nearest unapproved AI material it was made from, each step to it
    script_children: list[dict] = field(default_factory=list)  # render nodes of the scripts that read it
    exit_code = 0  # an answer is an answer; a file nobody knows of is an error (NotInLedger)

    def to_dict(self) -> dict:
        return {"path": self.path, "content_id": self.content_id, "known": self.known,
                "inspection": self.inspection.to_dict(), "approvals": self.approvals, "host": self.host,
                "zone": self.zone, "exists": self.exists, "findings": [f.to_dict() for f in self.findings],
                "locations": self.locations, "events": self.events, "script": self.script,
                "lineage": {"parents": self.parents, "ai_source": self.ai_source, "children": self.children,
                            "script_children": self.script_children, "copies": self.copies}}


def _asset_brief(ledger: Ledger, cid: str) -> dict:
    a = ledger.assets.get(cid) or {}
    locs = ledger.locations.of(cid, include_gone=False)
    return {"content_id": cid, "verdict": a.get("verdict"), "generator": a.get("generator"),
            "approved": bool(ledger.approvals.of(cid)), "paths": [ledger.locations.where(l) for l in locs]}


def _script_lineage(ledger: Ledger, cid: str | None, path: str, edges: list[dict] | None = None,
                    locations: list | None = None) -> tuple[list[dict], dict | None]:
    """The comp scripts that render this content (as lineage parents, one a script input), and the
    nearest unapproved AI material it was made from with every step in between. `edges` and
    `locations`: the content's recorded edges to parents and its places, when already asked."""
    if not cid:
        return [], None
    ancestry = Ancestry(ledger)
    if edges is not None and locations is not None:
        ancestry.prime(cid, bool(edges), [(l.host, l.path) for l in locations])
    ancestry.know([(cid, path)])
    parents = []
    for row in ancestry.script_rows(cid):
        files = ancestry.inputs(row)
        files.sort(key=lambda f: (f["verdict"] not in AI_VERDICTS, f.get("frame") or 0))
        parents.append({"kind": "comp-script", "reason": describe(row), "ref": row["input"],
                        "script": {"path": row["script"], "render_node": row["writer"], "output": row["output"],
                                   "read_node": row["reader"], "input": row["input"],
                                   "frames": [row["first_frame"], row["last_frame"]], "unresolved": row["why"]},
                        "files_on_record": len(files),
                        "assets": [_asset_brief(ledger, f["content_id"]) for f in files[:SHOWN_FRAMES]]})
    found = ancestry.of(cid) if ancestry.has_lineage(cid) else None
    source = None if found is None else {
        "content_id": found.content_id, "path": found.where, "verdict": found.verdict,
        "generator": found.generator, "steps": list(found.hops), "description": found.describe()}
    return parents, source


def _script_children(ledger: Ledger, cid: str | None, locations: list) -> list[dict]:
    """The render nodes of the comp scripts that read this content (at any of this host's places
    it has had, `locations`), with how many of their files are on record."""
    if not cid:
        return []
    paths = [loc.path for loc in locations if loc.host == ledger.host]
    out, seen = [], set()
    for row in ledger.scripts.reading(paths) if paths else []:
        if (row["script"], row["writer"], row["output"]) in seen:
            continue
        seen.add((row["script"], row["writer"], row["output"]))
        out.append({"kind": "comp-script", "reason": describe(row), "script": row["script"],
                    "render_node": row["writer"], "output": row["output"],
                    "files_on_record": len(ledger.scripts.files(row["output_key"], row["host"], live=True))})
    return out


def lookup(path: bytes | str, ledger: Ledger, config: Config) -> LookupResult:
    """What the ledger knows of a file, and what aiprov makes of it now: the same judgement `scan`
    makes (checking.py), in the zone the config gives its path, without recording anything."""
    fspath = os.path.abspath(os.fsencode(path))
    loc = ledger.locations.get(fspath)
    try:
        os.stat(fspath)
        exists = True
    except FileNotFoundError:
        exists = False
        if os.path.islink(fspath):
            raise NotInLedger(f"{display_path(fspath)}: a broken link (to {display_path(os.readlink(fspath))}): "
                              "there is no file to look up") from None
    except OSError as exc:
        what = ("a link that loops back on itself, so it leads to no file" if exc.errno == errno.ELOOP
                else exc.strerror)
        raise AiprovError(f"{display_path(fspath)}: {what}") from None
    checked = None
    if exists and os.path.isdir(fspath):
        raise AiprovError(f"{display_path(fspath)} is a folder: lookup takes a file (aiprov inspect FOLDER reads "
                          "every file in it)")
    if exists:
        with Checker(config, ledger, workers=1) as checker:
            checked = checker.look([fspath])[0]
        insp = checked.inspection
    elif loc and loc.content_id:  # gone from here: what was recorded of it
        insp = ledger.assets.inspection(loc.content_id, display_path(fspath))
        if insp is None:
            raise NotInLedger(f"{display_path(fspath)}: no such file, and the ledger has no record of its content")
    else:
        raise NotInLedger(f"{display_path(fspath)}: no such file, and the ledger has no record of that path")
    script = None
    if checked is not None and checked.inspection.script is not None:
        report = checked.inspection.script  # read now, not (yet) recorded
        script = {"app": report.app, "summary": report.summary(), "read_at": None,
                  "unresolved": [u.__dict__ for u in report.unresolved],
                  "edges": [{"writer": r.node, "output": r.path, "reader": s.node, "input": s.path,
                             "first_frame": s.first, "last_frame": s.last, "why": None}
                            for r in report.renders for s in r.sources]}
    return _gathered(ledger, insp, fspath, exists=exists, zone=checked.zone if checked else (loc.zone if loc else None),
                     findings=list(checked.findings) if checked else [], script_read_now=script,
                     known=True if checked is None else None)


def _gathered(ledger: Ledger, insp: Inspection, fspath: bytes, *, exists: bool, zone: str | None,
              findings: list[Finding], script_read_now: dict | None, known: bool | None = None) -> LookupResult:
    """What the ledger knows around one content seen at `fspath`: the part `lookup` and the desk share.

    Each question is asked once (`known`: True when `insp` is the ledger's own record), and only where
    an answer can exist (a script is recorded only under a script's name): on a shared ledger across
    the network every statement is a round trip, and a lookup must answer within a few tens of ms."""
    cid = insp.content_id
    known = bool(cid and ledger.assets.get(cid)) if known is None else known
    locations = ledger.locations.of(cid) if cid else []
    parents = ledger.lineage.parents(cid) if known else []
    children = ledger.lineage.children(cid, locations) if known else []
    script_parents, ai_source = _script_lineage(ledger, cid, display_path(fspath), parents if known else None,
                                                locations)
    script = ledger.scripts.of(fspath) if known and is_script(fspath) else None
    return LookupResult(
        path=display_path(fspath),
        content_id=cid,
        known=known,
        inspection=insp,
        approvals=ledger.approvals.of(cid, include_revoked=True) if cid else [],
        host=ledger.host,
        zone=zone,
        exists=exists,
        findings=findings,
        locations=[{"path": l.path, "host": l.host, "where": ledger.locations.where(l), "zone": l.zone,
                    "gone": l.gone, "size": l.size} for l in locations],
        events=[{**e, "where": e["path"] if e.get("host") in (None, ledger.host) else f"{e['host']}:{e['path']}"}
                for e in (ledger.assets.history(cid) if cid else [])],
        parents=[{"kind": e["kind"], "reason": e["reason"], "ref": e["parent_ref"],
                  "assets": [_asset_brief(ledger, p) for p in e["parent_ids"]]} for e in parents] + script_parents,
        children=[{"kind": e["kind"], "reason": e["reason"], **_asset_brief(ledger, e["child_id"])} for e in children],
        copies=[ledger.locations.where(l) for l in locations if not l.gone and (l.host, l.path_raw) != (ledger.host, fspath)],
        script=script if script is not None else script_read_now,
        ai_source=ai_source,
        script_children=_script_children(ledger, cid, locations) if known else [],
    )


def lookup_content(content_id: str, ledger: Ledger) -> LookupResult:
    """What the ledger knows of one content, found by its id alone (the desk, the API): as recorded,
    nothing read. Its place is its first live location (this host's first), else its last known one;
    its findings are the ones open at its locations."""
    insp = ledger.assets.inspection(content_id, "")
    if insp is None:
        raise NotInLedger(f"the ledger has no content {content_id}")
    locs = ledger.locations.of(content_id)
    live = [l for l in locs if not l.gone]
    here = next((l for l in live if l.host == ledger.host), None) or (live[0] if live else locs[-1] if locs else None)
    insp.path = ledger.locations.where(here) if here else content_id
    open_rows = ledger.findings.open_at([l.id for l in locs]) if locs else {}
    by_id = {l.id: l for l in locs}
    findings = [Finding(r["rule"], r["severity"], r["message"], ledger.locations.where(by_id[lid]), r["content_id"],
                        r["zone"]) for lid, rows in open_rows.items() for r in rows]
    return _gathered(ledger, insp, here.path_raw if here else os.fsencode(content_id), exists=bool(live),
                     zone=here.zone if here else None, findings=findings, script_read_now=None, known=True)
