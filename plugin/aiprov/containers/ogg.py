"""Ogg (Vorbis, Opus, Theora, FLAC): the first page, the next one, and the last.

An Ogg stream is a chain of pages, each "OggS", a header with a segment
table, and a body whose length the table gives. The first page must begin
a logical stream (its first packet names the codec) and the last must end
it (RFC 3533). A stream cut off mid-page has no page ending exactly at the
end of the file; one cut between pages has a last page without the
end-of-stream flag. Comments are left to ffprobe and exiftool.
"""

from __future__ import annotations

from . import Metadata, Reader

CAPTURE = b"OggS"
BEGIN_OF_STREAM, END_OF_STREAM = 0x02, 0x04
PAGE_HEAD = 27 + 255 + 8  # header, the largest segment table, and a codec's packet signature
MAX_PAGE = 27 + 255 + 255 * 255
VIDEO_CODECS = (b"\x80theora", b"fishead\x00")


def sniff(head: bytes) -> bool:
    return head[:4] == CAPTURE


def _page_length(buf: bytes, pos: int) -> int | None:
    """The length of the page at pos, when its header (and segment table) are in buf and plausible."""
    if buf[pos : pos + 4] != CAPTURE or pos + 27 > len(buf) or buf[pos + 4] != 0:
        return None
    nsegs = buf[pos + 26]
    if pos + 27 + nsegs > len(buf):
        return None
    return 27 + nsegs + sum(buf[pos + 27 : pos + 27 + nsegs])


def walk(r: Reader, meta: Metadata) -> None:
    meta.format, meta.media_type = "ogg", "audio/ogg"
    buf = r.read(PAGE_HEAD)
    first = _page_length(buf, 0)
    if first is None:
        meta.problems.append("Ogg first page header is cut off or corrupt")
        return
    if not buf[5] & BEGIN_OF_STREAM:
        meta.problems.append("Ogg does not start at the beginning of a stream (a fragment cut from a longer one?)")
        return
    if first > r.size:
        meta.problems.append(f"Ogg first page claims {first} bytes but the file has {r.size} (truncated)")
        return
    if buf[27 + buf[26] : 27 + buf[26] + 8].startswith(VIDEO_CODECS):
        meta.media_type = "video/ogg"
    if first == r.size:
        if not buf[5] & END_OF_STREAM:
            meta.problems.append("Ogg ends after its first page, which does not end the stream (truncated)")
        return
    r.seek(first)
    if _page_length(r.read(PAGE_HEAD), 0) is None:
        meta.problems.append(f"Ogg has no page where its first page ends (byte {first}): corrupt")
        return
    # The last page: some "OggS" in the tail must start a page that ends exactly at the end of the file.
    start = max(first, r.size - MAX_PAGE)
    r.seek(start)
    tail = r.read(r.size - start)
    pos = tail.rfind(CAPTURE)
    while pos >= 0:
        if _page_length(tail, pos) == len(tail) - pos:
            if not tail[pos + 5] & END_OF_STREAM:
                meta.problems.append("Ogg ends without its end-of-stream page: a recording that was stopped, or a "
                                     "copy cut off between pages (truncated)")
            return
        pos = tail.rfind(CAPTURE, 0, pos)
    meta.problems.append("Ogg is cut off: its last page does not end at the end of the file (truncated)")
