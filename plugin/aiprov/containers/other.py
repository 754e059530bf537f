"""Formats aiprov recognises by their first bytes but leaves to exiftool.

Knowing the type from the bytes (not the name) lets a mislabeled file be
read correctly and lets the report say what the file really is.
"""

from __future__ import annotations

from . import Metadata, Reader

SIGNATURES = (
    (b"ID3", "mp3", "audio/mpeg"),
    (b"\xff\xfb", "mp3", "audio/mpeg"),
    (b"\xff\xf3", "mp3", "audio/mpeg"),
    (b"\xff\xf2", "mp3", "audio/mpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
    (b"8BPS", "psd", "image/vnd.adobe.photoshop"),
    (b"\x1aE\xdf\xa3", "matroska", "video/x-matroska"),
    (b"\x06\x0e\x2b\x34\x02\x05\x01\x01", "mxf", "application/mxf"),
    (b"fLaC", "flac", "audio/flac"),
    (b"OggS", "ogg", "audio/ogg"),
    (b"FORM", "aiff", "audio/aiff"),
    (b"%PDF", "pdf", "application/pdf"),
    (b"\x00\x00\x00\x0cjP  ", "jp2", "image/jp2"),
    (b"BM", "bmp", "image/bmp"),
)


def sniff(head: bytes) -> bool:
    return any(head.startswith(sig) for sig, _, _ in SIGNATURES)


def walk(r: Reader, meta: Metadata) -> None:
    head = r.read(16)
    for sig, fmt, media_type in SIGNATURES:
        if head.startswith(sig):
            meta.format, meta.media_type = fmt, media_type
            return
