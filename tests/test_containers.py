"""The native header walkers, on real files made here with Pillow, ffmpeg and exiftool.

Each test builds the kind of file a production meets (a generator's PNG, a
camera JPEG, a render's EXR, a mix stem's WAV), sometimes damages it the way
a cut-off copy or a hostile file would, and checks what the walker reports:
the text it found, the XMP it kept, or the problem it names instead of raising.
"""

from __future__ import annotations

import io
import signal
import struct
import subprocess
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aiprov import containers

from .helpers import ffmpeg, read

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
A1111 = ("a lighthouse on a sea cliff at dusk, volumetric fog\n"
         "Negative prompt: blurry, lowres, watermark\n"
         "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 64x48, "
         "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0")


# --- helpers -----------------------------------------------------------------


def walk(path: Path) -> containers.Metadata:
    with open(path, "rb") as fh:
        return containers.walk(fh, path.stat().st_size)


@contextmanager
def deadline(seconds: float):
    """Fail instead of hanging forever if a walker loops."""

    def expired(*_):
        raise TimeoutError(f"walker did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def picture(w: int = 64, h: int = 48, mode: str = "RGB") -> Image.Image:
    im = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (im, im.transpose(Image.FLIP_LEFT_RIGHT), im.rotate(90))).convert(mode)


def png_bytes(im: Image.Image | None = None, info: PngInfo | None = None) -> bytes:
    buf = io.BytesIO()
    (im or picture()).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png_chunk_types(data: bytes) -> list[bytes]:
    pos, out = 8, []
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        out.append(ctype)
        pos += 12 + length
    return out


def insert_before_iend(data: bytes, chunk: bytes) -> bytes:
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + chunk + data[iend:]


def jpeg_bytes(im: Image.Image | None = None, **kw) -> bytes:
    buf = io.BytesIO()
    (im or picture()).save(buf, "JPEG", quality=85, **kw)
    return buf.getvalue()


def insert_jpeg_segments(data: bytes, segments: list[bytes]) -> bytes:
    """Put APPn segments right after SOI (and the JFIF APP0, if any)."""
    pos = 2
    if data[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:pos] + b"".join(segments) + data[pos:]


def app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def xmp_packet(body: str, ns: str = 'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"') -> bytes:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {ns}>{body}</rdf:Description>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


def dst_xmp(code: str) -> bytes:
    return xmp_packet(f"<Iptc4xmpExt:DigitalSourceType>{DST}{code}</Iptc4xmpExt:DigitalSourceType>")


def exif_usercomment(raw_comment: bytes) -> bytes:
    """A piexif-style EXIF block (big-endian TIFF) holding only a UserComment, like AUTOMATIC1111 writes."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(raw_comment), 44) + struct.pack(">I", 0)
    return b"Exif\x00\x00" + tiff + raw_comment


def exiftool_write(path: Path, *tags: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-m", *tags, str(path)],
                   check=True, capture_output=True, timeout=60)


# --- PNG ---------------------------------------------------------------------


def test_a1111_parameters_placed_after_the_image_data_are_still_found(tmp_path, tools):
    data = insert_before_iend(png_bytes(), png_chunk(b"tEXt", b"parameters\x00" + A1111.encode("latin-1")))
    types = png_chunk_types(data)
    assert types.index(b"tEXt") > types.index(b"IDAT")
    path = tmp_path / "after_idat.png"
    path.write_bytes(data)

    meta = walk(path)

    assert ("tEXt:parameters", A1111) in meta.text
    assert meta.complete and not meta.problems
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111"


def test_compressed_ztxt_and_itxt_chunks_are_decoded(tmp_path):
    info = PngInfo()
    info.add_text("parameters", A1111, zip=True)  # latin-1 -> zTXt
    info.add_itxt("Description", "Matte painting – généré par ComfyUI ✓", zip=True)
    path = tmp_path / "compressed_text.png"
    path.write_bytes(png_bytes(info=info))
    assert {b"zTXt", b"iTXt"} <= set(png_chunk_types(path.read_bytes()))

    meta = walk(path)

    assert ("zTXt:parameters", A1111) in meta.text
    assert ("iTXt:Description", "Matte painting – généré par ComfyUI ✓") in meta.text


def test_xmp_in_an_itxt_chunk_is_kept_as_xmp_not_as_text(tmp_path, tools):
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", dst_xmp("trainedAlgorithmicMedia").decode("utf-8"))
    path = tmp_path / "xmp.png"
    path.write_bytes(png_bytes(info=info))

    meta = walk(path)

    assert len(meta.xmp) == 1 and b"trainedAlgorithmicMedia" in meta.xmp[0]
    assert not any(name.endswith("XML:com.adobe.xmp") for name, _ in meta.text)
    insp = read(path, tools)
    assert insp.verdict == "ai"
    assert insp.digital_source_type == DST + "trainedAlgorithmicMedia"


def test_exif_in_a_png_exif_chunk_is_read(tmp_path):
    exif = Image.Exif()
    exif[0x0131] = "Midjourney"
    path = tmp_path / "exif.png"
    picture().save(path, "PNG", exif=exif)
    assert b"eXIf" in png_chunk_types(path.read_bytes())

    assert ("EXIF:Software", "Midjourney") in walk(path).text


def test_a_png_chunk_claiming_four_gigabytes_is_a_problem_not_a_crash(tmp_path, tools):
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
    path = tmp_path / "huge_chunk.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + struct.pack(">I", 0xFFFFFFF0) + b"tEXt"
                     + b"parameters\x00Steps: 20")

    meta = walk(path)

    assert len(meta.problems) == 1
    assert "4294967280" in meta.problems[0] and "truncated or corrupt" in meta.problems[0]
    insp = read(path, tools)
    assert insp.verdict == "unreadable"
    assert "4294967280" in insp.reason


def test_a_png_cut_off_before_iend_is_reported_truncated(tmp_path, tools):
    whole = png_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[:-12])  # the IEND chunk is gone

    meta = walk(path)

    assert meta.problems == ["PNG ends before its IEND chunk (truncated)"]
    assert not meta.complete
    assert read(path, tools).verdict == "unreadable"


def test_a_png_cut_inside_its_image_data_is_reported_truncated(tmp_path):
    whole = png_bytes()
    idat = whole.index(b"IDAT")
    path = tmp_path / "cut_in_idat.png"
    path.write_bytes(whole[: idat + 20])

    meta = walk(path)

    assert len(meta.problems) == 1 and "'IDAT'" in meta.problems[0] and "truncated" in meta.problems[0]


def test_a_zTXt_chunk_that_does_not_decompress_is_a_problem(tmp_path):
    bad = png_chunk(b"zTXt", b"parameters\x00\x00" + b"this is not deflate data")
    path = tmp_path / "bad_ztxt.png"
    path.write_bytes(insert_before_iend(png_bytes(), bad))

    meta = walk(path)

    assert any("zTXt" in p and "decompress" in p for p in meta.problems)


# --- JPEG --------------------------------------------------------------------


def test_a1111_usercomment_in_utf16_big_endian_is_decoded(tmp_path, tools):
    exif = exif_usercomment(b"UNICODE\x00" + A1111.encode("utf-16-be"))
    path = tmp_path / "a1111.jpg"
    path.write_bytes(jpeg_bytes(exif=exif))

    meta = walk(path)

    assert ("EXIF:UserComment", A1111) in meta.text
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111"


def test_a_windows_usercomment_in_utf16_little_endian_is_decoded_too(tmp_path):
    comment = "Generated with Midjourney v6"
    path = tmp_path / "windows.jpg"
    path.write_bytes(jpeg_bytes(exif=exif_usercomment(b"UNICODE\x00" + comment.encode("utf-16-le"))))

    assert ("EXIF:UserComment", comment) in walk(path).text


def test_extended_xmp_parts_are_joined_in_offset_order(tmp_path, tools):
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    main = xmp_packet(f'<xmpNote:HasExtendedXMP>{guid.decode()}</xmpNote:HasExtendedXMP>',
                      ns='xmlns:xmpNote="http://ns.adobe.com/xmp/note/"')
    # The AI declaration lives only in the extended packet, padded so it needs several segments.
    padding = "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" + "x" * 3000 + "</rdf:li></rdf:Alt></dc:description>"
    extended = xmp_packet(f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
                          + padding,
                          ns='xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
                             'xmlns:dc="http://purl.org/dc/elements/1.1/"')
    parts = [extended[i:i + 1000] for i in range(0, len(extended), 1000)]
    assert len(parts) >= 3
    offsets = [i * 1000 for i in range(len(parts))]
    ext_segments = [app1(b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(extended), off) + part)
                    for off, part in zip(offsets, parts)]
    # Writers are allowed to emit the parts in any order.
    ext_segments = ext_segments[::-1]
    data = insert_jpeg_segments(jpeg_bytes(), [app1(b"http://ns.adobe.com/xap/1.0/\x00" + main), *ext_segments])
    path = tmp_path / "extended_xmp.jpg"
    path.write_bytes(data)
    # exiftool agrees the file is well formed and reassembles the same property.
    seen = subprocess.run(["exiftool", "-s3", "-XMP-iptcExt:DigitalSourceType", str(path)],
                          capture_output=True, text=True, timeout=60).stdout
    assert seen.strip() == DST + "trainedAlgorithmicMedia"

    meta = walk(path)

    assert extended in meta.xmp
    insp = read(path, tools)
    assert insp.verdict == "ai"


def test_a_jpeg_without_its_end_of_image_marker_is_reported_truncated(tmp_path, tools):
    whole = jpeg_bytes(picture(256, 192))
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) * 2 // 3])

    meta = walk(path)

    assert any("no end-of-image marker" in p for p in meta.problems)
    insp = read(path, tools)
    assert insp.verdict == "unreadable" and "truncated" in insp.reason


def test_a_motion_photo_with_its_video_after_the_jpeg_is_not_called_truncated(tmp_path, tools):
    clip = tmp_path / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(clip))
    still = tmp_path / "PXL_20240601_101500.MP.jpg"
    still.write_bytes(jpeg_bytes(picture(256, 192)))
    exiftool_write(still, "-EXIF:Make=Google", "-EXIF:Model=Pixel 8")
    # A motion photo: the JPEG, then the video appended after its end-of-image marker.
    still.write_bytes(still.read_bytes() + clip.read_bytes())

    meta = walk(still)

    assert not meta.problems
    insp = read(still, tools)
    assert insp.verdict == "no-ai-declared" and insp.error is None


def test_a_jpeg_cut_inside_its_exif_segment_is_reported(tmp_path):
    whole = jpeg_bytes(exif=exif_usercomment(b"UNICODE\x00" + A1111.encode("utf-16-be")))
    app1_at = whole.index(b"\xff\xe1")
    path = tmp_path / "cut_header.jpg"
    path.write_bytes(whole[: app1_at + 100])

    meta = walk(path)

    assert len(meta.problems) == 1 and "0xFFE1" in meta.problems[0] and "truncated" in meta.problems[0]


# --- TIFF / EXIF ---------------------------------------------------------------


def test_a_tiff_whose_next_directory_points_to_itself_terminates(tmp_path):
    path = tmp_path / "loop.tif"
    picture().save(path, "TIFF", tiffinfo={305: "Adobe Photoshop 25.0 (Macintosh)"})
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\x00"
    (ifd0,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[ifd0:ifd0 + 2])
    next_at = ifd0 + 2 + 12 * count
    data[next_at:next_at + 4] = struct.pack("<I", ifd0)  # IFD0 -> IFD0 -> ...
    path.write_bytes(bytes(data))

    with deadline(5):
        meta = walk(path)

    assert meta.text.count(("EXIF:Software", "Adobe Photoshop 25.0 (Macintosh)")) == 1


def test_an_exif_sub_directory_loop_back_to_ifd0_terminates(tmp_path):
    # IFD0 (Software) -> Exif IFD (UserComment) -> next IFD = IFD0 again.
    sw = b"Capture One 23\x00"
    uc = b"ASCII\x00\x00\x00Shot on location"
    ifd0 = 8
    exif_ifd = ifd0 + 2 + 2 * 12 + 4
    sw_at = exif_ifd + 2 + 12 + 4
    uc_at = sw_at + len(sw)
    tiff = b"II*\x00" + struct.pack("<I", ifd0)
    tiff += struct.pack("<H", 2) + struct.pack("<HHII", 0x0131, 2, len(sw), sw_at) \
        + struct.pack("<HHII", 0x8769, 4, 1, exif_ifd) + struct.pack("<I", exif_ifd)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x9286, 7, len(uc), uc_at) + struct.pack("<I", ifd0)
    tiff += sw + uc
    path = tmp_path / "exif_loop.tif"
    path.write_bytes(tiff)

    with deadline(5):
        meta = walk(path)

    assert ("EXIF:Software", "Capture One 23") in meta.text
    assert ("EXIF:UserComment", "Shot on location") in meta.text


# --- RIFF: WebP, WAV ------------------------------------------------------------


def test_webp_exif_and_xmp_chunks_are_read(tmp_path, tools):
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop 25.0"
    exif[0x010E] = "Sky replacement, plate 12"
    path = tmp_path / "still.webp"
    picture().save(path, "WEBP", exif=exif.tobytes(), xmp=dst_xmp("compositeWithTrainedAlgorithmicMedia"))

    meta = walk(path)

    assert meta.format == "webp"
    assert ("EXIF:Software", "Adobe Photoshop 25.0") in meta.text
    assert ("EXIF:ImageDescription", "Sky replacement, plate 12") in meta.text
    assert len(meta.xmp) == 1 and b"compositeWithTrainedAlgorithmicMedia" in meta.xmp[0]
    assert read(path, tools).verdict == "ai-composite"


def info_list(items: list[tuple[bytes, str]]) -> bytes:
    body = b"INFO"
    for cid, text in items:
        data = text.encode("latin-1") + b"\x00"
        body += cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


def add_riff_chunk(data: bytes, chunk: bytes) -> bytes:
    """Insert a chunk right after the fmt chunk and fix the RIFF size."""
    fmt_at = data.index(b"fmt ")
    (fmt_len,) = struct.unpack("<I", data[fmt_at + 4:fmt_at + 8])
    at = fmt_at + 8 + fmt_len
    out = data[:at] + chunk + data[at:]
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]


def test_wav_info_software_and_broadcast_wave_originator_are_read(tmp_path, tools):
    path = tmp_path / "temp_voice.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.2", "-fflags", "+bitexact",
           "-write_bext", "1", "-metadata", "originator=ElevenLabs",
           "-metadata", "description=Temp dialogue, scene 42", str(path))
    path.write_bytes(add_riff_chunk(path.read_bytes(), info_list([(b"ISFT", "ElevenLabs"),
                                                                  (b"ICMT", "AI voice, temp")])))

    meta = walk(path)

    assert meta.format == "wav" and meta.complete and not meta.problems
    assert ("RIFF-INFO:Software", "ElevenLabs") in meta.text
    assert ("RIFF-INFO:Comment", "AI voice, temp") in meta.text
    assert ("BWF:Originator", "ElevenLabs") in meta.text
    assert ("BWF:Description", "Temp dialogue, scene 42") in meta.text
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "ElevenLabs"


def test_stale_bytes_after_a_bext_originator_terminator_are_not_read(tmp_path, tools):
    path = tmp_path / "mix.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.2", "-fflags", "+bitexact",
           "-write_bext", "1", "-metadata", "originator=Pro Tools", str(path))
    data = bytearray(path.read_bytes())
    originator = data.index(b"bext") + 8 + 256
    stale = b"Pro Tools\x00udio v1.5 stem"
    data[originator:originator + len(stale)] = stale
    path.write_bytes(bytes(data))

    meta = walk(path)

    assert ("BWF:Originator", "Pro Tools") in meta.text
    assert read(path, tools).verdict == "no-ai-declared"


def id3v2_4(frames: list[tuple[bytes, bytes]]) -> bytes:
    def synchsafe(n: int) -> bytes:
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

    body = b"".join(fid + synchsafe(len(data)) + b"\x00\x00" + data for fid, data in frames)
    return b"ID3\x04\x00\x00" + synchsafe(len(body)) + body


def test_id3_tags_inside_a_wav_are_not_skipped(tmp_path, tools):
    path = tmp_path / "temp_score.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.2", "-fflags", "+bitexact", str(path))
    tag = id3v2_4([(b"TENC", b"\x03Suno"), (b"COMM", b"\x03eng\x00Made with Suno v4")])
    data = path.read_bytes() + b"id3 " + struct.pack("<I", len(tag)) + tag + b"\x00" * (len(tag) % 2)
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])

    meta = walk(path)

    assert not meta.complete  # the walker does not read ID3, so it must not claim to have seen everything
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "Suno"


def test_a_wav_whose_data_chunk_runs_past_the_end_is_reported(tmp_path):
    path = tmp_path / "cut.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.2", "-fflags", "+bitexact", str(path))
    path.write_bytes(path.read_bytes()[:-1000])

    meta = walk(path)

    assert any("truncated" in p for p in meta.problems)


# --- EXR, DPX ------------------------------------------------------------------


def exr_bytes(w: int, h: int, attrs: list[tuple[str, str, bytes]]) -> bytes:
    """A minimal single-part scanline OpenEXR (HALF B/G/R, no compression) with extra attributes."""

    def attr(name: str, typ: str, data: bytes) -> bytes:
        return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(data)) + data

    chans = b"".join(n + b"\0" + struct.pack("<iB3xii", 1, 0, 1, 1) for n in (b"B", b"G", b"R")) + b"\0"
    box = struct.pack("<iiii", 0, 0, w - 1, h - 1)
    header = [("channels", "chlist", chans), ("compression", "compression", b"\x00"),
              ("dataWindow", "box2i", box), ("displayWindow", "box2i", box),
              ("lineOrder", "lineOrder", b"\x00"), ("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
              ("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0)),
              ("screenWindowWidth", "float", struct.pack("<f", 1.0)), *attrs]
    head = b"\x76\x2f\x31\x01" + struct.pack("<i", 2) + b"".join(attr(*a) for a in sorted(header)) + b"\0"
    line = 3 * w * 2
    first = len(head) + 8 * h
    table = b"".join(struct.pack("<Q", first + y * (8 + line)) for y in range(h))
    body = b"".join(struct.pack("<ii", y, line) + b"\x00\x3c" * (3 * w) for y in range(h))
    return head + table + body


def stringvector(*items: str) -> bytes:
    return b"".join(struct.pack("<i", len(s.encode())) + s.encode() for s in items)


def test_exr_string_attributes_are_read_from_the_header(tmp_path, tools):
    path = tmp_path / "plate.exr"
    path.write_bytes(exr_bytes(16, 8, [
        ("software", "string", b"ComfyUI 0.3.10"),
        ("comments", "string", b"AI-generated temp plate"),
        ("pipeline:history", "stringvector", stringvector("comp v003", "grade v001")),
    ]))
    # ffmpeg decodes it: the hand-made EXR is a real one.
    ffmpeg("-i", str(path), "-f", "null", "-")

    meta = walk(path)

    assert meta.format == "exr" and meta.complete and not meta.problems
    assert (meta.width, meta.height) == (16, 8)
    assert ("EXR:software", "ComfyUI 0.3.10") in meta.text
    assert ("EXR:comments", "AI-generated temp plate") in meta.text
    assert ("EXR:pipeline:history", "comp v003\ngrade v001") in meta.text
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.generator == "ComfyUI"


def test_an_exr_header_cut_inside_an_attribute_is_a_problem(tmp_path):
    whole = exr_bytes(16, 8, [("software", "string", b"Nuke 15.0")])
    path = tmp_path / "cut.exr"
    path.write_bytes(whole[: whole.index(b"Nuke") + 2])

    meta = walk(path)

    assert meta.problems and "software" in meta.problems[0]


def dpx_header(creator: str, *, big_endian: bool = True, width: int = 64, height: int = 36,
               data_bytes: int = 64 * 36 * 4) -> bytes:
    bo = ">" if big_endian else "<"
    h = bytearray(2048)
    h[0:4] = b"SDPX" if big_endian else b"XPDS"
    h[4:8] = struct.pack(bo + "I", 2048)  # offset to image data
    h[8:12] = b"V2.0"
    h[16:20] = struct.pack(bo + "I", 2048 + data_bytes)  # total file size
    h[36:36 + 13] = b"A001_C003.dpx"
    h[160:160 + len(creator)] = creator.encode("ascii")
    h[260:260 + 12] = b"Project Nine"
    h[768:770] = struct.pack(bo + "H", 0)
    h[770:772] = struct.pack(bo + "H", 1)
    h[772:780] = struct.pack(bo + "II", width, height)
    return bytes(h)


@pytest.mark.parametrize("big_endian", [True, False], ids=["SDPX", "XPDS"])
def test_dpx_creator_field_is_read_in_either_byte_order(tmp_path, tools, big_endian):
    path = tmp_path / "frame.0001.dpx"
    path.write_bytes(dpx_header("Topaz Video AI 5.0 via Runway Gen-3", big_endian=big_endian) + bytes(64 * 36 * 4))

    meta = walk(path)

    assert meta.format == "dpx" and not meta.problems
    assert ("DPX:Creator", "Topaz Video AI 5.0 via Runway Gen-3") in meta.text
    assert ("DPX:Project", "Project Nine") in meta.text
    assert (meta.width, meta.height) == (64, 36)
    assert read(path, tools).verdict == "ai"


def test_bytes_left_after_the_nul_that_ends_a_dpx_field_are_not_read(tmp_path, tools):
    # A writer that reuses its header buffer leaves an older, longer value behind the terminator.
    header = bytearray(dpx_header("DaVinci Resolve"))
    stale = b"DaVinci Resolve\x00 by Runway Gen-3 Alpha upscale"
    header[160:160 + len(stale)] = stale
    path = tmp_path / "graded.0001.dpx"
    path.write_bytes(bytes(header) + bytes(64 * 36 * 4))

    meta = walk(path)

    assert ("DPX:Creator", "DaVinci Resolve") in meta.text
    assert read(path, tools).verdict == "no-ai-declared"


def test_a_dpx_shorter_than_its_header_says_is_truncated(tmp_path):
    path = tmp_path / "cut.0001.dpx"
    path.write_bytes(dpx_header("DaVinci Resolve") + bytes(100))

    meta = walk(path)

    assert ("DPX:Creator", "DaVinci Resolve") in meta.text
    assert any("truncated" in p for p in meta.problems)


# --- ISO BMFF ----------------------------------------------------------------


def test_bmff_uuid_xmp_box_written_by_exiftool_is_found(tmp_path, tools):
    path = tmp_path / "shot.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(path))
    exiftool_write(path, f"-XMP-iptcExt:DigitalSourceType={DST}trainedAlgorithmicMedia")
    assert bytes.fromhex("be7acfcb97a942e89c71999491e3afac") in path.read_bytes()

    meta = walk(path)

    assert meta.format == "bmff" and not meta.problems
    assert len(meta.xmp) == 1 and b"trainedAlgorithmicMedia" in meta.xmp[0]
    insp = read(path, tools)
    assert insp.verdict == "ai" and insp.evidence[0].source == "xmp"


def test_quicktime_udta_xmp_box_is_found(tmp_path):
    path = tmp_path / "shot.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "mjpeg", str(path))
    exiftool_write(path, f"-XMP-iptcExt:DigitalSourceType={DST}compositeWithTrainedAlgorithmicMedia")
    assert b"XMP_" in path.read_bytes()

    meta = walk(path)

    assert any(b"compositeWithTrainedAlgorithmicMedia" in x for x in meta.xmp)


def test_an_mp4_box_claiming_more_bytes_than_the_file_has_is_a_problem(tmp_path):
    path = tmp_path / "cut.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])

    meta = walk(path)

    assert any("truncated" in p for p in meta.problems)


def test_legacy_iptc_iim_credit_and_program_in_jpeg_are_read(tmp_path):
    from aiprov.reader import ReadSettings, Tools, read_file

    path = tmp_path / "press.jpg"
    Image.new("RGB", (32, 32), (9, 9, 9)).save(path)
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-IPTC:OriginatingProgram=Midjourney",
                    "-IPTC:Credit=Studio stills", str(path)], check=True)
    t = Tools(ReadSettings())
    try:
        insp = read_file(str(path), ReadSettings(), t)
    finally:
        t.close()
    assert insp.verdict == "ai" and insp.generator == "Midjourney"
    assert any(e.field == "IPTC:OriginatingProgram" and e.source == "iptc-iim" for e in insp.evidence)
