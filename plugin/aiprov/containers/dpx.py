"""DPX (SMPTE 268M): the file-information header's text fields.

DPX frames carry no XMP; creator, project and copyright are fixed-size
fields at known offsets, in either byte order. The header also gives the
total file size and where the image data starts: a frame shorter than its
header says is a cut-off copy or an interrupted render.
"""

from __future__ import annotations

import struct

from . import Metadata, Reader

FIELDS = (("DPX:FileName", 36, 100), ("DPX:Creator", 160, 100), ("DPX:Project", 260, 200),
          ("DPX:Copyright", 460, 200))


def sniff(head: bytes) -> bool:
    return head[:4] in (b"SDPX", b"XPDS")


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "dpx", "image/x-dpx"
    header = r.read(2048)
    if len(header) < 768:
        meta.problems.append(f"DPX header is cut off: {len(header)} of 2048 bytes (truncated)")
        return
    bo = ">" if header[:4] == b"SDPX" else "<"
    (image_at,) = struct.unpack(bo + "I", header[4:8])
    (file_size,) = struct.unpack(bo + "I", header[16:20])
    if file_size > r.size:
        meta.problems.append(f"DPX header says {file_size} bytes but the file has {r.size} (truncated)")
    elif image_at < 768 or image_at > r.size:
        meta.problems.append(f"DPX header says its image data starts at byte {image_at} but the file has "
                             f"{r.size} (truncated or corrupt)")
    for name, off, length in FIELDS:
        # Fixed-size C strings: whatever follows the terminating NUL is left-over buffer, not text.
        meta.add_text(name, header[off : off + length].split(b"\x00", 1)[0])
    if len(header) >= 780:
        meta.width, meta.height = struct.unpack(bo + "II", header[772:780])
    meta.complete = True
