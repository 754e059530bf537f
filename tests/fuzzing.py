"""Mutations of real files: what a half-written render, a bad copy or a hostile upload looks like.

Deterministic (seeded), so a failure names a file that can be made again.
`python -m tests.fuzzing OUT_DIR N` writes N files for a manual run.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

EXTENSIONS = [".png", ".jpg", ".mov", ".mp4", ".wav", ".exr", ".tif", ".webp", ".mp3", ".dpx", ""]


def boundaries(data: bytes) -> list[int]:
    """Offsets where a container segment starts: PNG chunks, JPEG markers, RIFF chunks, BMFF boxes."""
    out = set()
    if data.startswith(b"\x89PNG"):
        pos = 8
        while pos + 8 <= len(data):
            out.add(pos)
            (n,) = struct.unpack(">I", data[pos:pos + 4])
            pos += 12 + n
    elif data[:2] == b"\xff\xd8":
        out.update(i for i in range(2, len(data) - 1) if data[i] == 0xFF and data[i + 1] not in (0, 0xFF))
    elif data[:4] == b"RIFF":
        pos = 12
        while pos + 8 <= len(data):
            out.add(pos)
            (n,) = struct.unpack("<I", data[pos + 4:pos + 8])
            pos += 8 + n + (n & 1)
    elif data[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        pos = 0
        while pos + 8 <= len(data):
            out.add(pos)
            (n,) = struct.unpack(">I", data[pos:pos + 4])
            if n < 8:
                break
            pos += n
    return sorted(out)


def _huge_length(data: bytes, rng: random.Random) -> bytes:
    b = boundaries(data)
    if not b:
        return data[:8] + b"\xff\xff\xff\xf0" + data[12:]
    at = rng.choice(b)
    buf = bytearray(data)
    if data.startswith(b"\x89PNG"):
        buf[at:at + 4] = b"\xff\xff\xff\xf0"
    elif data[:2] == b"\xff\xd8":
        buf[at + 2:at + 4] = b"\xff\xff"
    elif data[:4] == b"RIFF":
        buf[at + 4:at + 8] = b"\xff\xff\xff\xff"
    else:
        buf[at:at + 4] = b"\x7f\xff\xff\xff"
    return bytes(buf)


def _duplicate_segment(data: bytes, rng: random.Random) -> bytes:
    b = boundaries(data) + [len(data)]
    if len(b) < 3:
        return data + data[: len(data) // 3]
    i = rng.randrange(len(b) - 1)
    seg = data[b[i]:b[i + 1]]
    return data[:b[i + 1]] + seg + data[b[i + 1]:]


def _reorder_segments(data: bytes, rng: random.Random) -> bytes:
    b = boundaries(data) + [len(data)]
    if len(b) < 4:
        return data[::-1][: len(data)]
    segs = [data[b[i]:b[i + 1]] for i in range(len(b) - 1)]
    head = data[:b[0]]
    i, j = rng.sample(range(len(segs)), 2)
    segs[i], segs[j] = segs[j], segs[i]
    return head + b"".join(segs)


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["bitflip", "truncate", "truncate-boundary", "huge-length", "duplicate", "reorder",
                       "zero-run", "splice"])
    if kind == "bitflip":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 32)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        return kind, bytes(buf)
    if kind == "truncate":
        return kind, data[: rng.randrange(0, len(data))]
    if kind == "truncate-boundary":
        b = boundaries(data)
        return kind, data[: rng.choice(b) + rng.randint(0, 9)] if b else data[: len(data) // 2]
    if kind == "huge-length":
        return kind, _huge_length(data, rng)
    if kind == "duplicate":
        return kind, _duplicate_segment(data, rng)
    if kind == "reorder":
        return kind, _reorder_segments(data, rng)
    if kind == "zero-run":
        i = rng.randrange(len(data))
        return kind, data[:i] + b"\x00" * rng.randint(1, 4096) + data[i + 4096:]
    other = rng.randrange(len(data))
    return kind, data[other:] + data[:other]


def make_corpus(sources: list[Path], out: Path, n: int, seed: int = 1234) -> list[Path]:
    rng = random.Random(seed)
    seeds = [(p, p.read_bytes()) for p in sources if p.is_file() and p.stat().st_size > 0]
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(n):
        src, data = seeds[i % len(seeds)]
        kind, mutated = mutate(data, rng)
        ext = src.suffix if rng.random() < 0.7 else rng.choice(EXTENSIONS)  # wrong extensions too
        path = out / f"{i:05d}_{kind}_{src.stem[:20]}{ext}"
        path.write_bytes(mutated)
        made.append(path)
    return made


def media_sources(*roots: Path) -> list[Path]:
    exts = {".png", ".jpg", ".jpeg", ".mov", ".mp4", ".wav", ".exr", ".tif", ".webp", ".mp3", ".dpx", ".TIF"}
    return sorted(p for r in roots for p in r.rglob("*") if p.suffix in exts and p.stat().st_size < 3_000_000)


if __name__ == "__main__":
    from .conftest import CORPUS, SAMPLES

    made = make_corpus(media_sources(CORPUS, SAMPLES), Path(sys.argv[1]), int(sys.argv[2]))
    print(f"{len(made)} files in {sys.argv[1]}")
