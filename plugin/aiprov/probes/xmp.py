"""XMP, in the file and in sidecars (NAME.EXT.xmp and NAME.xmp) beside it.

Reads IPTC Digital Source Type wherever a tool put it (the IPTC namespace,
or a vendor namespace with a look-alike property), the tool fields
(xmp:CreatorTool, tiff:Software, xmpMM:History softwareAgent) and credit or
description text. aiprov's own namespace is read by `aiprov_fields` so a
tagged file is recognised without the ledger.
"""

from __future__ import annotations

import errno
import os
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import OrderedDict

from ..markers import dst_evidence, text_evidence
from ..model import Evidence
from ..names import display_path

NAME = "xmp"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
AIPROV_NS = "http://ns.aiprov.org/provenance/1.0/"
PREFIXES = {
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    AIPROV_NS: "aiprov",
}
# Properties (by local name) worth reading beyond DigitalSourceType.
TEXT_PROPERTIES = {"CreatorTool", "Software", "softwareAgent", "Credit", "description", "Make", "Model",
                   "Producer", "Creator", "Source", "UserComment", "Instructions", "title", "Headline",
                   "AISystemUsed", "AIPromptInformation"}
ID_PROPERTIES = {"InstanceID", "DocumentID", "OriginalDocumentID"}
DST_RAW = re.compile(rb"digitalsourcetype/([A-Za-z]+)", re.IGNORECASE)
MAX_SIDECAR = 16 * 1024 * 1024


def wants(ctx) -> bool:
    return True  # sidecars may exist for any file


def _qname(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return "", tag


def _label(ns: str, local: str) -> str:
    return f"{PREFIXES.get(ns, ns.rstrip('/#').rsplit('/', 1)[-1] or 'xmp')}:{local}"


def _element_value(el: ET.Element) -> str:
    """A property's value: its text, its rdf:resource, or its first rdf:li."""
    res = el.get(f"{{{RDF}}}resource")
    if res:
        return res
    if el.text and el.text.strip():
        return el.text
    for li in el.iter(f"{{{RDF}}}li"):
        if li.text and li.text.strip():
            return li.text
    return ""


def properties(packet: bytes) -> list[tuple[str, str, str]] | None:
    """(namespace, local name, value) of every simple property, or None if it does not parse."""
    start = packet.find(b"<x:xmpmeta")
    if start < 0:
        start = packet.find(b"<rdf:RDF")
    if start < 0 or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return None
    end_tag = b"</x:xmpmeta>" if packet[start:start + 10] == b"<x:xmpmeta" else b"</rdf:RDF>"
    end = packet.rfind(end_tag)
    if end < 0:
        return None
    try:
        root = ET.fromstring(packet[start : end + len(end_tag)])
    except ET.ParseError:
        return None
    out = []
    for el in root.iter():
        ns, local = _qname(el.tag)
        for attr, value in el.attrib.items():
            ans, alocal = _qname(attr)
            if ans and ans != RDF:
                out.append((ans, alocal, value))
        if ns and ns != RDF and local not in ("xmpmeta", "RDF", "Description"):
            value = _element_value(el)
            if value:
                out.append((ns, local, value))
    return out


def evidence_from_packet(packet: bytes, source: str, where: str, ctx) -> None:
    props = properties(packet)
    insp = ctx.inspection
    if props is None:
        ctx.problems.append(f"{where}: XMP packet does not parse as XML; searched it as text")
        for m in DST_RAW.finditer(packet[:MAX_SIDECAR]):
            ev = dst_evidence(source, where + " DigitalSourceType (raw)", m.group(1).decode("ascii"))
            if ev:
                insp.evidence.append(ev)
        return
    for ns, local, value in props:
        label = _label(ns, local) if where == "XMP" else f"{where} {_label(ns, local)}"
        if ns == AIPROV_NS:
            insp.evidence.extend(aiprov_evidence(source, label, value))
        elif local.lower() == "digitalsourcetype":
            # The IPTC property, or a vendor's look-alike (normalised to the IPTC code).
            ev = dst_evidence(source, label, value)
            if ev:
                insp.evidence.append(ev)
        elif local in ID_PROPERTIES and ns == "http://ns.adobe.com/xap/1.0/mm/":
            # Identity, not evidence of AI: how C2PA ingredients and derived files find this one.
            insp.evidence.append(Evidence(source, label, value, 0.0, None))
        elif local in TEXT_PROPERTIES:
            insp.evidence.extend(text_evidence(source, label, value))


def aiprov_evidence(source: str, label: str, value: str):
    """aiprov's own marks (written by `aiprov tag`): the content id and status it recorded."""
    from ..model import Evidence

    if label.endswith(":DigitalSourceType"):
        ev = dst_evidence(source, label, value)
        return [ev] if ev else []
    return [Evidence(source, label, value, 0.0, None)]


def sidecar_paths(fspath: bytes) -> list[bytes]:
    base, _ext = os.path.splitext(fspath)
    seen, out = set(), []
    for cand in (fspath + b".xmp", fspath + b".XMP", base + b".xmp", base + b".XMP"):
        if cand != fspath and cand not in seen:
            seen.add(cand)
            out.append(cand)
    return out


# --- which folders hold sidecars at all -----------------------------------------------------
#
# Trying four names per file costs four failed open() calls for the usual file that has no
# sidecar. Instead each worker lists a folder once and remembers which names there end in
# ".xmp", keyed by the folder's identity and mtime (adding, removing or renaming an entry
# changes it). Only when one of this file's sidecar names may be there are the four names
# opened exactly as before. Names are compared case-folded and NFC-normalised, so a
# case-insensitive or normalisation-insensitive volume (macOS, SMB) cannot hide a sidecar the
# open() would have found; a false "maybe" only costs the opens.
#
# A listing taken in the same timestamp tick as the folder's last change could miss an entry
# added in that tick without the mtime moving, so a folder changed less than RACY_NS ago (or
# with whole-second timestamps, RACY_COARSE_NS) is not listed: its names are simply opened.

MAX_FOLDERS = 256
NAME_MAX = 255  # bytes in one name, on every file system aiprov meets
RACY_NS = 100_000_000
RACY_COARSE_NS = 3_000_000_000
_folders: OrderedDict[bytes, tuple[tuple[int, int, int], frozenset[str]]] = OrderedDict()


def _fold(name: bytes) -> str:
    return unicodedata.normalize("NFC", os.fsdecode(name)).casefold()


def _folder_xmp_names(folder: bytes) -> frozenset[str] | None:
    """Folded names ending in .xmp in `folder`, or None when a listing cannot be trusted."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    mtime = st.st_mtime_ns
    racy = RACY_COARSE_NS if mtime % 1_000_000_000 == 0 else RACY_NS
    if mtime > time.time_ns() - racy:
        return None
    key = (st.st_dev, st.st_ino, mtime)
    cached = _folders.get(folder)
    if cached is not None and cached[0] == key:
        _folders.move_to_end(folder)
        return cached[1]
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    found = frozenset(_fold(n) for n in names if n[-4:].lower() == b".xmp")
    _folders[folder] = (key, found)
    _folders.move_to_end(folder)
    while len(_folders) > MAX_FOLDERS:
        _folders.popitem(last=False)
    return found


def sidecar_may_exist(fspath: bytes) -> bool:
    """False only when the folder's listing shows none of this file's sidecar names."""
    folder, name = os.path.split(fspath)
    if len(name) + 4 > NAME_MAX:
        return True  # NAME.EXT.xmp cannot exist; opening it reports that, as it always has
    present = _folder_xmp_names(folder or b".")
    if present is None:
        return True
    if not present:
        return False
    stem = os.path.splitext(name)[0]
    return _fold(name + b".xmp") in present or _fold(stem + b".xmp") in present


def read(ctx) -> None:
    for packet in ctx.meta.xmp:
        evidence_from_packet(packet, "xmp", "XMP", ctx)
    if ctx.meta.format == "xmp":
        return
    if not sidecar_may_exist(ctx.fspath):
        return
    for side in sidecar_paths(ctx.fspath):
        try:
            with open(side, "rb") as fh:
                packet = fh.read(MAX_SIDECAR)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                continue  # NAME.EXT.xmp cannot exist beside a name this long (NAME.xmp is tried too)
            ctx.problems.append(f"sidecar {display_path(side)} could not be read: {exc.strerror}")
            continue
        evidence_from_packet(packet, "xmp-sidecar", display_path(os.path.basename(side)), ctx)
