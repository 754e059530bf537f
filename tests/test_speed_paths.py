"""The fast paths must give the answers the slow ones gave.

* stealth: the cheap check (inflate the first rows, look at column 0) agrees
  with decoding every pixel, on hand-made PNGs with every filter type and
  colour type, and steps aside (full decode) for what it cannot do cheaply;
* the reader pool's batches keep the time limit per file, and a hung or
  crashing file costs exactly one `unreadable` verdict in the middle of a batch;
* XMP sidecars are still found through the per-folder listing, whatever their
  bytes, and a listing goes stale when the folder changes.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aiprov import containers
from aiprov.isolation import ReaderPool
from aiprov.probes import stealth, xmp
from aiprov.reader import ReadSettings
from .helpers import fake_tool, read

A1111 = ("a lighthouse at dusk\nNegative prompt: blurry\n"
         "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 40x24, Model: v1-5-pruned-emaonly")
ST_BITS = np.unpackbits(np.frombuffer(b"st", dtype=np.uint8))
DST_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


# --- hand-made PNGs ------------------------------------------------------------------------------

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel
MODE_OF = {0: "L", 2: "RGB", 4: "LA", 6: "RGBA"}


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filtered(rows: np.ndarray, bpp: int, kinds: list[int]) -> bytes:
    """PNG filtering as an encoder does it, with the filter type of each row chosen by the caller."""
    out = bytearray()
    prev = [0] * rows.shape[1]
    for y, row in enumerate(rows.tolist()):
        kind = kinds[y % len(kinds)]
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            out.append((x - pred) & 0xFF)
        prev = row
    return bytes(out)


def make_png(pixels: np.ndarray, color_type: int, kinds=(0, 1, 2, 3, 4), *, depth: int = 8, interlace: int = 0,
             before: list[bytes] = (), after: list[bytes] = (), idat_size: int = 97, palette: bytes = b"") -> bytes:
    """pixels: (h, w, channels) uint8 (or uint16 for depth 16). IDAT split in small chunks on purpose."""
    h, w = pixels.shape[:2]
    bpp = pixels.shape[2] * depth // 8
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                               (0, 1, 1, 2)):
            sub = pixels[y0::dy, x0::dx]
            if sub.size:
                raw += filtered(to_bytes(sub, depth), bpp, list(kinds))
    else:
        raw = filtered(to_bytes(pixels, depth), bpp, list(kinds))
    data = zlib.compress(raw, 9)
    idats = [chunk(b"IDAT", data[i : i + idat_size]) for i in range(0, len(data), idat_size)]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace)
    plte = [chunk(b"PLTE", palette)] if palette else []
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(before) + b"".join(plte) + b"".join(idats)
            + b"".join(after) + chunk(b"IEND", b""))


def to_bytes(pixels: np.ndarray, depth: int) -> np.ndarray:
    h, w = pixels.shape[:2]
    if depth == 16:
        return pixels.astype(">u2").view(np.uint8).reshape(h, -1)
    return pixels.astype(np.uint8).reshape(h, -1)


def full_decode_prefixes(im: Image.Image) -> dict[str, bool]:
    """What decoding every pixel says: does each variant's bit stream start with b"st"?"""
    out = {}
    for mode in (["alpha"] if "A" in im.getbands() else []) + ["rgb"]:
        bits = stealth._bits(im, mode)
        out[mode] = len(bits) >= 16 and bool((bits[:16] == ST_BITS).all())
    return out


# Bytes per pixel of Pillow's 8-bit modes, to read the first column the way Pillow names the image.
PILLOW_BPP = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def precheck(path: Path) -> tuple[bool, list | None, dict]:
    """(cannot_carry_signature, first column as the pre-check sees it, what the full decode says)."""
    with open(path, "rb") as fh:
        meta = containers.walk(fh, os.path.getsize(path))
        with Image.open(fh) as im:
            verdict = stealth.cannot_carry_signature(fh.fileno(), meta)
            column = None
            if meta.png_idat and im.mode in PILLOW_BPP and not im.info.get("interlace"):
                column = stealth._first_column(fh.fileno(), meta.png_idat, min(16, im.height), im.width,
                                               PILLOW_BPP[im.mode])
            im.load()
            return verdict, column, (full_decode_prefixes(im), np.asarray(im))


@pytest.mark.parametrize("color_type", [0, 2, 4, 6])
@pytest.mark.parametrize("kinds", [(0,), (1,), (2,), (3,), (4,), (4, 3, 2, 1, 0), (2, 4, 3, 3, 1, 0, 4)])
def test_first_column_is_unfiltered_exactly_as_pillow_decodes_it(tmp_path, color_type, kinds):
    rng = np.random.default_rng(color_type * 100 + len(kinds) + kinds[0])
    pixels = rng.integers(0, 256, (21, 13, CHANNELS[color_type]), dtype=np.uint8)
    path = tmp_path / "rows.png"
    path.write_bytes(make_png(pixels, color_type, kinds))

    _verdict, column, (_, decoded) = precheck(path)

    assert Image.open(path).mode == MODE_OF[color_type]
    expect = decoded[:16, 0].reshape(16, -1)
    assert [bytes(p) for p in expect] == column


def plant_prefix(pixels: np.ndarray, variant: str) -> np.ndarray:
    """Make column 0 spell b"st" in the LSBs a variant reads (and nothing more of a signature)."""
    px = pixels.copy()
    if variant == "alpha":
        px[:16, 0, -1] = (px[:16, 0, -1] & 0xFE) | ST_BITS
    else:
        bits = np.concatenate([ST_BITS, np.zeros(2, dtype=np.uint8)])
        for i, bit in enumerate(bits):
            y, c = divmod(i, 3)
            if px.shape[2] <= 2:  # grey: R, G and B are the same sample
                if c == 0:
                    px[y, 0, 0] = (px[y, 0, 0] & 0xFE) | bit
            else:
                px[y, 0, c] = (px[y, 0, c] & 0xFE) | bit
    return px


# Planting "st" in the rgb stream needs colour: grey is repeated in R, G and B, so its bits come in
# triples, and b"st" (0111 0011 0111 0100) cannot be spelled that way.
@pytest.mark.parametrize("color_type,plant", [(0, None), (2, None), (4, None), (6, None),
                                              (4, "alpha"), (6, "alpha"), (2, "rgb"), (6, "rgb")])
def test_the_cheap_check_says_no_exactly_when_the_full_decode_sees_no_signature_start(tmp_path, color_type, plant):
    for seed in range(12):
        rng = np.random.default_rng(seed)
        pixels = rng.integers(0, 256, (18, 7, CHANNELS[color_type]), dtype=np.uint8)
        if plant:
            pixels = plant_prefix(pixels, plant)
        path = tmp_path / f"{seed}.png"
        path.write_bytes(make_png(pixels, color_type, (seed % 5, 4, 2, 3, 1)))

        cannot, _, (full, _) = precheck(path)

        assert cannot == (not any(full.values())), (seed, full)
        if plant:
            assert full[plant] and not cannot


def test_grey_with_a_signature_start_in_its_lsbs_goes_to_the_full_decode(tmp_path):
    # Grey bits repeat three times in "rgb"; 0b000 111 ... never spells "st", but an L image whose
    # grey LSBs are all 1 gives 0xFFFF in the rgb stream; check the pre-check reads grey as R=G=B.
    pixels = np.full((16, 4, 1), 255, dtype=np.uint8)
    path = tmp_path / "grey.png"
    path.write_bytes(make_png(pixels, 0, (2,)))
    cannot, column, (full, _) = precheck(path)
    assert cannot and not any(full.values()) and column[0] == b"\xff"


def stealth_pixels(w: int, h: int, payload: bytes, signature: bytes, channels: int, seed: int = 1) -> np.ndarray:
    """A1111's layout: signature, 32-bit bit count, payload; column-major; alpha LSBs or R,G,B LSBs."""
    rng = np.random.default_rng(seed)
    px = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
    blob = signature + struct.pack(">I", len(payload) * 8) + payload
    bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8))
    if b"rgb" in signature:
        rgb = px[:, :, :3].transpose(1, 0, 2).copy()  # [x, y, c]
        flat = rgb.reshape(-1)
        assert len(bits) <= flat.size
        flat[: len(bits)] = (flat[: len(bits)] & 0xFE) | bits
        px[:, :, :3] = rgb.transpose(1, 0, 2)
    else:
        alpha = px[:, :, -1].T.copy()  # [x, y]
        flat = alpha.reshape(-1)
        assert len(bits) <= flat.size
        flat[: len(bits)] = (flat[: len(bits)] & 0xFE) | bits
        px[:, :, -1] = alpha.T
    return px


@pytest.mark.parametrize("color_type,signature", [
    (6, b"stealth_pnginfo"), (6, b"stealth_pngcomp"), (6, b"stealth_rgbinfo"), (6, b"stealth_rgbcomp"),
    (4, b"stealth_pnginfo"), (2, b"stealth_rgbinfo"), (2, b"stealth_rgbcomp")])
def test_stealth_parameters_are_found_through_the_cheap_path(tmp_path, tools, color_type, signature):
    payload = A1111.encode()
    if signature.endswith(b"comp"):
        payload = gzip.compress(payload)
    pixels = stealth_pixels(120, 40, payload, signature, CHANNELS[color_type])
    path = tmp_path / "stealth.png"
    path.write_bytes(make_png(pixels, color_type, (4, 1, 2, 3, 0)))

    cannot, _, _ = precheck(path)
    insp = read(path, tools)

    assert not cannot
    assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111", insp.reason
    assert insp.evidence[0].field == f"pixel LSBs ({signature.decode()})" and "Seed: 1234" in insp.evidence[0].value


def test_the_sample_stealth_png_is_still_found(tools):
    path = Path(__file__).resolve().parent.parent / "sample_media" / "stills" / "stealth_a1111.png"
    cannot, _, _ = precheck(path)
    assert not cannot
    assert read(path, tools).verdict == "ai"


def test_pillow_written_pngs_agree_too(tmp_path, tools):
    """Pillow's own encoder (adaptive filters, one big IDAT), plain and stealth: the cheap check
    and the full decode agree on every file, and the reader's answer follows them. Stealth
    PNGs are written as the stealth-pnginfo extension writes them (through Pillow), in its four
    variants; near misses spell "st" in column 0 and carry nothing."""
    rng = random.Random(5)
    for i in range(20):
        mode = ("RGB", "RGBA", "L", "LA")[i % 4]
        im = Image.frombytes(mode, (3, 3), rng.randbytes(9 * len(mode))).resize((rng.randint(16, 90), rng.randint(16, 90)))
        path = tmp_path / f"p{i}.png"
        im.save(path, "PNG")
        cannot, _, (full, _) = precheck(path)
        assert cannot == (not any(full.values()))
        assert read(path, tools).verdict == "unknown"

    stealthy = [(4, b"stealth_pnginfo"), (4, b"stealth_pngcomp"), (3, b"stealth_rgbinfo"), (3, b"stealth_rgbcomp"),
                (4, b"stealth_rgbinfo"), (2, b"stealth_pnginfo")]  # channels: RGBA, RGB, LA
    for i, (channels, signature) in enumerate(stealthy):
        payload = gzip.compress(A1111.encode()) if signature.endswith(b"comp") else A1111.encode()
        pixels = stealth_pixels(rng.randint(80, 200), rng.randint(40, 120), payload, signature, channels, seed=i)
        path = tmp_path / f"s{i}.png"
        Image.fromarray(pixels).save(path, "PNG")
        cannot, _, (full, _) = precheck(path)
        variant = "rgb" if b"rgb" in signature else "alpha"
        assert full[variant] and not cannot, (signature, channels, full)  # the cheap check steps aside
        with Image.open(path) as im:
            im.load()
            assert stealth.find_payload(im) == (signature.decode(), A1111)  # the full decode finds it
        insp = read(path, tools)  # and the reader, through both, says so
        assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111", (signature, channels, insp.reason)
        assert insp.evidence[0].field == f"pixel LSBs ({signature.decode()})" and "Seed: 1234" in insp.evidence[0].value

    for i, (channels, variant) in enumerate([(4, "alpha"), (3, "rgb"), (2, "alpha"), (4, "rgb")]):
        pixels = plant_prefix(np.random.default_rng(50 + i).integers(0, 256, (rng.randint(20, 90), rng.randint(16, 90),
                                                                             channels), dtype=np.uint8), variant)
        path = tmp_path / f"near{i}.png"
        Image.fromarray(pixels).save(path, "PNG")
        cannot, _, (full, _) = precheck(path)
        assert full[variant] and not cannot, (channels, variant, full)
        assert read(path, tools).verdict == "unknown"


# --- what the cheap check leaves to the full decode -----------------------------------------------


def test_sixteen_bit_interlaced_palette_and_keyed_pngs_take_the_full_decode_and_still_find_stealth(tmp_path, tools):
    payload = A1111.encode()
    cases = {}
    # 16-bit RGBA: Pillow keeps the high byte, so the signature lives in the high byte's LSB.
    px8 = stealth_pixels(120, 40, payload, b"stealth_pnginfo", 4)
    px16 = (px8.astype(np.uint16) << 8) | np.random.default_rng(3).integers(0, 256, px8.shape, dtype=np.uint16)
    cases["rgba16"] = make_png(px16, 6, (0, 2, 4), depth=16)
    # Adam7-interlaced RGBA and RGB.
    cases["interlaced_rgba"] = make_png(px8, 6, (1, 4), interlace=1)
    cases["interlaced_rgb"] = make_png(stealth_pixels(120, 40, payload, b"stealth_rgbinfo", 3), 2, (3,), interlace=1)
    # Palette: 8 colours whose R, G, B LSBs are every combination; the indexes carry the bits.
    rgb = stealth_pixels(120, 40, payload, b"stealth_rgbinfo", 3)
    lsb = (rgb & 1).astype(np.uint8)
    index = (lsb[:, :, 0] << 2) | (lsb[:, :, 1] << 1) | lsb[:, :, 2]
    palette = bytes(v for i in range(8) for v in (100 | (i >> 2 & 1), 150 | (i >> 1 & 1), 200 | (i & 1)))
    cases["palette"] = make_png(index[:, :, None], 3, (0, 1, 4), palette=palette)
    # An RGB image with a tRNS colour key: Pillow keeps RGB but notes the transparency.
    cases["keyed_rgb"] = make_png(rgb, 2, (2,), before=[chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03")])

    for name, data in cases.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            meta = containers.walk(fh, len(data))
            assert not stealth.cannot_carry_signature(fh.fileno(), meta), name
        insp = read(path, tools)
        assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111", (name, insp.reason)


def test_short_images_and_unusual_tails_take_the_full_decode(tmp_path, tools):
    rng = np.random.default_rng(9)
    short = rng.integers(0, 256, (15, 30, 4), dtype=np.uint8)  # alpha needs 16 rows in column 0
    big_text = zlib.compress(b"x" * (1024 * 1024 + 10))
    plain = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    cases = {
        "short": (make_png(short, 6), True),
        "ztxt_after": (make_png(plain, 2, after=[chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"hello"))]), True),
        "big_itxt_after": (make_png(plain, 2, after=[chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + big_text)]), True),
        "phys_after": (make_png(plain, 2, after=[chunk(b"pHYs", b"\x00" * 9)]), True),
        "split_idat": (None, True),
        "text_after": (make_png(plain, 2, after=[chunk(b"tEXt", b"Comment\x00hello"), chunk(b"tIME", b"\x07\xe8\x01\x02\x03\x04\x05")]), False),
    }
    # Two runs of IDAT with a chunk between: Pillow stops at the first run.
    whole = make_png(plain, 2, idat_size=40)
    first = whole.index(b"IDAT") - 4
    second = whole.index(b"IDAT", first + 8) - 4
    cases["split_idat"] = (whole[:second] + chunk(b"tIME", b"\x07\xe8\x01\x02\x03\x04\x05") + whole[second:], True)

    for name, (data, full) in cases.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        with open(path, "rb") as fh:
            meta = containers.walk(fh, len(data))
            if name != "short":  # short: a plain file, only too few rows for the cheap check
                assert meta.png_plain_tail is (not full), name
            if meta.problems:
                continue
            assert stealth.cannot_carry_signature(fh.fileno(), meta) is (not full), name


def test_a_tail_pillow_rejects_still_makes_the_file_unreadable(tmp_path, tools):
    """A truncated pHYs after the image data: Pillow's full decode complains, as before."""
    plain = np.random.default_rng(2).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    path = tmp_path / "bad_phys.png"
    path.write_bytes(make_png(plain, 2, after=[chunk(b"pHYs", b"\x00\x01")]))
    insp = read(path, tools)
    assert insp.verdict == "unreadable" and "pixels could not be decoded" in insp.reason


def test_damage_pillow_finds_before_the_image_data_still_makes_the_file_unreadable(tmp_path, tools):
    """The stealth pre-check reads a plain PNG's first rows without opening it in Pillow. A file
    Pillow refuses to open must still be refused: a chunk before the image data with a wrong CRC,
    a pHYs too short for its handler, an IHDR naming a filter method that does not exist."""
    plain = np.random.default_rng(5).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    good = make_png(plain, 2, before=[chunk(b"tEXt", b"Comment\x00hello")])
    at = good.index(b"tEXt") + 4 + len(b"Comment\x00hello")
    bad_crc = good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1:]
    ihdr = good.index(b"IHDR") + 4
    bad_filter = bytearray(good)
    bad_filter[ihdr + 11] = 1
    bad_filter[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(bytes(bad_filter[ihdr - 4:ihdr + 13])) & 0xFFFFFFFF)
    cases = {"crc_before_idat": bad_crc, "short_phys_before_idat": make_png(plain, 2, before=[chunk(b"pHYs", b"\x00\x01")]),
             "ihdr_filter_method": bytes(bad_filter)}
    path = tmp_path / "good.png"
    path.write_bytes(good)
    assert read(path, tools).verdict != "unreadable"
    for name, data in cases.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        insp = read(path, tools)
        assert insp.verdict == "unreadable", (name, insp.verdict, insp.reason)


def test_damage_in_the_first_rows_is_reported_as_before(tmp_path, tools):
    plain = np.random.default_rng(4).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    data = bytearray(make_png(plain, 2, (0,), idat_size=10_000))
    start = data.index(b"IDAT") + 4
    body = bytes(data[start : start + struct.unpack(">I", data[start - 8 : start - 4])[0]])
    raw = bytearray(zlib.decompress(body))
    raw[0] = 9  # not a filter type
    body2 = zlib.compress(bytes(raw))
    fixed = (bytes(data[: start - 8]) + chunk(b"IDAT", body2)
             + bytes(data[start + len(body) + 4 :]))
    path = tmp_path / "bad_filter.png"
    path.write_bytes(fixed)
    insp = read(path, tools)
    assert insp.verdict == "unreadable" and "pixels could not be decoded" in insp.reason


# --- XMP sidecars through the folder listing -------------------------------------------------------


def sidecar(dst: str = DST_AI) -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            b'Iptc4xmpExt:DigitalSourceType="' + dst.encode() + b'"/></rdf:RDF></x:xmpmeta>')


def age(folder: Path | bytes, seconds: float = 60.0) -> None:
    """Move the folder's mtime into the past, so its listing is trusted (not in the racy window)."""
    t = time.time_ns() - int(seconds * 1e9) + random.randrange(1, 10**9)
    os.utime(folder, ns=(t, t))


def plain_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name,side", [
    (b"plate.png", b"plate.png.xmp"), (b"plate.png", b"plate.png.XMP"),
    (b"plate.png", b"plate.xmp"), (b"plate.png", b"plate.XMP"),
    (b"caf\xe9 \xff.png", b"caf\xe9 \xff.png.xmp"), (b"caf\xe9 \xff.png", b"caf\xe9 \xff.XMP"),
    (b"noext", b"noext.xmp"),
])
def test_sidecars_are_found_through_the_cached_listing(tmp_path, tools, name, side):
    folder = os.fsencode(tmp_path)
    image = os.path.join(folder, name)
    with open(image, "wb") as fh:
        fh.write(plain_png())
    with open(os.path.join(folder, b"other.png.xmp"), "wb") as fh:
        fh.write(sidecar())
    age(folder)
    assert not xmp.sidecar_may_exist(image)  # listed and cached: only another file's sidecar
    insp = read(image, tools)
    assert insp.verdict == "unknown"

    with open(os.path.join(folder, side), "wb") as fh:
        fh.write(sidecar())
    age(folder)  # an old mtime again, but a different one: the cached listing is stale
    assert xmp.sidecar_may_exist(image)
    insp = read(image, tools)
    assert insp.verdict == "ai", insp.reason
    fields = [e.field for e in insp.evidence if e.source == "xmp-sidecar"]
    shown = {side.decode("utf-8", "backslashreplace"), os.fsdecode(side)}  # however names are displayed
    assert len(fields) == 1 and fields[0].rsplit(" ", 1)[0] in shown, fields


def test_a_sidecar_added_just_now_is_found_without_waiting_for_the_listing(tmp_path, tools):
    folder = os.fsencode(tmp_path)
    image = os.path.join(folder, b"fresh.png")
    with open(image, "wb") as fh:
        fh.write(plain_png())
    age(folder)
    assert read(image, tools).verdict == "unknown"
    with open(image + b".xmp", "wb") as fh:
        fh.write(sidecar())
    # Same second for the test, fresh mtime for the folder: the names are opened, not looked up.
    assert read(image, tools).verdict == "ai"


def test_sidecar_names_are_compared_case_folded_so_a_case_insensitive_volume_loses_nothing(tmp_path):
    folder = os.fsencode(tmp_path)
    (tmp_path / "IMG_0001.JPG.Xmp").write_bytes(sidecar())
    age(folder)
    assert xmp.sidecar_may_exist(os.path.join(folder, b"img_0001.jpg"))
    assert not xmp.sidecar_may_exist(os.path.join(folder, b"img_0002.jpg"))


def test_a_name_too_long_for_a_sidecar_gets_the_same_answer_from_a_cached_listing(tmp_path, tools):
    folder = os.fsencode(tmp_path)
    image = os.path.join(folder, b"x" * 251 + b".png")
    with open(image, "wb") as fh:
        fh.write(plain_png())
    fresh = read(image, tools)  # folder just changed: the names are opened
    age(folder)
    assert xmp._folder_xmp_names(folder) is not None
    listed = read(image, tools)
    assert (listed.verdict, listed.reason) == (fresh.verdict, fresh.reason)


# --- batches in the reader pool --------------------------------------------------------------------


def stills(folder: Path, n: int) -> dict[str, str]:
    """n small PNGs, every third an A1111 render; name -> expected verdict."""
    expect = {}
    for i in range(n):
        info = PngInfo()
        if i % 3 == 0:
            info.add_text("parameters", A1111)
        buf = io.BytesIO()
        Image.new("RGB", (24, 20), (i % 256, 90, 160)).save(buf, "PNG", pnginfo=info)
        (folder / f"s{i:03d}.png").write_bytes(buf.getvalue())
        expect[f"s{i:03d}.png"] = "ai" if i % 3 == 0 else "unknown"
    return expect


def by_name(results) -> dict[str, object]:
    out = {}
    for r in results:
        name = Path(r.path).name
        assert name not in out, f"two results for {name}"
        out[name] = r
    return out


def test_a_hung_file_in_the_middle_of_a_batch_costs_one_verdict_and_only_its_own_time(tmp_path, mp3):
    stuck = fake_tool(tmp_path / "exiftool-stuck", "exec sleep 60")
    expect = stills(tmp_path, 40)
    paths = sorted(str(p) for p in tmp_path.glob("*.png"))
    hung = tmp_path / "hung.mp3"
    hung.write_bytes(mp3.read_bytes())
    paths.insert(7, str(hung))  # inside the first batch

    started = time.monotonic()
    with ReaderPool(ReadSettings(exiftool=stuck), workers=1, timeout_s=2) as pool:
        results = by_name(pool.read_many(paths))
        restarts = pool.restarts
    elapsed = time.monotonic() - started

    assert len(results) == len(paths)
    assert results["hung.mp3"].verdict == "unreadable"
    assert "longer than 2 s" in results["hung.mp3"].reason and "hung" in results["hung.mp3"].reason
    assert {n: r.verdict for n, r in results.items() if n != "hung.mp3"} == expect
    assert restarts == 1
    assert elapsed < 20


def test_two_hung_files_in_one_batch_each_get_their_own_time_limit(tmp_path, mp3):
    stuck = fake_tool(tmp_path / "exiftool-stuck", "exec sleep 60")
    expect = stills(tmp_path, 10)
    paths = sorted(str(p) for p in tmp_path.glob("*.png"))
    for i, name in ((2, "a.mp3"), (6, "b.mp3")):
        (tmp_path / name).write_bytes(mp3.read_bytes())
        paths.insert(i, str(tmp_path / name))

    started = time.monotonic()
    with ReaderPool(ReadSettings(exiftool=stuck), workers=1, timeout_s=1.5) as pool:
        results = by_name(pool.read_many(paths))
    elapsed = time.monotonic() - started

    assert len(results) == len(paths)
    assert results["a.mp3"].verdict == results["b.mp3"].verdict == "unreadable"
    assert {n: r.verdict for n, r in results.items() if not n.endswith(".mp3")} == expect
    assert 3.0 <= elapsed < 20  # 1.5 s each, not one limit for the whole batch


def test_a_crash_in_the_middle_of_a_batch_blames_only_the_file_being_read(tmp_path, mp3):
    crasher = fake_tool(tmp_path / "exiftool-segv", 'kill -SEGV "$PPID"\nexec sleep 30')
    expect = stills(tmp_path, 30)
    paths = sorted(str(p) for p in tmp_path.glob("*.png"))
    bad = tmp_path / "crash.mp3"
    bad.write_bytes(mp3.read_bytes())
    paths.insert(4, str(bad))

    with ReaderPool(ReadSettings(exiftool=crasher), workers=2, timeout_s=20) as pool:
        results = by_name(pool.read_many(paths))
        restarts = pool.restarts

    assert len(results) == len(paths)
    assert results["crash.mp3"].verdict == "unreadable"
    assert "crashed" in results["crash.mp3"].reason and "signal 11" in results["crash.mp3"].reason
    assert {n: r.verdict for n, r in results.items() if n != "crash.mp3"} == expect
    assert restarts == 1


def test_the_time_limit_is_per_file_not_per_batch(tmp_path, mp3):
    """Ten slow files (0.5 s each) queued in a worker, limit 4 s: all take longer than that, no one file does."""
    slow = fake_tool(tmp_path / "exiftool-slow", (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen(['exiftool'] + sys.argv[1:], stdin=subprocess.PIPE)\n"
        "for line in sys.stdin.buffer:\n"
        "    if line.startswith(b'-execute'):\n"
        "        time.sleep(0.5)\n"
        "    p.stdin.write(line)\n"
        "    p.stdin.flush()\n"
        "p.stdin.close()\n"
        "p.wait()\n"), interpreter=sys.executable)
    paths = []
    for i in range(10):
        p = tmp_path / f"slow{i}.mp3"
        p.write_bytes(mp3.read_bytes())
        paths.append(str(p))

    started = time.monotonic()
    with ReaderPool(ReadSettings(exiftool=slow), workers=1, timeout_s=4) as pool:
        results = list(pool.read_many(paths))
        restarts = pool.restarts
    elapsed = time.monotonic() - started

    assert len(results) == 10
    assert [r.verdict for r in results] == ["ai"] * 10, [r.reason for r in results]
    assert restarts == 0
    assert elapsed > 5  # longer than one time limit, without any file overrunning


def test_an_abandoned_read_many_does_not_leak_answers_into_the_next(tmp_path):
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.mkdir()
    second.mkdir()
    stills(first, 60)
    expect = stills(second, 12)
    with ReaderPool(workers=2, timeout_s=30) as pool:
        it = pool.read_many(sorted(str(p) for p in first.glob("*.png")))
        next(it)
        it.close()
        results = by_name(pool.read_many(sorted(str(p) for p in second.glob("*.png"))))
        assert {n: r.verdict for n, r in results.items()} == expect
        assert pool.read_one(str(second / "s000.png")).verdict == "ai"


def test_results_come_one_per_input_for_many_files_and_workers(tmp_path):
    expect = stills(tmp_path, 150)
    paths = sorted(str(p) for p in tmp_path.glob("*.png"))
    missing = str(tmp_path / "gone.png")
    paths.insert(50, missing)
    with ReaderPool(workers=3, timeout_s=30) as pool:
        results = by_name(pool.read_many(iter(paths)))
    assert results.pop("gone.png").verdict == "unreadable"
    assert {n: r.verdict for n, r in results.items()} == expect


def test_a_worker_killed_while_idle_is_replaced_without_blaming_a_file(tmp_path):
    expect = stills(tmp_path, 6)
    paths = sorted(str(p) for p in tmp_path.glob("*.png"))
    with ReaderPool(workers=1, timeout_s=30) as pool:
        assert by_name(pool.read_many(paths[:1]))["s000.png"].verdict == "ai"
        victim = pool._workers[0].process
        os.killpg(victim.pid, 9)
        victim.wait(5)
        results = by_name(pool.read_many(paths))
    assert {n: r.verdict for n, r in results.items()} == expect
