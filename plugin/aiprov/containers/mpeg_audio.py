"""MPEG audio (MP3, MP2) and ADTS AAC: the ID3v2 tag, then the first audio frames.

These files have no container: after an optional ID3v2 tag comes a run of
frames, each starting with a sync word and a header from which the frame's
length follows. One header could be chance, so a stream counts as MPEG audio
when the frame after the first starts where the first says it ends (the test
decoders use to find sync). An encoder's Xing/Info header in the first frame
gives the stream's size in bytes; a file smaller than that is cut off. Tags
are left to exiftool and ffprobe.
"""

from __future__ import annotations

from . import Metadata, Reader

# kbps by [version is MPEG-1][layer 3, 2, 1 as 1..3 -> index], ISO 11172-3 / 13818-3
BITRATES = {
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# Leading bytes (zero padding, a stray byte) tolerated before the first frame after a tag.
SEARCH_BYTES = 8192


def _frame(h: bytes) -> tuple[str, int] | None:
    """(kind, frame length; 0 when free-format) for a valid frame header, else None."""
    if len(h) < 7 or h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return None
    version, layer = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    if layer == 0:  # ADTS: MPEG-4 / MPEG-2 AAC, "layer" always 00
        if h[1] & 0xF6 != 0xF0 or (h[2] >> 2) & 0xF > 12:
            return None
        length = ((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5)
        return ("aac", length) if length >= 7 else None
    if version == 1 or layer == 3:  # reserved version; Layer I files are all but extinct
        return None
    rate_i, sr_i = h[2] >> 4, (h[2] >> 2) & 3
    if rate_i == 15 or sr_i == 3 or h[3] & 3 == 2:
        return None
    if rate_i == 0:
        return "mp3", 0
    kbps = BITRATES[(version == 3, 4 - layer)][rate_i]
    sr = SAMPLE_RATES[version][sr_i]
    per_kbit = 144 if version == 3 or layer == 2 else 72
    return "mp3", per_kbit * kbps * 1000 // sr + ((h[2] >> 1) & 1)


def _id3_size(h: bytes) -> int | None:
    """The whole ID3v2 tag's size (header and footer included), if h starts one."""
    if len(h) < 10 or h[:3] != b"ID3" or h[3] not in (2, 3, 4) or h[4] == 0xFF or any(b & 0x80 for b in h[6:10]):
        return None
    size = (h[6] << 21) | (h[7] << 14) | (h[8] << 7) | h[9]
    return 10 + size + (10 if h[5] & 0x10 else 0)


def sniff(head: bytes) -> bool:
    return head[:3] == b"ID3" or _frame(head) is not None


def _synced(r: Reader, at: int, window: bytes) -> tuple[str, int] | None:
    """(kind, offset) of the first frame in window whose successor is where it should be.

    The offset is -1 when the frame right at the start runs past the end of the file.
    """
    pos = window.find(b"\xff")
    while pos >= 0:
        found = _frame(window[pos : pos + 7])
        if found:
            kind, length = found
            nxt = at + pos + length
            if length == 0 or nxt == r.size:  # free-format, or a stream of one frame
                return kind, at + pos
            if nxt > r.size and pos == 0:
                return kind, -1
            if nxt + 7 <= at + len(window):
                follow = window[nxt - at : nxt - at + 7]
            else:
                r.seek(nxt)
                follow = r.read(7)
            again = _frame(follow)
            if again and again[0] == kind:
                return kind, at + pos
        pos = window.find(b"\xff", pos + 1)
    return None


def _xing_bytes(frame: bytes) -> int | None:
    """The stream size an encoder wrote into the Xing/Info header of a Layer III first frame."""
    mpeg1, mono = (frame[1] >> 3) & 3 == 3, frame[3] >> 6 == 3
    at = 4 + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
    if frame[at : at + 4] not in (b"Xing", b"Info") or len(frame) < at + 16:
        return None
    flags = int.from_bytes(frame[at + 4 : at + 8], "big")
    if not flags & 2:
        return None
    at += 8 + (4 if flags & 1 else 0)
    return int.from_bytes(frame[at : at + 4], "big")


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "mp3", "audio/mpeg"
    pos = 0
    for _ in range(16):  # taggers stack several ID3v2 tags now and then
        r.seek(pos)
        tag = r.read(10)
        size = _id3_size(tag)
        if size is None:
            if tag[:3] == b"ID3":
                meta.problems.append(f"the ID3 tag at byte {pos} has a corrupt header (its version or size is "
                                     "invalid), so where the audio starts is unknown")
                return
            break
        pos += size
    if pos > r.size:
        meta.problems.append(f"ID3 tag claims {pos} bytes but the file has {r.size} (truncated)")
        return
    if pos == r.size:
        meta.problems.append("MP3 has an ID3 tag and no audio after it (truncated, or only a tag was written)")
        return
    r.seek(pos)
    window = r.read(SEARCH_BYTES if pos else 7)
    if not pos and (_frame(window) or ("",))[0] == "aac":
        meta.format, meta.media_type = "aac", "audio/aac"
    found = _synced(r, pos, window)
    if found is None:
        if pos:
            meta.problems.append(f"no MPEG audio frames after its {pos}-byte ID3 tag: the audio is damaged, "
                                 "or is neither MP3 nor AAC")
        else:
            name = "ADTS AAC" if meta.format == "aac" else "MPEG audio"
            meta.problems.append(f"{name} stream breaks after its first frame header: damaged, or not audio")
        return
    kind, at = found
    if at < 0:
        meta.problems.append(f"{'ADTS AAC' if kind == 'aac' else 'MPEG audio'} is cut off inside its first frame "
                             "(truncated)")
        return
    if kind == "aac":
        meta.format, meta.media_type = "aac", "audio/aac"
        return
    r.seek(at)
    first = r.read(64)
    stream = _xing_bytes(first) if (first[1] >> 1) & 3 == 1 else None
    # The size counts the audio frames only, so it can never exceed the file's (encoders differ on
    # whether a leading ID3 tag is included, so the tag is given the benefit of the doubt).
    if stream and stream > r.size:
        meta.problems.append(f"MP3 is cut off: its encoder wrote {stream} bytes of audio, the file has {r.size} "
                             "(truncated)")
