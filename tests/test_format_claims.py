"""A file whose bytes are not the format its name claims: delivery QC's view.

A finals tree holds files whose names lie: a text file or a server's error page
saved as shot.mp4, a RIFF file that is not WAVE under mix.wav, a symlink from
poster.jpg to a system file, a render cut off half-way. Each must fail the gate
as `unreadable`, with the reason in words. Media of another kind than its name
says is read as what it is, with a warning; names aiprov does not claim (.txt,
none) keep the exiftool fallback.

Every format aiprov claims is made here with the real tool that writes it
(Pillow, ffmpeg), read as it is, then read again as a text impostor under its
name and as a damaged copy.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from aiprov import containers

from .conftest import SAMPLES
from .helpers import aiprov, ffmpeg, read

TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"]
CLIP = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1"]
STILL = CLIP + ["-frames:v", "1"]


def picture() -> Image.Image:
    im = Image.linear_gradient("L").resize((64, 48))
    return Image.merge("RGB", (im, im.transpose(Image.FLIP_LEFT_RIGHT), im.rotate(90)))


def with_pillow(fmt: str, **kw) -> Callable[[Path], None]:
    return lambda path: picture().save(path, fmt, **kw)


def with_ffmpeg(*args: str) -> Callable[[Path], None]:
    return lambda path: ffmpeg(*args, str(path))


def cut(fraction: float) -> Callable[[bytes], bytes]:
    """A copy stopped part-way: what an interrupted render, transfer or download leaves."""
    return lambda data: data[: int(len(data) * fraction)]


def cut_at(n: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:n]


def garbage_after(n: int) -> Callable[[bytes], bytes]:
    """The first n bytes intact, the rest overwritten: a header with nothing real behind it."""
    return lambda data: data[:n] + random.Random(n).randbytes(len(data) - n)


def without_second_ts_sync(data: bytes) -> bytes:
    size = 192 if data[4] == 0x47 and data[196] == 0x47 else 188
    offset = 4 if size == 192 else 0
    return data[: offset + size] + b"\x00" + data[offset + size + 1:]


def pack_header_marker_broken(data: bytes) -> bytes:
    return data[:4] + b"\x00" + data[5:]


@dataclass(frozen=True)
class Kind:
    """One claimed format: how to make a real one, how to damage it, and what the reason then says."""

    id: str
    ext: str
    make: Callable[[Path], None]
    damage: Callable[[bytes], bytes]
    reason: str


KINDS = [
    Kind("png", ".png", with_pillow("PNG"), cut(0.6), "truncated"),
    Kind("apng", ".apng", with_pillow("PNG"), cut(0.6), "truncated"),
    Kind("jpeg", ".jpg", with_pillow("JPEG"), cut(0.6), "truncated"),
    Kind("jpeg-long-ext", ".jpeg", with_pillow("JPEG"), cut(0.6), "truncated"),
    Kind("webp", ".webp", with_pillow("WEBP"), cut(0.6), "truncated"),
    Kind("tiff", ".tif", with_pillow("TIFF"), cut(0.6), "TIFF image data is cut off"),
    Kind("tiff-long-ext", ".tiff", with_pillow("TIFF", compression="tiff_lzw"), cut(0.6), "truncated"),
    Kind("bigtiff", ".tif", with_pillow("TIFF", big_tiff=True), cut_at(12), "truncated"),
    Kind("dng-is-tiff", ".dng", with_pillow("TIFF"), cut(0.6), "truncated"),
    Kind("gif", ".gif", with_pillow("GIF"), cut(0.6), "GIF is cut off"),
    Kind("bmp", ".bmp", with_pillow("BMP"), cut(0.6), "BMP pixel data is cut off"),
    Kind("jp2", ".jp2", with_pillow("JPEG2000"), cut(0.9), "truncated"),
    Kind("avif", ".avif", with_pillow("AVIF"), cut(0.6), "truncated"),
    Kind("wav", ".wav", with_ffmpeg(*TONE), cut(0.6), "truncated"),
    Kind("bwf", ".bwf", with_ffmpeg(*TONE, "-f", "wav", "-write_bext", "1"), cut(0.6), "truncated"),
    Kind("rf64-wav", ".wav", with_ffmpeg(*TONE, "-rf64", "always"), cut(0.6), "truncated"),
    Kind("avi", ".avi", with_ffmpeg(*CLIP, "-c:v", "mpeg4"), cut(0.6), "truncated"),
    Kind("mp4", ".mp4", with_ffmpeg(*CLIP, "-c:v", "libx264"), cut(0.6), "truncated"),
    Kind("mov", ".mov", with_ffmpeg(*CLIP, "-c:v", "libx264"), cut(0.6), "truncated"),
    Kind("qt", ".qt", with_ffmpeg(*CLIP, "-c:v", "libx264", "-f", "mov"), cut(0.6), "truncated"),
    Kind("m4v", ".m4v", with_ffmpeg(*CLIP, "-c:v", "libx264"), cut(0.6), "truncated"),
    Kind("3gp", ".3gp", with_ffmpeg(*CLIP, "-c:v", "libx264"), cut(0.6), "truncated"),
    Kind("m4a", ".m4a", with_ffmpeg(*TONE, "-c:a", "aac"), cut(0.6), "truncated"),
    Kind("exr-zip", ".exr", with_ffmpeg(*STILL, "-c:v", "exr", "-compression", "zip16"), cut(0.9), "truncated"),
    Kind("exr-none", ".exr", with_ffmpeg(*STILL, "-c:v", "exr", "-compression", "none"), cut(0.6), "truncated"),
    Kind("dpx", ".dpx", with_ffmpeg(*STILL), cut(0.6), "truncated"),
    Kind("mp3", ".mp3", with_ffmpeg(*TONE, "-c:a", "libmp3lame"), cut(0.6), "MP3 is cut off"),
    Kind("mp3-bare", ".mp3", with_ffmpeg(*TONE, "-c:a", "libmp3lame", "-id3v2_version", "0"), garbage_after(4),
         "MPEG audio stream breaks"),
    Kind("aac", ".aac", with_ffmpeg(*TONE, "-c:a", "aac", "-f", "adts"), garbage_after(7), "ADTS AAC stream breaks"),
    Kind("mkv", ".mkv", with_ffmpeg(*CLIP, "-c:v", "libx264"), cut(0.6), "truncated"),
    Kind("mka", ".mka", with_ffmpeg(*TONE, "-c:a", "libopus"), cut(0.6), "truncated"),
    Kind("webm", ".webm", with_ffmpeg(*TONE, "-c:a", "libopus"), cut(0.6), "truncated"),
    Kind("mxf", ".mxf", with_ffmpeg(*CLIP, "-c:v", "mpeg2video"), cut(0.6), "truncated"),
    Kind("flac", ".flac", with_ffmpeg(*TONE), cut_at(2000), "truncated"),
    Kind("ogg", ".ogg", with_ffmpeg(*TONE, "-c:a", "libvorbis"), cut(0.6), "truncated"),
    Kind("oga", ".oga", with_ffmpeg(*TONE, "-c:a", "flac", "-f", "ogg"), cut(0.6), "truncated"),
    Kind("opus", ".opus", with_ffmpeg(*TONE, "-c:a", "libopus"), cut(0.6), "truncated"),
    Kind("ogv", ".ogv", with_ffmpeg(*CLIP, "-c:v", "libtheora"), cut(0.6), "truncated"),
    Kind("aiff", ".aiff", with_ffmpeg(*TONE), cut(0.6), "truncated"),
    Kind("aif", ".aif", with_ffmpeg(*TONE, "-f", "aiff"), cut(0.6), "truncated"),
    Kind("aifc", ".aifc", with_ffmpeg(*TONE, "-f", "aiff"), cut(0.6), "truncated"),
    Kind("mts", ".mts", with_ffmpeg(*CLIP, "-c:v", "libx264", "-f", "mpegts"), without_second_ts_sync, "named .mts"),
    Kind("m2ts", ".m2ts", with_ffmpeg(*CLIP, "-c:v", "libx264", "-f", "mpegts", "-mpegts_m2ts_mode", "1"),
         without_second_ts_sync, "named .m2ts"),
    Kind("mpg", ".mpg", with_ffmpeg(*CLIP, "-c:v", "mpeg2video", "-f", "mpeg"), pack_header_marker_broken,
         "pack header is corrupt"),
    Kind("mpeg", ".mpeg", with_ffmpeg(*CLIP, "-c:v", "mpeg1video", "-f", "mpeg"), pack_header_marker_broken,
         "pack header is corrupt"),
]


# Formats whose end the walk checks, so that any cut-off copy is caught without decoding (PNG, JPEG, RIFF and
# BMFF cut-offs have their own tests in test_containers.py). The others play to the cut (MPEG-TS/PS, ADTS, FLAC
# frames) or may keep a tag's worth of slack (MP3 after an ID3 tag).
END_CHECKED = ["tiff", "bigtiff", "dng-is-tiff", "gif", "bmp", "jp2", "rf64-wav", "exr-zip",
               "exr-none", "mp3-bare", "mkv", "mka", "webm", "mxf", "ogg", "oga", "opus", "ogv", "aiff", "aif", "aifc"]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Callable[[Kind], bytes]:
    """The bytes of a real file of each kind, made once for the module."""
    folder = tmp_path_factory.mktemp("made")
    cache: dict[str, bytes] = {}

    def bytes_of(kind: Kind) -> bytes:
        if kind.id not in cache:
            path = folder / f"{kind.id}{kind.ext}"
            kind.make(path)
            cache[kind.id] = path.read_bytes()
        return cache[kind.id]

    return bytes_of


def test_every_claimed_extension_is_tested_with_a_real_file():
    from aiprov.claims import CLAIMS

    # .heic/.heif: nothing here writes HEIC; an AVIF (also HEIF) under those names is tested below.
    tested = {k.ext for k in KINDS} | {".heic", ".heif", ".jpe", ".jfif"}
    assert {e.decode() for e in CLAIMS} == tested


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_a_real_file_is_read_and_a_text_impostor_or_damaged_copy_under_its_name_is_unreadable(tmp_path, tools, made,
                                                                                             kind):
    real = tmp_path / f"real{kind.ext}"
    real.write_bytes(made(kind))
    insp = read(real, tools)
    assert insp.verdict != "unreadable", insp.error
    assert not [w for w in insp.warnings if "named" in w], insp.warnings

    impostor = tmp_path / f"impostor{kind.ext}"
    impostor.write_text("shot 042 v003 approved by the director\n")
    insp = read(impostor, tools)
    assert insp.verdict == "unreadable"
    assert insp.error.startswith(f'named {kind.ext}, but its bytes are plain text ("shot 042 v003'), insp.error

    damaged = tmp_path / f"damaged{kind.ext}"
    damaged.write_bytes(kind.damage(real.read_bytes()))
    insp = read(damaged, tools)
    assert insp.verdict == "unreadable"
    assert kind.reason in insp.error, insp.error


@pytest.mark.parametrize("kind", [k for k in KINDS if k.id in END_CHECKED], ids=lambda k: k.id)
def test_a_copy_cut_off_anywhere_is_never_taken_for_a_whole_file(made, kind):
    data = made(kind)
    for n in [*range(64), *(len(data) * i // 16 for i in range(1, 16))]:
        meta = containers.walk(io.BytesIO(data[:n]), n)  # never raises, whatever the cut
        # Below 18 bytes not every one of these formats can be recognised yet (a BMP's headers need 18).
        assert n < 18 or (meta.format != "unknown" and meta.problems), f"{kind.id} cut to {n} of {len(data)} bytes"


# --- the three files from the report, end to end through the gate --------------------------------


def scan_finals(tmp_path: Path, place: Callable[[Path], None]) -> tuple[subprocess.CompletedProcess, dict]:
    """`aiprov scan DELIVERY` with no aiprov.toml anywhere: everything in it is finals."""
    delivery = tmp_path / "DELIVERY"
    delivery.mkdir()
    place(delivery)
    result = aiprov("scan", delivery, "--ledger", tmp_path / "ledger.db", "--format", "json", cwd=tmp_path)
    return result, json.loads(result.stdout)


def only_file(report: dict) -> dict:
    assert report["summary"]["files"] == 1
    return report["files"][0]


def test_text_file_named_mp4_in_finals_is_unreadable_and_fails_the_gate(tmp_path):
    r, report = scan_finals(tmp_path, lambda d: (d / "shot.mp4").write_text("hello, this is not a video\n"))
    assert r.returncode == 1, r.stdout + r.stderr
    f = only_file(report)
    assert f["verdict"] == "unreadable"
    assert f["error"].startswith('named .mp4, but its bytes are plain text ("hello, this is not a video")')
    assert [x["rule"] for x in f["findings"]] == ["unreadable-in-finals"]
    assert "named .mp4, but its bytes are plain text" in f["findings"][0]["message"]


def test_riff_file_that_is_not_wave_named_wav_in_finals_is_unreadable_and_fails_the_gate(tmp_path):
    r, report = scan_finals(tmp_path, lambda d: (d / "mix.wav").write_bytes(b"RIFF\x08\x00\x00\x00garbage!"))
    assert r.returncode == 1, r.stdout + r.stderr
    f = only_file(report)
    assert f["verdict"] == "unreadable"
    assert f["error"].startswith("named .wav, but its bytes are a RIFF file of type 'garb', not WAVE")
    assert [x["rule"] for x in f["findings"]] == ["unreadable-in-finals"]


def test_symlink_named_jpg_to_a_system_text_file_in_finals_is_unreadable_and_says_where_it_points(tmp_path):
    system_file = tmp_path / "etc" / "hostname"
    system_file.parent.mkdir()
    system_file.write_text("render-node-07\n")
    r, report = scan_finals(tmp_path, lambda d: (d / "poster.jpg").symlink_to(system_file))
    assert r.returncode == 1, r.stdout + r.stderr
    f = only_file(report)
    assert f["verdict"] == "unreadable"
    assert f["error"] == (f'named .jpg, but its bytes are plain text ("render-node-07"): '
                          f"it is a symbolic link to {system_file}")


def test_the_text_report_tells_qc_what_the_bytes_are(tmp_path):
    delivery = tmp_path / "DELIVERY"
    delivery.mkdir()
    (delivery / "shot.mp4").write_text("<!DOCTYPE html><html><title>403 Forbidden</title></html>\n")
    r = aiprov("scan", delivery, "--ledger", tmp_path / "ledger.db", cwd=tmp_path)
    assert r.returncode == 1
    assert "unreadable-in-finals" in r.stdout
    assert 'named .mp4, but its bytes are an HTML page ("<!DOCTYPE html><html><title>403' in r.stdout
    assert "not ready to deliver" in r.stdout


# --- what the bytes are, in words ------------------------------------------------------------------


@pytest.mark.parametrize("name, data, words", [
    ("blank.mov", bytes(8192), "all zeros where its header belongs"),
    ("plate.exr", b"PK\x03\x04" + bytes(200), "a ZIP archive"),
    ("stem.wav", b"RIFF\x24\x00\x00\x00CDXAfmt ", "a RIFF file of type 'CDXA', not WAVE"),
    ("stem.aiff", b"FORM\x00\x00\x00\x0cILBMBMHD\x00\x00\x00\x00", "an IFF file of type 'ILBM', not AIFF"),
    ("cue.wav", "speaker one: hello".encode("utf-16"), 'plain text ("speaker one: hello")'),
    ("plate.dpx", b"\x13\x37\xc0\xde" + bytes(range(256)) * 4, "no media format aiprov knows (binary data beginning "
                                                               "13 37 c0 de 00 01 02 03)"),
])
def test_bytes_that_are_no_media_get_a_description_a_person_understands(tmp_path, tools, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert insp.error.startswith(f"named {path.suffix}, but its bytes are {words}"), insp.error


def test_a_pdf_named_mov_is_unreadable_as_not_media(tmp_path, tools):
    path = tmp_path / "edit.mov"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n")
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert insp.error.startswith("named .mov, but its bytes are a PDF document, not media"), insp.error


def test_text_under_a_claimed_name_is_unreadable_but_under_other_names_keeps_the_exiftool_fallback(tmp_path, tools):
    text = "turnover notes for reel 3\n"
    verdicts = {}
    for name in ("notes.mov", "NOTES.MOV", "notes.txt", "notes", "notes.psd"):
        (tmp_path / name).write_text(text)
        verdicts[name] = read(tmp_path / name, tools).verdict
    assert verdicts == {"notes.mov": "unreadable", "NOTES.MOV": "unreadable", "notes.txt": "unknown",
                        "notes": "unknown", "notes.psd": "unknown"}


# --- mislabeled media: read as what it is, with a warning ---------------------------------------


@pytest.mark.parametrize("made_as, named, words", [
    (".png", ".jpg", "a PNG image"),
    (".wav", ".mp3", "a WAV file"),
    (".mp4", ".mkv", "an MP4/QuickTime (ISO BMFF) file"),
    (".mts", ".mp4", "an MPEG transport stream"),
    (".avif", ".jpg", "a HEIF/AVIF image"),
])
def test_media_of_another_kind_than_its_name_is_read_as_what_it_is_with_a_warning(tmp_path, tools, made_as,
                                                                                  named, words):
    kind = next(k for k in KINDS if k.ext == made_as)
    made = tmp_path / f"made{made_as}"
    kind.make(made)
    renamed = made.rename(tmp_path / f"delivered{named}")
    insp = read(renamed, tools)
    assert insp.verdict != "unreadable", insp.error
    assert any(w.startswith(f"named {named}, but its bytes are {words}: read as that") for w in insp.warnings), \
        insp.warnings


@pytest.mark.parametrize("named", [".heic", ".heif"])
def test_an_avif_named_heic_is_read_as_the_heif_image_it_is_without_a_warning(tmp_path, tools, named):
    path = tmp_path / f"still{named}"
    picture().save(path, "AVIF")
    with_text = tmp_path / f"impostor{named}"
    with_text.write_text("not an image\n")
    insp = read(path, tools)
    assert insp.verdict != "unreadable" and not insp.warnings, (insp.error, insp.warnings)
    assert read(with_text, tools).error.startswith(f"named {named}, but its bytes are plain text")


# --- structure a name's format cannot do without -----------------------------------------------


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((kind, pos, size))
        pos += size
    return out


def test_a_movie_whose_recording_never_finished_has_no_moov_and_is_unreadable(tmp_path, tools):
    whole = tmp_path / "whole.mov"
    ffmpeg(*CLIP, "-c:v", "libx264", str(whole))
    data = whole.read_bytes()
    moov = next(pos for kind, pos, _ in boxes(data) if kind == b"moov")
    unfinished = tmp_path / "A001C007.mov"
    unfinished.write_bytes(data[:moov])  # ftyp, mdat: every box whole, the sample tables never written
    insp = read(unfinished, tools)
    assert insp.verdict == "unreadable"
    assert "no 'moov' box" in insp.error and "never finished" in insp.error


def exr_header_end(data: bytes) -> int:
    """Where a single-part EXR's header ends and its offset table begins."""
    pos = 8
    while data[pos] != 0:
        pos = data.index(b"\x00", data.index(b"\x00", pos) + 1) + 1  # attribute name, type name
        pos += 4 + struct.unpack("<i", data[pos:pos + 4])[0]
    return pos + 1


def test_an_exr_render_interrupted_before_its_offset_table_was_filled_in_is_unreadable(tmp_path, tools):
    whole = tmp_path / "whole.exr"
    ffmpeg(*STILL, "-c:v", "exr", "-compression", "zip16", str(whole))
    data = bytearray(whole.read_bytes())
    table = exr_header_end(data)
    data[table + 8: table + 16] = bytes(8)  # the writer fills the table in last
    path = tmp_path / "beauty.0001.exr"
    path.write_bytes(bytes(data))
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "EXR offset table is incomplete" in insp.error


def test_an_ai_exr_render_cut_off_in_its_pixels_is_still_ai_with_the_damage_as_a_warning(tmp_path, tools):
    path = tmp_path / "ai_plate.exr"
    path.write_bytes(cut(0.7)((SAMPLES / "exr" / "ai_plate.exr").read_bytes()))
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "ComfyUI"
    assert any("truncated" in w for w in insp.warnings), insp.warnings


def test_a_png_without_image_data_is_unreadable(tmp_path, tools):
    picture().save(tmp_path / "whole.png", "PNG")
    whole = (tmp_path / "whole.png").read_bytes()
    data = bytearray()
    pos = 8
    while pos < len(whole):
        (length,) = struct.unpack(">I", whole[pos:pos + 4])
        if whole[pos + 4:pos + 8] != b"IDAT":
            data += whole[pos:pos + 12 + length]
        pos += 12 + length
    path = tmp_path / "empty.png"
    path.write_bytes(whole[:8] + bytes(data))
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "no image data" in insp.error


def test_a_jpeg_whose_frame_header_is_missing_is_unreadable(tmp_path, tools):
    whole = tmp_path / "whole.jpg"
    picture().save(whole, "JPEG")
    data = whole.read_bytes()
    sof = data.index(b"\xff\xc0")
    (length,) = struct.unpack(">H", data[sof + 2:sof + 4])
    path = tmp_path / "noframe.jpg"
    path.write_bytes(data[:sof] + data[sof + 2 + length:])
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "no frame header" in insp.error


def test_a_wav_without_its_format_chunk_is_unreadable(tmp_path, tools):
    whole = tmp_path / "whole.wav"
    ffmpeg(*TONE, str(whole))
    data = whole.read_bytes()
    fmt = data.index(b"fmt ")
    (size,) = struct.unpack("<I", data[fmt + 4:fmt + 8])
    body = data[12:fmt] + data[fmt + 8 + size:]
    path = tmp_path / "stem.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "WAV has no 'fmt ' chunk" in insp.error


def test_an_mxf_whose_footer_is_not_where_its_header_says_is_unreadable(tmp_path, tools):
    whole = tmp_path / "whole.mxf"
    ffmpeg(*CLIP, "-c:v", "mpeg2video", str(whole))
    data = bytearray(whole.read_bytes())
    footer = data.rindex(b"\x06\x0e\x2b\x34\x02\x05\x01\x01\x0d\x01\x02\x01\x01\x04")
    data[footer:footer + 16] = bytes(16)
    path = tmp_path / "A001C003.mxf"
    path.write_bytes(bytes(data))
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "no footer partition" in insp.error
