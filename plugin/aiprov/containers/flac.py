"""FLAC: the metadata blocks, STREAMINFO first, then the first audio frame.

A FLAC stream is "fLaC", metadata blocks (each a last-block flag, a type
and a 24-bit length) and audio frames. STREAMINFO must come first; the
first frame must start with the frame sync code right after the last
block. Vorbis comments and pictures are left to exiftool and ffprobe.
"""

from __future__ import annotations

from . import Metadata, Reader

STREAMINFO, INVALID = 0, 127
MAX_BLOCKS = 10_000


def sniff(head: bytes) -> bool:
    return head[:4] == b"fLaC"


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "flac", "audio/flac"
    r.skip(4)
    samples = None
    for i in range(MAX_BLOCKS):
        at = r.tell()
        header = r.read_exact(4)
        if header is None:
            meta.problems.append("FLAC ends inside its metadata (truncated)")
            return
        last, kind, length = header[0] & 0x80, header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if i == 0:
            if kind != STREAMINFO or length != 34:
                meta.problems.append("FLAC does not start with its STREAMINFO block (corrupt)")
                return
            info = r.read_exact(34)
            if info is None:
                meta.problems.append("FLAC STREAMINFO is cut off (truncated)")
                return
            rate = int.from_bytes(info[10:13], "big") >> 4
            samples = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF
            if rate == 0:
                meta.problems.append("FLAC STREAMINFO gives a sample rate of 0 (corrupt)")
                return
        elif kind == INVALID or not r.skip(length):
            meta.problems.append(f"FLAC metadata block at byte {at} claims {length} bytes but only "
                                 f"{r.remaining()} remain (truncated or corrupt)")
            return
        if last:
            break
    else:
        meta.problems.append("FLAC has an implausible number of metadata blocks")
        return
    sync = r.read(2)
    if not sync and samples == 0:
        return  # a stream of no samples (the total may also be unknown, 0, in a live capture)
    if len(sync) < 2 or sync[0] != 0xFF or sync[1] & 0xFE != 0xF8:
        meta.problems.append(f"FLAC has no audio frame where its metadata ends (byte {r.tell() - len(sync)}): "
                             "truncated or corrupt")
