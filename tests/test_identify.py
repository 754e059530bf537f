"""Content ids are xxh3-128 of the whole file, whatever path hashed it: the id a delivery or
camera-card manifest (ASC MHL xxh128) records must match aiprov's for every size."""

from __future__ import annotations

import os

import pytest
import xxhash

from aiprov.identify import BLOCK, content_id
from aiprov.reader import WHOLE_READ, ReadSettings

from .helpers import read


@pytest.mark.parametrize("size", [1, WHOLE_READ - 1, WHOLE_READ, WHOLE_READ + 1, BLOCK - 1, BLOCK, BLOCK + 1,
                                  3 * BLOCK + 7])
def test_content_id_is_xxh128_of_the_whole_file_at_every_size(tmp_path, tools, size):
    data = os.urandom(size)
    path = tmp_path / "plate.bin"
    path.write_bytes(data)
    expected = xxhash.xxh3_128(data).hexdigest()
    assert content_id(str(path)) == expected
    # the reader's path (small files read once and hashed whole, large ones streamed) agrees
    assert read(path, tools, ReadSettings(want_content_id=True)).content_id == expected
