"""Formats aiprov recognises by their first bytes but leaves to exiftool.

Knowing the type from the bytes (not the name) lets a mislabeled file be
read correctly and lets the report say what the file really is. Neither is
checked further: aiprov claims no extension for them (claims.py), so a
broken one is exiftool's to report.
"""

from __future__ import annotations

from . import Metadata, Reader

SIGNATURES = (
    (b"8BPS", "psd", "image/vnd.adobe.photoshop"),
    (b"%PDF", "pdf", "application/pdf"),
)


def sniff(head: bytes) -> bool:
    return any(head.startswith(sig) for sig, _, _ in SIGNATURES)


def walk(r: Reader, meta: Metadata) -> None:
    head = r.read(16)
    for sig, fmt, media_type in SIGNATURES:
        if head.startswith(sig):
            meta.format, meta.media_type = fmt, media_type
            return
