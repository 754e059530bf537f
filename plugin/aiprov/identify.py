"""Content ids and stat signatures.

The content id is xxh3-128 of the file's bytes, streamed: the hash ASC MHL
calls xxh128 and that set and delivery tools already record, so an id in the
ledger can be checked against a camera-card or delivery manifest. A copy has
the same id wherever it lives; that is how a renamed file keeps its history.
"""

from __future__ import annotations

from typing import BinaryIO

import xxhash

CHUNK = 4 * 1024 * 1024
EMPTY_CONTENT_ID = xxhash.xxh3_128(b"").hexdigest()


def content_id_of_stream(fh: BinaryIO) -> str:
    h = xxhash.xxh3_128()
    while True:
        block = fh.read(CHUNK)
        if not block:
            return h.hexdigest()
        h.update(block)


def content_id(path: str | bytes) -> str:
    with open(path, "rb") as fh:
        return content_id_of_stream(fh)
