"""AIFF and AIFF-C: the FORM chunk and its chunks, COMM required.

IFF is RIFF's big-endian ancestor: "FORM", a size, a form type, then
chunks padded to even length. An AIFF must carry a COMM chunk (channels,
frames, sample size, rate) and, when it has frames, an SSND chunk with
them. Name, author, annotation and ID3 chunks are left to exiftool and
ffprobe.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

FORMS = (b"AIFF", b"AIFC")
MAX_CHUNKS = 100_000


def sniff(head: bytes) -> bool:
    return head[:4] == b"FORM" and head[8:12] in FORMS


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "aiff", "audio/aiff"
    head = r.read_exact(12)
    (form_size,) = struct.unpack(">I", head[4:8])
    if form_size + 8 > r.size:
        meta.problems.append(f"AIFF header says {form_size + 8} bytes but the file has {r.size} (truncated)")
    end = min(r.size, form_size + 8)
    frames = None
    sound = False
    for _ in range(MAX_CHUNKS):
        if r.tell() + 8 > end:
            break
        cid, size = struct.unpack(">4sI", r.read_exact(8))
        if size > end - r.tell():
            meta.problems.append(f"AIFF chunk {cid.decode('latin-1')!r} at byte {r.tell() - 8} claims {size} bytes "
                                 f"but only {end - r.tell()} remain (truncated or corrupt)")
            return
        if cid == b"COMM" and size >= 18:
            (frames,) = struct.unpack(">I", r.read_exact(18)[2:6])
            r.skip(size - 18)
        else:
            sound = sound or cid == b"SSND"
            r.skip(size)
        r.skip(size & 1)
    if frames is None:
        meta.problems.append("AIFF has no COMM chunk, so its audio cannot be decoded (corrupt)")
    elif frames and not sound:
        meta.problems.append(f"AIFF says it has {frames} sample frames but has no SSND chunk (truncated or corrupt)")
