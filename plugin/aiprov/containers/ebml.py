"""Matroska and WebM: the EBML header, its DocType, and the Segment that follows.

EBML elements are an ID and a size, both variable-length integers; the
header names the document type, and the whole presentation is one Segment
element after it. Its first child must be a top-level Matroska element.
Tags and attachments are left to ffprobe and exiftool.
"""

from __future__ import annotations

from . import Metadata, Reader

EBML_ID, DOCTYPE_ID, SEGMENT_ID, VOID_ID = 0x1A45DFA3, 0x4282, 0x18538067, 0xEC
# SeekHead, Info, Tracks, Cluster, Cues, Attachments, Chapters, Tags, Void, CRC-32 (Matroska spec, level 1)
LEVEL1 = {0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1F43B675, 0x1C53BB6B, 0x1941A469, 0x1043A770, 0x1254C367, 0xEC, 0xBF}
DOC_TYPES = {"matroska": "video/x-matroska", "webm": "video/webm"}
UNKNOWN_SIZE = -1


def sniff(head: bytes) -> bool:
    return head[:4] == b"\x1aE\xdf\xa3"


def _vint(buf: bytes, pos: int, keep_marker: bool) -> tuple[int, int] | None:
    """(value, next position) of the variable-length integer at pos; an all-ones size is UNKNOWN_SIZE."""
    if pos >= len(buf) or buf[pos] == 0:
        return None
    first = buf[pos]
    length = 9 - first.bit_length()
    if pos + length > len(buf):
        return None
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for b in buf[pos + 1 : pos + length]:
        value = (value << 8) | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        value = UNKNOWN_SIZE
    return value, pos + length


def _element(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """(id, size, position of the data) of the element at pos."""
    eid = _vint(buf, pos, keep_marker=True)
    if eid is None:
        return None
    size = _vint(buf, eid[1], keep_marker=False)
    if size is None:
        return None
    return eid[0], size[0], size[1]


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "matroska", "video/x-matroska"
    buf = r.read(4096)
    header = _element(buf, 0)
    if header is None or header[1] == UNKNOWN_SIZE or header[2] + header[1] > len(buf):
        meta.problems.append("Matroska/WebM: the EBML header is cut off or corrupt")
        return
    _, size, pos = header
    end = pos + size
    doc_type = None
    while pos < end:
        child = _element(buf, pos)
        if child is None or child[1] == UNKNOWN_SIZE or child[2] + child[1] > end:
            meta.problems.append("Matroska/WebM: an element of the EBML header is corrupt")
            return
        if child[0] == DOCTYPE_ID:
            doc_type = buf[child[2] : child[2] + child[1]].rstrip(b"\x00").decode("latin-1")
        pos = child[2] + child[1]
    if doc_type not in DOC_TYPES:
        meta.problems.append(f"an EBML file of document type {doc_type!r}, not Matroska or WebM")
        return
    meta.media_type = DOC_TYPES[doc_type]
    # Void elements may sit between the header and the Segment.
    while True:
        r.seek(pos)
        at = pos
        buf = r.read(64)
        segment = _element(buf, 0)
        if segment is None:
            meta.problems.append(f"Matroska/WebM has no Segment after its header (byte {at}): truncated or corrupt")
            return
        eid, size, data = segment
        if eid == VOID_ID and size != UNKNOWN_SIZE:
            pos = at + data + size
            continue
        break
    if eid != SEGMENT_ID:
        meta.problems.append(f"Matroska/WebM has no Segment after its header (byte {at}): truncated or corrupt")
        return
    if size != UNKNOWN_SIZE and at + data + size > r.size:
        meta.problems.append(f"Matroska/WebM Segment claims {size} bytes but only {r.size - at - data} remain "
                             "(truncated)")
        return
    first = _element(buf, data)
    if first is None or first[0] not in LEVEL1:
        meta.problems.append("Matroska/WebM Segment does not start with a Matroska element (corrupt)")
