"""MXF (SMPTE ST 377-1): the header partition pack, and the footer it points to.

An MXF file is KLV triplets (a 16-byte SMPTE key, a BER length, the value);
it opens with the header partition pack, which records where the footer
partition is. A footer past the end of the file, or not a partition pack
where the header says it is, is how a cut-off copy or an interrupted
recording shows. Descriptive metadata is left to ffprobe and exiftool.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

KEY_PREFIX = b"\x06\x0e\x2b\x34"
PARTITION_PACK = b"\x06\x0e\x2b\x34\x02\x05\x01\x01\x0d\x01\x02\x01\x01"  # then kind, status, 0x00
HEADER, FOOTER = 0x02, 0x04
MIN_PACK = 88  # versions, KAG, six offsets/counts, SIDs, operational pattern, batch header


def sniff(head: bytes) -> bool:
    return head[:8] == b"\x06\x0e\x2b\x34\x02\x05\x01\x01"


def _ber_length(buf: bytes, pos: int) -> tuple[int, int] | None:
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 8 or pos + 1 + n > len(buf):
        return None
    return int.from_bytes(buf[pos + 1 : pos + 1 + n], "big"), pos + 1 + n


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "mxf", "application/mxf"
    buf = r.read(256)
    if buf[:13] != PARTITION_PACK or buf[13:14] != bytes([HEADER]):
        meta.problems.append("MXF does not start with a header partition pack (corrupt)")
        return
    length = _ber_length(buf, 16)
    if length is None or length[0] < MIN_PACK or length[1] + MIN_PACK > len(buf):
        meta.problems.append("MXF header partition pack is cut off or corrupt (truncated?)")
        return
    size, pos = length
    this, _previous, footer, header_bytes = struct.unpack(">QQQQ", buf[pos + 8 : pos + 40])
    if this != 0:
        meta.problems.append(f"MXF header partition says it is at byte {this}, not at the start (corrupt)")
        return
    after = pos + size
    if after + header_bytes > r.size:
        meta.problems.append(f"MXF header metadata claims {header_bytes} bytes but only {max(0, r.size - after)} "
                             "remain (truncated)")
        return
    r.seek(after)
    if r.size > after and r.read(4) != KEY_PREFIX:
        meta.problems.append(f"MXF has no KLV packet after its header partition pack (byte {after}): corrupt")
        return
    if footer:
        if footer + 16 > r.size:
            meta.problems.append(f"MXF header says its footer is at byte {footer} but the file has {r.size} "
                                 "(truncated)")
            return
        r.seek(footer)
        pack = r.read(16 + 9)
        if pack[:13] != PARTITION_PACK or pack[13] != FOOTER:
            meta.problems.append(f"MXF has no footer partition at byte {footer}, where its header says (corrupt)")
            return
        length = _ber_length(pack, 16)
        if length is None or footer + length[1] + length[0] > r.size:
            meta.problems.append("MXF footer partition is cut off (truncated)")
