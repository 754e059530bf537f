"""MPEG-2 transport streams (.mts/.m2ts camera files, broadcast captures) and program streams (.mpg).

A transport stream is 188-byte packets each starting with the sync byte
0x47 (192 bytes with a 4-byte timestamp before each, as AVCHD cameras write
them); three packets in a row with their sync byte where it belongs is how
demultiplexers recognise one. A program stream opens with a pack header
whose marker bits say MPEG-1 or MPEG-2. The streams themselves are read by
ffprobe.
"""

from __future__ import annotations

from . import Metadata, Reader

SYNC = 0x47
PACK_START = b"\x00\x00\x01\xba"


def _packet_size(head: bytes) -> int | None:
    for size, offset in ((188, 0), (192, 4)):
        if len(head) > offset + 2 * size and all(head[offset + i * size] == SYNC for i in range(3)):
            return size
    return None


def sniff(head: bytes) -> bool:
    return head[:4] == PACK_START or _packet_size(head) is not None


def walk(r: Reader, meta: Metadata) -> None:
    head = r.read(16)
    if head[:4] != PACK_START:
        meta.format, meta.media_type = "mpegts", "video/mp2t"
        return
    meta.format, meta.media_type = "mpegps", "video/mpeg"
    # ISO 13818-1 pack header: '01' starts an MPEG-2 one, '0010' an MPEG-1 one.
    if len(head) < 12 or not (head[4] & 0xC4 == 0x44 or head[4] & 0xF1 == 0x21):
        meta.problems.append("MPEG program stream pack header is corrupt or cut off")
