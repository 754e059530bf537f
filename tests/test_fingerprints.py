"""Perceptual fingerprints: stills survive re-saves, resizes, crops and stripping; unrelated
pictures never match; the index is exact; a temp AI clip is found inside a re-encoded master.

Everything is real media made here with Pillow and ffmpeg, or read from the samples and
the test corpus (tests/corpus).
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
import zlib
import struct

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aiprov.fingerprints import (MATCH_THRESHOLD, Fingerprint, ImageTooLarge, hamming,  # noqa: E402
                                 still_distance, still_fingerprint)
from aiprov.fpindex import FingerprintIndex, brute_force  # noqa: E402
from aiprov.videoprints import ClipPrint, clip_fingerprint, match_clip, timecode  # noqa: E402

from .conftest import CORPUS, SAMPLES  # noqa: E402
from .helpers import photo  # noqa: E402

STILL = SAMPLES / "stills" / "a1111_parameters.png"


# --------------------------------------------------------------------------------------
# media makers


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def crop(im: Image.Image, left=0.0, top=0.0, right=0.0, bottom=0.0) -> Image.Image:
    w, h = im.size
    return im.crop((round(w * left), round(h * top), w - round(w * right), h - round(h * bottom)))


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=300)


# --------------------------------------------------------------------------------------
# stills: copies of the same picture


def originals() -> list[tuple[str, Image.Image, bytes]]:
    big = photo(4242, 1200, 800)
    info = PngInfo()
    info.add_text("parameters", "a lighthouse at dusk\nSteps: 20, Sampler: Euler a, Seed: 1")
    return [("sample a1111_parameters.png", Image.open(STILL).convert("RGB"), STILL.read_bytes()),
            ("generated 1200x800", big, encode(big, pnginfo=info))]


@pytest.mark.parametrize("name,im,data", originals(), ids=["sample", "generated"])
def test_copies_of_a_still_stay_within_the_threshold(name, im, data):
    orig = still_fingerprint(data)
    assert orig is not None and len(orig.bits) == 32 and orig.kind == "pdq" and orig.quality >= 50
    w, h = im.size
    stripped = Image.open(io.BytesIO(data))
    stripped_png = encode(stripped.convert("RGB"))                  # no text chunks, no EXIF
    assert b"tEXt" not in stripped_png and b"iTXt" not in stripped_png
    copies = {
        "jpeg q70": encode(im, "JPEG", quality=70),
        "resized 50%": encode(im.resize((w // 2, h // 2), Image.LANCZOS)),
        "metadata stripped": stripped_png,
        "jpeg q70 of a 50% resize": encode(im.resize((w // 2, h // 2), Image.BILINEAR), "JPEG", quality=70),
        "crop 5% left": encode(crop(im, left=0.05)),
        "crop 5% top+right": encode(crop(im, top=0.05, right=0.05)),
        "crop 5% every side": encode(crop(im, 0.05, 0.05, 0.05, 0.05)),
        "crop 2.5% every side": encode(crop(im, 0.025, 0.025, 0.025, 0.025)),
        "crop 3%/1%/0/4%, jpeg q80": encode(crop(im, 0.03, 0.01, 0.0, 0.04), "JPEG", quality=80),
    }
    for label, blob in copies.items():
        fp = still_fingerprint(blob)
        assert fp is not None, label
        d = still_distance(orig, fp)
        assert d <= MATCH_THRESHOLD, f"{name}: {label} is {d} bits away"
        assert still_distance(fp, orig) == d                        # symmetric
        if not label.startswith("crop"):                            # no crop: the primary hash alone
            assert hamming(orig.bits, fp.bits) <= MATCH_THRESHOLD, label


def test_exif_orientation_is_applied(tmp_path):
    im = photo(7, 400, 300)
    exif = Image.Exif()
    exif[0x0112] = 6                                                # "rotate 90 CW to display"
    stored = im.transpose(Image.Transpose.ROTATE_90)               # pixels as a camera stores them
    rotated = encode(stored, "JPEG", quality=92, exif=exif.tobytes())
    upright = still_fingerprint(encode(im, "JPEG", quality=92), crops=False)
    assert hamming(still_fingerprint(rotated, crops=False).bits, upright.bits) <= 8


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    """Ground truth without hashes: same aspect and nearly the same pixels at 32x32, as they
    are or mirrored (the samples' C2PA composite is the camera original flopped)."""
    if abs(a.width / a.height - b.width / b.height) > 0.02:
        return False
    x = np.asarray(a.convert("L").resize((32, 32), Image.BOX), np.float32)
    y = np.asarray(b.convert("L").resize((32, 32), Image.BOX), np.float32)
    return min(float(np.abs(x - y).mean()), float(np.abs(x - y[:, ::-1]).mean())) < 4.0


def unrelated_set() -> list[tuple[str, Image.Image, bytes]]:
    files = []
    for pattern in ("*.jpg", "*.png", "*.webp", "*.TIF"):
        files += sorted((CORPUS / "plain").glob(pattern))
    for pattern in ("*.jpg", "*.png"):
        files += sorted((SAMPLES / "stills").glob(pattern))
    out = []
    for f in files:
        data = f.read_bytes()
        out.append((f.name, Image.open(io.BytesIO(data)), data))
    seed, made = 1000, 0
    while made < 20:                      # 20 photos that PDQ rates >= MIN_QUALITY (2 in 50 are too flat)
        im, seed = photo(seed), seed + 1
        data = encode(im, "JPEG", quality=90)
        if still_fingerprint(data, crops=False) is not None:
            out.append((f"photo{seed - 1}", im, data))
            made += 1
    return out


def test_unrelated_pictures_never_match(corpus):
    items = unrelated_set()
    assert len(items) == 34              # 5 corpus pictures + 9 sample stills + 20 photos
    fps = [still_fingerprint(data) for _, _, data in items]
    assert all(fp is not None for fp in fps)
    closest, same_pairs = 256, []
    for i, j in itertools.combinations(range(len(items)), 2):
        d = still_distance(fps[i], fps[j])
        if same_picture(items[i][1], items[j][1]):
            same_pairs.append((items[i][0], items[j][0]))
            assert d <= MATCH_THRESHOLD, f"{items[i][0]} / {items[j][0]}: same picture, {d} bits"
            continue
        assert d > MATCH_THRESHOLD, f"false match: {items[i][0]} / {items[j][0]} at {d} bits"
        closest = min(closest, d)
    # the set holds known duplicates (a PNG and a JPEG of one sample; A.jpg = sample1.png; the
    # camera original and its flop in the C2PA composite)
    assert ("a1111_parameters.png", "a1111_usercomment.jpg") in [tuple(sorted(p)) for p in same_pairs]
    assert ("ai_c2pa_composite.png", "camera_original.jpg") in [tuple(sorted(p)) for p in same_pairs]
    assert closest >= 2 * MATCH_THRESHOLD - 10, f"closest unrelated pair only {closest} bits apart"


def test_flat_pictures_get_no_fingerprint():
    assert still_fingerprint(encode(Image.new("RGB", (640, 360), (20, 20, 20)))) is None
    assert still_fingerprint(encode(Image.new("RGB", (64, 64), (200, 10, 10)), "JPEG")) is None


def _png_header_only(w: int, h: int) -> bytes:
    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_decompression_bombs_are_refused_before_decoding():
    with pytest.raises(ImageTooLarge):
        still_fingerprint(_png_header_only(12000, 9000))          # 108 MP: over our 100 MP
    with pytest.raises(ImageTooLarge):
        still_fingerprint(_png_header_only(30000, 30000))         # 900 MP: Pillow's own guard
    with pytest.raises(ImageTooLarge):
        still_fingerprint(encode(photo(1)), max_pixels=10_000)


def test_fingerprint_blob_round_trip(tmp_path):
    p = tmp_path / "x.png"
    photo(3).save(p)
    fp = still_fingerprint(p, features=True)
    blob = fp.to_blob()
    assert len(fp.crops) > 100 and len(fp.features) == 2           # a source: crops, flops, both features
    back = Fingerprint.from_blob(blob, quality=fp.quality)
    assert back.stored == fp.stored and back.variants == fp.variants
    assert [f.descriptors.tobytes() for f in back.features] == [f.descriptors.tobytes() for f in fp.features]
    with open(p, "rb") as fh:                                       # open file objects work too
        assert still_fingerprint(fh).bits == fp.bits
    query = still_fingerprint(p, crops=False)                       # what finals stills keep
    assert len(query.to_blob()) == 14 + 64 and query.stored == (fp.bits, fp.variants[0])
    legacy = Fingerprint.from_blob(fp.bits + fp.variants[0])        # prints of earlier versions
    assert legacy.own == query.own and legacy.features == ()


# --------------------------------------------------------------------------------------
# index


def _flip(rng, h: np.ndarray, n: int) -> np.ndarray:
    bits = np.unpackbits(h).copy()
    bits[rng.choice(256, n, replace=False)] ^= 1
    return np.packbits(bits)


def test_index_agrees_with_brute_force():
    rng = np.random.default_rng(20240611)
    n = 20_000
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    keys = rng.permutation(n).astype(np.int64) * 7 + 3
    queries = rng.integers(0, 256, (60, 32), dtype=np.uint8)
    for q in queries:                                               # plant near neighbours
        for d in rng.choice(np.arange(0, 70), 8):
            hashes[rng.integers(0, n)] = _flip(rng, q, int(d))
    keys[:50] = keys[50:100]                                        # some keys hold two hashes

    idx = FingerprintIndex.from_arrays(keys, hashes)
    assert len(idx) == n
    for threshold in (0, 7, 15, 16, 31, 32, 47, 63, 80):
        for q in queries:
            assert idx.query(q.tobytes(), threshold) == brute_force(keys, hashes, q.tobytes(), threshold)
    found = sum(len(idx.query(q.tobytes(), 31)) for q in queries)
    assert found > 100                                              # the planted ones are there

    # built incrementally (pending buffer + merges), from bytes, from SQLite-like rows
    inc = FingerprintIndex()
    for k, h in zip(keys[:6000], hashes[:6000]):
        inc.add(int(k), h.tobytes())
    inc.add_many(keys[6000:], hashes[6000:])
    loaded = FingerprintIndex.from_bytes(idx.to_bytes())
    rows = FingerprintIndex.from_rows((int(k), h.tobytes()) for k, h in zip(keys, hashes))
    for q in queries:
        want = brute_force(keys, hashes, q.tobytes(), 31)
        assert inc.query(q.tobytes(), 31) == want
        assert loaded.query(q.tobytes(), 31) == want
        assert rows.query(q.tobytes(), 31) == want

    # many queries at once: each key once, at its smallest distance
    got = idx.query_many([q.tobytes() for q in queries[:10]], 31)
    best: dict[int, int] = {}
    for q in queries[:10]:
        for k, d in brute_force(keys, hashes, q.tobytes(), 31):
            best[k] = min(d, best.get(k, 999))
    assert got == sorted(best.items(), key=lambda kv: (kv[1], kv[0]))


def test_index_finds_a_cropped_or_mirrored_still_by_the_sources_crop_hypotheses():
    pics = [photo(500 + i) for i in range(30)]
    idx = FingerprintIndex()
    for key, im in enumerate(pics):
        fp = still_fingerprint(encode(im))      # a source: its crop and flop hypotheses are indexed
        for h in (fp.stored if fp else ()):   # a flat picture has no fingerprint
            idx.add(key, h)
    copy = still_fingerprint(encode(crop(pics[17], left=0.05, bottom=0.03), "JPEG", quality=75), crops=False)
    assert [k for k, _ in idx.query_many(copy.own, MATCH_THRESHOLD)] == [17]
    flop = pics[17].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mirrored = still_fingerprint(encode(crop(flop, right=0.04), "JPEG", quality=80), crops=False)
    hits = idx.query_many(mirrored.own, MATCH_THRESHOLD)
    assert [k for k, _ in hits] == [17]


# --------------------------------------------------------------------------------------
# video


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.fail("ffmpeg and ffprobe are needed on PATH")
    d = tmp_path_factory.mktemp("clips")
    ai = d / "ai_temp_shot.mov"           # the registered temp AI shot: 10 s, changing content
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=s=384x216:r=24,trim=duration=10",
           "-c:v", "prores", "-profile:v", "0", "-pix_fmt", "yuv422p10le", str(ai))
    size = "512x288"
    before = f"testsrc2=s={size}:r=24:d=20"
    after = f"smptehdbars=s={size}:r=24:d=30,noise=alls=40:allf=t"
    master = d / "master.mp4"             # 60 s: other material, the AI shot at 20-30 s, other material
    ffmpeg("-f", "lavfi", "-i", before, "-i", str(ai), "-f", "lavfi", "-i", after, "-filter_complex",
           "[1:v]scale=512:288,setsar=1,fps=24[a];[0:v]setsar=1[b];[2:v]setsar=1[c];"
           "[b][a][c]concat=n=3:v=1:a=0,format=yuv420p[v]",
           "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", str(master))
    other = d / "other_master.mp4"        # 60 s without the AI shot
    ffmpeg("-f", "lavfi", "-i", before, "-f", "lavfi", "-i",
           f"life=s=128x72:r=24:mold=10:ratio=0.3:death_color=#203040:life_color=#f0c060,"
           f"scale={size}:flags=neighbor,trim=duration=10", "-f", "lavfi", "-i", after, "-filter_complex",
           "[0:v]setsar=1[b];[1:v]setsar=1,setpts=PTS-STARTPTS[a];[2:v]setsar=1[c];"
           "[b][a][c]concat=n=3:v=1:a=0,format=yuv420p[v]",
           "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", str(other))
    return {"ai": ai, "master": master, "other": other}


def test_an_ai_clip_cut_into_a_master_is_found_at_its_timecode(clips):
    source = clip_fingerprint(clips["ai"], interval_s=0)             # register densely: every frame
    assert len(source.frames) == 240 and source.fps == 24.0
    master = clip_fingerprint(clips["master"], interval_s=1.0)
    assert 55 <= len(master.frames) <= 75 and abs(master.duration - 60) < 0.1
    segments = match_clip(source, master, threshold=40)
    assert len(segments) == 1, segments
    seg = segments[0]
    assert abs(seg.target_in - 20) <= 1 and abs(seg.target_out - 30) <= 1, seg
    assert abs(seg.source_in - 0) <= 1 and abs(seg.source_out - 10) <= 1, seg
    assert seg.frames_matched >= 8
    assert timecode(round(seg.target_in), 24) == "00:00:20:00"
    # a sparse source print (1 s) finds it too
    sparse = clip_fingerprint(clips["ai"], interval_s=1.0)
    assert [abs(s.target_in - 20) <= 1 for s in match_clip(sparse, master)] == [True]


def test_a_master_without_the_clip_has_no_match(clips):
    source = clip_fingerprint(clips["ai"], interval_s=0)
    other = clip_fingerprint(clips["other"], interval_s=1.0)
    assert len(other.frames) >= 40
    assert match_clip(source, other) == []
    assert match_clip(source, other, threshold=60) == []


def test_sampling_modes_agree_and_prints_round_trip(clips):
    seek = clip_fingerprint(clips["ai"], interval_s=1.0, mode="seek")
    seq = clip_fingerprint(clips["ai"], interval_s=1.0, mode="sequential")
    assert seek.mode == "seek" and [t for t, _ in seek.frames] == [float(t) for t in range(10)]
    assert [t for t, _ in seq.frames] == [t for t, _ in seek.frames]
    assert all(hamming(a, b) <= 4 for (_, a), (_, b) in zip(seek.frames, seq.frames))
    back = ClipPrint.from_blob(seek.to_blob())
    assert back.frames == [(pytest.approx(t), h) for t, h in seek.frames] and back.duration == seek.duration


def test_timecode():
    assert timecode(0, 24) == "00:00:00:00"
    assert timecode(20, 24) == "00:00:20:00"
    assert timecode(3661.5, 25) == "01:01:01:12"
    assert timecode(1 / 24 * 23, 24) == "00:00:00:23"
    assert timecode(1800 / 29.97, 29.97) == "00:01:00:00"                       # non-drop count
    assert timecode(1800 / (30000 / 1001), 30000 / 1001, drop_frame=True) == "00:01:00;02"
    assert timecode(17982 / (30000 / 1001), 30000 / 1001, drop_frame=True) == "00:10:00;00"


# --------------------------------------------------------------------------------------
# stills through the pipeline: grades, encodings, flops, reframes, bars, titles, comps.
# The AI source is the samples' C2PA-signed AI picture (320x180, Adobe Firefly per its
# manifest); every copy is made by ffmpeg filters or Pillow as a finishing pipeline would.

AI_PICTURE = SAMPLES / "stills" / "ai_c2pa_generated.jpg"
CAMERA_PLATE = SAMPLES / "stills" / "camera_original.jpg"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@pytest.fixture(scope="module")
def ai_source():
    """What the ledger keeps for the AI picture as a source: hashes, crop and flop
    hypotheses, local features of both orientations."""
    from aiprov.likeness import _Stills, fingerprint_file

    print_ = fingerprint_file(bytes(AI_PICTURE), "image/jpeg", source=True)
    stills = _Stills()
    stills.add(1, Fingerprint.from_blob(print_.stored))
    return stills


def looks_like(stills, path, media_type: str) -> str | None:
    """Why a finals file looks like the source (None: it does not), as `aiprov scan` decides."""
    from aiprov.likeness import fingerprint_file

    p = fingerprint_file(bytes(path), media_type)
    if p is None:
        return None
    fp = Fingerprint.from_blob(p.stored)
    return stills.find(fp, fp.own).get(1)


def ff_still(tmp_path, name: str, *args: str, src=AI_PICTURE) -> bytes:
    out = tmp_path / name
    ffmpeg("-i", str(src), *args, "-frames:v", "1", str(out))
    return out


GRADES = {  # what a colourist does to a shot, as ffmpeg filters
    "contrast and saturation": "eq=contrast=1.3:saturation=1.5",
    "gamma": "eq=gamma=1.6",
    "lift and gain": "curves=all='0/0.08 1/0.85'",
    "warm white balance": "colortemperature=temperature=4000",
    "cool white balance": "colorbalance=rs=-0.15:bs=0.2:rm=-0.1:bm=0.15",
    "crushed and desaturated": "eq=contrast=0.7:brightness=-0.05:saturation=0.4",
}


@pytest.mark.parametrize("grade", list(GRADES), ids=list(GRADES))
def test_a_graded_copy_of_an_ai_still_looks_like_it(tmp_path, ai_source, grade):
    out = ff_still(tmp_path, "graded.jpg", "-vf", GRADES[grade], "-q:v", "3")
    assert "bits differ" in (looks_like(ai_source, out, "image/jpeg") or "")


def test_an_exr_in_linear_light_looks_like_the_ai_still(tmp_path, ai_source):
    out = ff_still(tmp_path, "plate.exr", "-vf", "zscale=transferin=iec61966-2-1:transfer=linear:npl=100,"
                   "format=gbrpf32le", "-compression", "zip16", "-format", "half")
    assert "bits differ" in (looks_like(ai_source, out, "image/x-exr") or "")


def test_a_10_bit_log_dpx_looks_like_the_ai_still(tmp_path, ai_source):
    # Cineon printing density: code = 685 + 300 log10(linear) (black 95), from sRGB-decoded light
    lin = "pow((val/65535+0.055)/1.055\\,2.4)"
    code = f"clip(685+300*log(max({lin}\\,0.0001)*(1-0.0108)+0.0108)/log(10)\\,0\\,1023)*64"
    out = ff_still(tmp_path, "scan.dpx", "-vf", f"format=rgb48le,lutrgb=r='{code}':g='{code}':b='{code}'",
                   "-pix_fmt", "rgb48le", "-bits_per_raw_sample", "10")
    raw = bytearray(out.read_bytes())
    assert raw[:4] in (b"SDPX", b"XPDS")
    raw[801] = 3                       # transfer characteristic: logarithmic, as a scanner writes it
    out.write_bytes(bytes(raw))
    assert "bits differ" in (looks_like(ai_source, out, "image/x-dpx") or "")


def test_a_16_bit_tiff_looks_like_the_ai_still(tmp_path, ai_source):
    out = ff_still(tmp_path, "deliver.tif", "-pix_fmt", "rgb48le")
    with Image.open(out) as im:
        assert im.size == (320, 180)
    assert "bits differ" in (looks_like(ai_source, out, "image/tiff") or "")


def test_a_flopped_copy_looks_like_the_ai_still(tmp_path, ai_source):
    out = ff_still(tmp_path, "flop.png", "-vf", "hflip,eq=saturation=1.2")
    assert "bits differ" in (looks_like(ai_source, out, "image/png") or "")


def test_a_reframed_and_slightly_rotated_copy_looks_like_the_ai_still(tmp_path, ai_source):
    # push in 12% and turn 2 degrees, back to the delivery size
    out = ff_still(tmp_path, "reframe.jpg", "-vf", "rotate=2*PI/180,crop=iw*0.88:ih*0.88,scale=320:180",
                   "-q:v", "3")
    assert looks_like(ai_source, out, "image/jpeg")
    # beyond what the crop hypotheses cover (12% cut, turned 4 degrees): local features place it
    out = ff_still(tmp_path, "reframe4.jpg", "-vf", "rotate=4*PI/180,crop=iw*0.8:ih*0.8:0:0,scale=320:180",
                   "-q:v", "3")
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "local features" in why and "turned +4" in why, why


@pytest.mark.parametrize("bars", ["letterbox", "pillarbox"])
def test_a_letterboxed_or_pillarboxed_copy_looks_like_the_ai_still(tmp_path, ai_source, bars):
    pad = "pad=320:240:0:30:black" if bars == "letterbox" else "pad=430:180:55:0:black"
    out = ff_still(tmp_path, f"{bars}.jpg", "-vf", f"eq=contrast=1.1,{pad}", "-q:v", "3")
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "bits differ" in why, why


def test_a_letterboxed_copy_with_subtitles_in_the_bar_looks_like_the_ai_still(tmp_path, ai_source):
    out = ff_still(tmp_path, "subs.jpg", "-vf", f"pad=320:260:0:40:black,drawtext=fontfile={FONT}:"
                   "text='We have to go back':fontsize=16:fontcolor=white:x=(w-text_w)/2:y=h-24", "-q:v", "3")
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "bits differ" in why, why


def test_a_copy_with_a_burnt_in_title_and_lower_third_looks_like_the_ai_still(tmp_path, ai_source):
    out = ff_still(tmp_path, "titled.jpg", "-vf", f"drawbox=x=0:y=ih*0.72:w=iw*0.6:h=ih*0.16:color=black@0.7:t=fill,"
                   f"drawtext=fontfile={FONT}:text='DR. ANNA KERN':fontsize=14:fontcolor=white:x=10:y=h*0.75,"
                   f"drawtext=fontfile={FONT}:text='THE LAST LIGHT':fontsize=26:fontcolor=white:x=(w-text_w)/2:y=20",
                   "-q:v", "3")
    assert looks_like(ai_source, out, "image/jpeg")


def comp(tmp_path, name: str, element_filter: str, x: str, y: str) -> bytes:
    """The AI picture (treated by element_filter) comped over a 640x360 camera plate at (x, y)."""
    out = tmp_path / name
    ffmpeg("-i", str(CAMERA_PLATE), "-i", str(AI_PICTURE), "-filter_complex",
           f"[0:v]scale=640:360,eq=contrast=1.05[plate];[1:v]{element_filter}[el];[plate][el]overlay={x}:{y}",
           "-frames:v", "1", "-q:v", "3", str(out))
    return out


def test_an_ai_element_at_its_own_scale_comped_over_a_quarter_of_a_plate_is_found(tmp_path, ai_source):
    out = comp(tmp_path, "insert.jpg", "null", "290", "150")           # 320x180 of 640x360: a quarter
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "local features" in why, why


def test_an_ai_element_scaled_and_comped_over_a_plate_is_found(tmp_path, ai_source):
    out = comp(tmp_path, "scaled.jpg", "scale=400:225,eq=saturation=0.8", "40", "100")
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "local features" in why, why


def test_an_ai_sky_replacing_the_top_of_a_plate_is_found(tmp_path, ai_source):
    # the AI picture scaled to the plate's width; only its upper 45% is kept (the sky)
    out = comp(tmp_path, "sky.jpg", "scale=640:360,crop=640:162:0:0", "0", "0")
    why = looks_like(ai_source, out, "image/jpeg")
    assert why and "local features" in why, why


def test_a_long_gop_clip_decoded_in_parts_side_by_side_gives_the_same_samples(tmp_path):
    clip = tmp_path / "gop10.mp4"            # 24 s, keyframes every 10 s: decoded in order, reference by reference
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=24", "-vf", "hue=H=2*PI*t/24", "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "240", "-sc_threshold", "0", "-pix_fmt", "yuv420p", str(clip))
    from aiprov.videoprints import _Keyframes, _parts, probe

    info = probe(clip)                       # cut at the keyframes, so no GOP is decoded twice
    cuts = _parts(_Keyframes(str(clip), info), info, "sequential", 3)
    assert [(round(a, 3), b if b is None else round(b, 3)) for a, b in cuts] == [(0, 10), (10, 20), (20, None)]
    one = clip_fingerprint(clip, 0.5, parts=1)
    three = clip_fingerprint(clip, 0.5, parts=3)
    assert one.mode == three.mode == "sequential" and len(one.frames) == 48
    assert [(round(t, 3), h) for t, h in three.frames] == [(round(t, 3), h) for t, h in one.frames]


@pytest.mark.parametrize("compression", ["zip16", "zip1", "none", "rle"])
def test_a_scanline_exr_read_in_part_hashes_as_ffmpegs_full_decode(tmp_path, compression):
    from aiprov import ffpictures
    from aiprov.fingerprints import fingerprint_luma

    out = tmp_path / f"plate_{compression}.exr"
    ffmpeg("-i", str(AI_PICTURE), "-vf", "scale=1280:720,zscale=transferin=iec61966-2-1:transfer=linear:npl=100,"
           "format=gbrpf32le", "-compression", compression, "-format", "half", str(out))
    part = ffpictures.exr_luma(bytes(out), 256)
    if compression == "rle":        # not read in part: ffmpeg decodes it
        assert part is None
        return
    assert part is not None and part.size == (256, 144)
    full = fingerprint_luma(ffpictures.decode_with_ffmpeg(bytes(out), "image/x-exr", 256))
    assert hamming(fingerprint_luma(part).bits, full.bits) <= 16


def test_an_exr_with_a_damaged_chunk_is_not_read_in_part(tmp_path):
    """A chunk that does not inflate to the size its header promises (a broken render or copy)
    must not give a picture of garbage: the in-part reader declines and ffmpeg decides."""
    import struct as st

    from aiprov import exrluma

    out = tmp_path / "plate.exr"
    ffmpeg("-i", str(AI_PICTURE), "-vf", "scale=1280:720,format=gbrpf32le", "-compression", "zip16",
           "-format", "half", str(out))
    data = bytearray(out.read_bytes())
    assert exrluma.exr_rgb_rows(bytes(out), 144) is not None
    attrs, pos = exrluma._header(bytes(data))
    (first,) = st.unpack_from("<Q", data, pos)             # the first chunk: y, size, then its zlib stream
    _, size = st.unpack_from("<ii", data, first)
    data[first + 8 + size // 2:first + 8 + size // 2 + 64] = bytes(64)
    out.write_bytes(bytes(data))
    assert exrluma.exr_rgb_rows(bytes(out), 144) is None
