"""`aiprov lookup`: everything the ledger knows about one file, found by content.

A renamed or copied file has the same content id, so it has the same
history. A file the ledger has never seen is read (not recorded: a lookup
never writes) so the answer still says what the file itself declares.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from .checking import Checker
from .config import Config
from .errors import AiprovError, NotInLedger
from .ledger import Ledger
from .model import Finding, Inspection
from .names import display_path


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
    exit_code = 0  # an answer is an answer; a file nobody knows of is an error (NotInLedger)

    def to_dict(self) -> dict:
        return {"path": self.path, "content_id": self.content_id, "known": self.known,
                "inspection": self.inspection.to_dict(), "approvals": self.approvals, "host": self.host,
                "zone": self.zone, "exists": self.exists, "findings": [f.to_dict() for f in self.findings],
                "locations": self.locations, "events": self.events,
                "lineage": {"parents": self.parents, "children": self.children, "copies": self.copies}}


def _asset_brief(ledger: Ledger, cid: str) -> dict:
    a = ledger.assets.get(cid) or {}
    locs = ledger.locations.of(cid, include_gone=False)
    return {"content_id": cid, "verdict": a.get("verdict"), "generator": a.get("generator"),
            "approved": bool(ledger.approvals.of(cid)), "paths": [ledger.locations.where(l) for l in locs]}


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
    cid = insp.content_id
    known = bool(cid and ledger.assets.get(cid))
    locations = ledger.locations.of(cid) if cid else []
    parents = ledger.lineage.parents(cid) if known else []
    children = ledger.lineage.children(cid) if known else []
    return LookupResult(
        path=display_path(fspath),
        content_id=cid,
        known=known,
        inspection=insp,
        approvals=ledger.approvals.of(cid, include_revoked=True) if cid else [],
        host=ledger.host,
        zone=checked.zone if checked else (loc.zone if loc else None),
        exists=exists,
        findings=list(checked.findings) if checked else [],
        locations=[{"path": l.path, "host": l.host, "where": ledger.locations.where(l), "zone": l.zone,
                    "gone": l.gone, "size": l.size} for l in locations],
        events=[{**e, "where": e["path"] if e.get("host") in (None, ledger.host) else f"{e['host']}:{e['path']}"}
                for e in (ledger.assets.history(cid) if cid else [])],
        parents=[{"kind": e["kind"], "reason": e["reason"], "ref": e["parent_ref"],
                  "assets": [_asset_brief(ledger, p) for p in e["parent_ids"]]} for e in parents],
        children=[{"kind": e["kind"], "reason": e["reason"], **_asset_brief(ledger, e["child_id"])} for e in children],
        copies=[ledger.locations.where(l) for l in locations if not l.gone and (l.host, l.path_raw) != (ledger.host, fspath)],
    )
