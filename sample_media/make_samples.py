#!/usr/bin/env python3
"""Generate aiprov's sample media: small files carrying real, standard provenance markers.

Run from the repository root:

    python sample_media/make_samples.py            # generate + verify, one line per file
    python sample_media/make_samples.py -v         # also print every verified fact per file

Everything is written under the directory that holds this script. Re-running overwrites
the same files. Output is byte-for-byte reproducible on a given toolchain (fixed seeds, no
timestamps), except the C2PA-signed files: a C2PA manifest always contains a fresh
instance-id UUID and an ECDSA signature with a random nonce.

Needs: Pillow, numpy, c2pa-python (0.38) on the Python side; exiftool, ffmpeg and ffprobe
on PATH. No network access is used. The C2PA test signing certificate/key are read from
<repo>/tests/corpus/keys/; if they are missing the C2PA-signed samples are skipped.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from PIL.PngImagePlugin import PngInfo

try:
    import c2pa
except ImportError:  # pragma: no cover - reported at run time
    c2pa = None

HERE = Path(__file__).resolve().parent
KEYS_DIR = Path(__file__).resolve().parent.parent / "tests/corpus/keys"
CERT_FILE = KEYS_DIR / "es256_certs.pem"
KEY_FILE = KEYS_DIR / "es256_private.key"

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
DST_TRAINED = DST + "trainedAlgorithmicMedia"
DST_COMPOSITE = DST + "compositeWithTrainedAlgorithmicMedia"
DST_CAPTURE = DST + "digitalCapture"

CLAIM_GENERATOR_INFO = [{"name": "aiprov sample maker", "version": "1"}]

W, H = 320, 180

A1111_TAIL = ("Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: {seed}, Size: {w}x{h}, "
              "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0")


def a1111_text(prompt: str, negative: str, seed: int, w: int = W, h: int = H) -> str:
    """AUTOMATIC1111 'parameters' infotext: prompt, 'Negative prompt:' line, settings line."""
    return f"{prompt}\nNegative prompt: {negative}\n" + A1111_TAIL.format(seed=seed, w=w, h=h)


A1111_PARAMS = a1111_text(
    "cinematic wide shot of a lighthouse on a sea cliff at dusk, volumetric fog, 35mm film grain",
    "blurry, lowres, watermark, text, deformed", 1234)
A1111_CONCEPT = a1111_text(
    "concept art of an abandoned space station interior, overgrown with plants, god rays, matte painting",
    "blurry, lowres, watermark, signature", 987654321)

STEALTH_SIGNATURE = b"stealth_pnginfo"


# --------------------------------------------------------------------------------------
# bookkeeping


@dataclass
class Sample:
    rel: str
    marker: str                      # human description of what the file carries
    expect: dict = field(default_factory=dict)   # fact key -> substring that must be present
    c2pa: bool = False               # C2PA-signed sample
    status: str = "made"             # made | skipped
    note: str = ""


SAMPLES: list[Sample] = []


def register(rel: str, marker: str, expect: dict | None = None, *, c2pa_signed: bool = False,
             status: str = "made", note: str = "") -> Sample:
    s = Sample(rel, marker, expect or {}, c2pa_signed, status, note)
    SAMPLES.append(s)
    return s


def out(rel: str) -> Path:
    p = HERE / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    """Run a command (argument list, never a shell); raise with its stderr on failure."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                           f"{proc.stderr.decode('utf-8', 'replace')}")
    return proc


def exiftool_write(path: Path, *tags: str) -> None:
    run(["exiftool", "-q", "-overwrite_original", "-m", *tags, str(path)])


FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


# --------------------------------------------------------------------------------------
# picture content (fixed seeds; something to look at, compresses reasonably)


def picture(seed: int, w: int = W, h: int = H, style: str = "landscape") -> Image.Image:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c_top = rng.uniform(20, 120, 3)
    c_bot = rng.uniform(120, 250, 3)
    if style == "landscape":
        c_top = np.array([30, 60, 140]) + rng.uniform(-20, 20, 3)
        c_bot = np.array([250, 170, 110]) + rng.uniform(-20, 5, 3)
    t = (yy / max(h - 1, 1))[..., None]
    img = c_top * (1 - t) + c_bot * t
    img += (xx / max(w - 1, 1))[..., None] * rng.uniform(-30, 30, 3)
    # low-frequency "cloud" texture: coarse noise upsampled (keeps PNGs small)
    coarse = rng.normal(0, 1, (max(h // 12, 2), max(w // 12, 2))).astype(np.float32)
    cloud = np.asarray(Image.fromarray(((coarse * 40) + 128).clip(0, 255).astype(np.uint8))
                       .resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(5)),
                       dtype=np.float32) - 128
    img += cloud[..., None] * 0.35
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    if style == "landscape":
        # sun, hills, a lighthouse-ish tower
        sx, sy, sr = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.45) * h, h * 0.12
        d.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=(255, 230, 160))
        pts = [(0, h)]
        for i in range(9):
            pts.append((i * w / 8, h * rng.uniform(0.55, 0.75)))
        pts.append((w, h))
        d.polygon(pts, fill=tuple(int(v) for v in rng.uniform(20, 70, 3)))
        tx = rng.uniform(0.6, 0.85) * w
        d.rectangle([tx, h * 0.35, tx + w * 0.03, h * 0.7], fill=(235, 235, 225))
        d.rectangle([tx - 2, h * 0.33, tx + w * 0.03 + 2, h * 0.37], fill=(200, 40, 40))
    else:
        for _ in range(7):
            x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.uniform(0.05, 0.25) * h
            col = tuple(int(v) for v in rng.uniform(0, 255, 3))
            if rng.uniform() < 0.5:
                d.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=col)
            else:
                d.rectangle([x0 - r, y0 - r * 0.6, x0 + r, y0 + r * 0.6], fill=col)
        for _ in range(4):
            d.line([(rng.uniform(0, w), rng.uniform(0, h)), (rng.uniform(0, w), rng.uniform(0, h))],
                   fill=(255, 255, 255), width=2)
    im = im.filter(ImageFilter.SMOOTH)
    # a little fine grain so it looks photographic
    grain = rng.normal(0, 2.0, (h, w, 1))
    arr = np.asarray(im, dtype=np.float32) + grain
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def jpeg_bytes(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, **kw)
    return buf.getvalue()


def png_bytes(im: Image.Image, pnginfo: PngInfo | None = None) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True, pnginfo=pnginfo)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# C2PA


class C2paSigning:
    def __init__(self):
        self.reason = ""
        self.cert = self.key = None
        if c2pa is None:
            self.reason = "c2pa-python is not importable"
        elif not (CERT_FILE.is_file() and KEY_FILE.is_file()):
            self.reason = f"C2PA test keys not found in {KEYS_DIR}"
        else:
            self.cert = CERT_FILE.read_bytes()
            self.key = KEY_FILE.read_bytes()

    @property
    def available(self) -> bool:
        return self.cert is not None

    def sign(self, src: bytes, mime: str, dest: Path, manifest: dict,
             ingredients: list[tuple[dict, str, Path]] = ()) -> None:
        # ES256, no timestamp authority (ta_url=None): there is no network here.
        info = c2pa.C2paSignerInfo("es256", self.cert, self.key, None)
        signer = c2pa.Signer.from_info(info)
        builder = c2pa.Builder(json.dumps(manifest))
        try:
            for ing_json, ing_mime, ing_path in ingredients:
                with open(ing_path, "rb") as f:
                    builder.add_ingredient(json.dumps(ing_json), ing_mime, f)
            tmp = dest.with_name(dest.name + ".tmp")
            with io.BytesIO(src) as s, open(tmp, "w+b") as d:
                builder.sign(signer, mime, s, d)
            tmp.replace(dest)
        finally:
            builder.close()
            signer.close()


def manifest(title: str, fmt: str, actions: list[dict]) -> dict:
    return {
        "claim_generator_info": CLAIM_GENERATOR_INFO,
        "title": title,
        "format": fmt,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
    }


def c2pa_expect(dst: str, agent: str | None = None) -> dict:
    e = {"c2pa.validation_state": "Valid", "c2pa.digitalSourceType": dst}
    if agent:
        e["c2pa.softwareAgent"] = agent
    return e


# --------------------------------------------------------------------------------------
# binary builders: EXIF (piexif-style), stealth pnginfo, OpenEXR, RIFF/WAV, PNG chunks


def a1111_exif(text: str) -> bytes:
    """APP1 payload exactly like A1111 (piexif.dump of {Exif: {UserComment: ...}}).

    piexif writes a big-endian TIFF; UserComment = b"UNICODE\\0" + UTF-16BE text.
    """
    uc = b"UNICODE\x00" + text.encode("utf-16-be")
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    # IFD0 @8: one entry, ExifIFDPointer -> 26
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    # Exif IFD @26: one entry, UserComment (UNDEFINED) -> data @44
    tiff += struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(uc), 44) + struct.pack(">I", 0)
    assert len(tiff) == 44
    return b"Exif\x00\x00" + tiff + uc


def stealth_embed(im: Image.Image, payload: str) -> Image.Image:
    """A1111 stealth pnginfo (uncompressed, alpha channel).

    Bits = signature 'stealth_pnginfo' + 32-bit BE payload length in bits + UTF-8 payload,
    MSB first, into the LSB of alpha, walking x-major: for x in range(w): for y in range(h).
    """
    data = payload.encode("utf-8")
    blob = STEALTH_SIGNATURE + struct.pack(">I", len(data) * 8) + data
    bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8))  # MSB-first
    w, h = im.size
    if len(bits) > w * h:
        raise ValueError("image too small for stealth payload")
    alpha_t = np.full((w, h), 255, dtype=np.uint8)           # indexed [x, y]
    flat = alpha_t.reshape(-1)                               # x-major order
    flat[: len(bits)] = 254 | bits
    rgba = np.dstack([np.asarray(im.convert("RGB")), alpha_t.T])
    return Image.fromarray(rgba, "RGBA")


def stealth_read(path: Path) -> str | None:
    """Decoder mirroring the A1111 stealth-pnginfo reader (alpha, uncompressed only)."""
    im = Image.open(path)
    if im.mode != "RGBA":
        return None
    a = np.asarray(im)[..., 3].T.reshape(-1) & 1               # x-major
    n_sig = len(STEALTH_SIGNATURE) * 8
    if np.packbits(a[:n_sig]).tobytes() != STEALTH_SIGNATURE:
        return None
    n = int.from_bytes(np.packbits(a[n_sig:n_sig + 32]).tobytes(), "big")
    return np.packbits(a[n_sig + 32:n_sig + 32 + n]).tobytes().decode("utf-8")


def exr_bytes(rgb: np.ndarray, attrs: dict[str, str]) -> bytes:
    """Minimal single-part scanline OpenEXR, HALF B/G/R, NO_COMPRESSION, plus string attrs."""
    h, w, _ = rgb.shape

    def attr(name: str, typ: str, data: bytes) -> bytes:
        return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(data)) + data

    chans = [("B", 2), ("G", 1), ("R", 0)]  # channel list is sorted by name
    chlist = b"".join(n.encode() + b"\0" + struct.pack("<iB3xii", 1, 0, 1, 1) for n, _ in chans) + b"\0"
    box = struct.pack("<iiii", 0, 0, w - 1, h - 1)
    header = {
        "channels": ("chlist", chlist),
        "compression": ("compression", b"\x00"),
        "dataWindow": ("box2i", box),
        "displayWindow": ("box2i", box),
        "lineOrder": ("lineOrder", b"\x00"),
        "pixelAspectRatio": ("float", struct.pack("<f", 1.0)),
        "screenWindowCenter": ("v2f", struct.pack("<ff", 0.0, 0.0)),
        "screenWindowWidth": ("float", struct.pack("<f", 1.0)),
    }
    for k, v in attrs.items():
        header[k] = ("string", v.encode("utf-8"))
    head = b"\x76\x2f\x31\x01" + struct.pack("<i", 2)
    head += b"".join(attr(k, *header[k]) for k in sorted(header)) + b"\0"
    half = rgb.astype("<f2")
    line_bytes = 3 * w * 2
    first = len(head) + 8 * h
    table = b"".join(struct.pack("<Q", first + y * (8 + line_bytes)) for y in range(h))
    body = b"".join(
        struct.pack("<ii", y, line_bytes) + b"".join(half[y, :, c].tobytes() for _, c in chans)
        for y in range(h))
    return head + table + body


def exr_read_attrs(path: Path) -> dict[str, str]:
    """Read string attributes back from an EXR header (for verification)."""
    b = path.read_bytes()
    if b[:4] != b"\x76\x2f\x31\x01":
        return {}
    pos, res = 8, {}
    while b[pos] != 0:
        name_end = b.index(b"\0", pos)
        type_end = b.index(b"\0", name_end + 1)
        name, typ = b[pos:name_end].decode(), b[name_end + 1:type_end].decode()
        size = struct.unpack_from("<i", b, type_end + 1)[0]
        val = b[type_end + 5:type_end + 5 + size]
        if typ == "string":
            res[name] = val.decode("utf-8", "replace")
        pos = type_end + 5 + size
    return res


def exr_content(seed: int, w: int = 64, h: int = 36) -> np.ndarray:
    """Scene-linear float RGB: sky gradient, warm horizon, a bright 'sun' > 1.0."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = yy / (h - 1)
    sky = np.stack([0.05 + 0.6 * t, 0.1 + 0.35 * t, 0.35 - 0.2 * t], axis=-1)
    ground = yy > h * (0.62 + 0.05 * np.sin(xx / 5.0 + seed))
    sky[ground] = [0.04, 0.05, 0.03]
    sx, sy = rng.uniform(0.25, 0.75) * w, rng.uniform(0.2, 0.4) * h
    sun = np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) / 12.0)[..., None] * np.array([4.0, 3.2, 2.0])
    img = sky + sun + rng.normal(0, 0.005, sky.shape)
    return img.clip(0, None).astype(np.float32)


def info_chunk(items: list[tuple[bytes, str]]) -> bytes:
    body = b"INFO"
    for cid, text in items:
        data = text.encode("latin-1") + b"\0"
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


def wav_bytes(samples: np.ndarray, rate: int = 48000, extra_chunks: bytes = b"") -> bytes:
    pcm = samples.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", len(pcm)) + pcm + (b"\0" if len(pcm) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def voice_tone(seed: int, seconds: float = 1.0, rate: int = 48000, f0: float = 140.0) -> np.ndarray:
    """Speech-like tone: gliding harmonic-rich pitch, syllable envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 + 18 * np.sin(2 * np.pi * 2.7 * t) + 6 * np.sin(2 * np.pi * 0.9 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    sig = sum(np.sin(k * phase) / k for k in range(1, 8))
    env = np.clip(np.sin(2 * np.pi * 3.3 * t + 0.4), 0, None) ** 0.6
    sig = sig * env + rng.normal(0, 0.01, t.shape)
    return np.round(sig / np.max(np.abs(sig)) * 0.4 * 32767).astype(np.int16)


def _synchsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3v2_4(frames: list[tuple[bytes, bytes]]) -> bytes:
    """ID3v2.4 tag; frame payloads already start with their text-encoding byte (3 = UTF-8)."""
    body = b"".join(fid + _synchsafe(len(data)) + b"\x00\x00" + data for fid, data in frames)
    return b"ID3\x04\x00\x00" + _synchsafe(len(body)) + body


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


# --------------------------------------------------------------------------------------
# generators


def make_stills(signing: C2paSigning) -> None:
    # camera original first: it is the ingredient of the composite
    rel = "stills/camera_original.jpg"
    p = out(rel)
    p.write_bytes(jpeg_bytes(picture(101)))
    exiftool_write(p, "-EXIF:Make=Canon", "-EXIF:Model=Canon EOS R5",
                   "-EXIF:DateTimeOriginal=2024:05:14 18:21:33", "-EXIF:Software=Capture One",
                   "-EXIF:ExposureTime=1/125", "-EXIF:FNumber=5.6", "-EXIF:ISO=400",
                   "-EXIF:LensModel=RF24-70mm F2.8 L IS USM", f"-XMP-iptcExt:DigitalSourceType={DST_CAPTURE}")
    register(rel, "camera: EXIF Make/Model/DateTimeOriginal/Software=Capture One + XMP DST digitalCapture",
             {"IFD0:Make": "Canon", "IFD0:Software": "Capture One", "ExifIFD:DateTimeOriginal": "2024",
              "XMP-iptcExt:DigitalSourceType": "digitalCapture"})

    rel = "stills/ai_c2pa_generated.jpg"
    if signing.available:
        signing.sign(jpeg_bytes(picture(202, style="shapes")), "image/jpeg", out(rel),
                     manifest("ai_c2pa_generated.jpg", "image/jpeg", [
                         {"action": "c2pa.created", "digitalSourceType": DST_TRAINED,
                          "softwareAgent": {"name": "Adobe Firefly"}}]))
        register(rel, "C2PA c2pa.created, DST trainedAlgorithmicMedia, agent Adobe Firefly",
                 c2pa_expect(DST_TRAINED, "Adobe Firefly"), c2pa_signed=True)
    else:
        register(rel, "C2PA created/trainedAlgorithmicMedia", c2pa_signed=True, status="skipped",
                 note=signing.reason)

    rel = "stills/ai_c2pa_composite.png"
    if signing.available:
        signing.sign(png_bytes(picture(101).transpose(Image.FLIP_LEFT_RIGHT)), "image/png", out(rel),
                     manifest("ai_c2pa_composite.png", "image/png", [
                         {"action": "c2pa.opened", "parameters": {"ingredientIds": ["camera_original"]}},
                         {"action": "c2pa.edited", "digitalSourceType": DST_COMPOSITE,
                          "softwareAgent": {"name": "Adobe Photoshop", "version": "26.0"},
                          "description": "Generative Fill: sky replaced"}]),
                     ingredients=[({"title": "camera_original.jpg", "relationship": "parentOf",
                                    "label": "camera_original"}, "image/jpeg",
                                   HERE / "stills/camera_original.jpg")])
        e = c2pa_expect(DST_COMPOSITE, "Adobe Photoshop")
        e["c2pa.actions"] = "c2pa.opened"
        e["c2pa.ingredients"] = "camera_original.jpg (parentOf)"
        register(rel, "C2PA c2pa.opened(parentOf camera_original.jpg) + c2pa.edited "
                 "DST compositeWithTrainedAlgorithmicMedia", e, c2pa_signed=True)
    else:
        register(rel, "C2PA opened+edited/composite", c2pa_signed=True, status="skipped", note=signing.reason)

    rel = "stills/ai_iptc_xmp.jpg"
    p = out(rel)
    p.write_bytes(jpeg_bytes(picture(303, style="shapes")))
    exiftool_write(p, f"-XMP-iptcExt:DigitalSourceType={DST_TRAINED}", "-XMP-xmp:CreatorTool=Midjourney")
    register(rel, "XMP iptcExt:DigitalSourceType trainedAlgorithmicMedia + xmp:CreatorTool Midjourney",
             {"XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia", "XMP-xmp:CreatorTool": "Midjourney"})

    rel = "stills/ai_composite_iptc.tif"
    p = out(rel)
    picture(404).save(p, "TIFF", compression="tiff_lzw")
    exiftool_write(p, f"-XMP-iptcExt:DigitalSourceType={DST_COMPOSITE}")
    register(rel, "TIFF XMP iptcExt:DigitalSourceType compositeWithTrainedAlgorithmicMedia",
             {"XMP-iptcExt:DigitalSourceType": "compositeWithTrainedAlgorithmicMedia"})

    rel = "stills/a1111_parameters.png"
    info = PngInfo()
    info.add_text("parameters", A1111_PARAMS)
    out(rel).write_bytes(png_bytes(picture(505), info))
    register(rel, "PNG tEXt 'parameters' (AUTOMATIC1111 infotext)",
             {"PNG:Parameters": "Negative prompt: blurry", "PNG:Parameters#2": "Model hash: 6ce0161689"})

    rel = "stills/a1111_usercomment.jpg"
    out(rel).write_bytes(jpeg_bytes(picture(505), exif=a1111_exif(A1111_PARAMS)))
    register(rel, "EXIF UserComment 'UNICODE\\0'+UTF-16BE A1111 infotext (piexif layout)",
             {"ExifIFD:UserComment": "Sampler: DPM++ 2M Karras", "raw.usercomment_header": "UNICODE\\x00"})

    rel = "stills/comfyui_workflow.png"
    prompt, workflow = comfyui_graph()
    info = PngInfo()
    info.add_text("prompt", json.dumps(prompt))
    info.add_text("workflow", json.dumps(workflow))
    out(rel).write_bytes(png_bytes(picture(606, style="shapes"), info))
    register(rel, "PNG tEXt 'prompt' (ComfyUI API graph) + 'workflow' (ComfyUI UI graph)",
             {"PNG:Prompt": "KSampler", "PNG:Workflow": "\"version\": 0.4"})

    rel = "stills/stealth_a1111.png"
    out(rel).write_bytes(png_bytes(stealth_embed(picture(707), A1111_PARAMS)))
    register(rel, "A1111 stealth pnginfo in alpha LSB (no text chunks)",
             {"stealth.payload": "Model: v1-5-pruned-emaonly", "png.text_chunks": "none"})

    rel = "stills/photo_no_metadata.png"
    out(rel).write_bytes(png_bytes(picture(808)))
    register(rel, "none (plain PNG, no metadata chunks)", {"png.text_chunks": "none", "c2pa.manifest": "none"})


def comfyui_graph() -> tuple[dict, dict]:
    pos_text = "cinematic matte painting of a flooded cathedral, morning light, highly detailed"
    neg_text = "blurry, watermark, text"
    prompt = {
        "3": {"inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8.0, "sampler_name": "euler",
                         "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
                         "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler"},
        "4": {"inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}, "class_type": "CheckpointLoaderSimple"},
        "5": {"inputs": {"width": W, "height": H, "batch_size": 1}, "class_type": "EmptyLatentImage"},
        "6": {"inputs": {"text": pos_text, "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
        "7": {"inputs": {"text": neg_text, "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
        "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode"},
        "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage"},
    }
    # links: [id, origin_node, origin_slot, target_node, target_slot, type]
    links = [[1, 4, 0, 3, 0, "MODEL"], [2, 6, 0, 3, 1, "CONDITIONING"], [3, 7, 0, 3, 2, "CONDITIONING"],
             [4, 5, 0, 3, 3, "LATENT"], [5, 4, 1, 6, 0, "CLIP"], [6, 4, 1, 7, 0, "CLIP"],
             [7, 3, 0, 8, 0, "LATENT"], [8, 4, 2, 8, 1, "VAE"], [9, 8, 0, 9, 0, "IMAGE"]]

    def node(nid, typ, pos, order, inputs, outputs, widgets):
        n = {"id": nid, "type": typ, "pos": pos, "size": [315, 120], "flags": {}, "order": order, "mode": 0,
             "inputs": [{"name": a, "type": t, "link": l} for a, t, l in inputs],
             "outputs": [{"name": a, "type": t, "links": ls, "slot_index": i}
                         for i, (a, t, ls) in enumerate(outputs)],
             "properties": {"Node name for S&R": typ}}
        if widgets is not None:
            n["widgets_values"] = widgets
        return n

    nodes = [
        node(4, "CheckpointLoaderSimple", [26, 474], 0, [],
             [("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [5, 6]), ("VAE", "VAE", [8])],
             ["v1-5-pruned-emaonly.safetensors"]),
        node(5, "EmptyLatentImage", [473, 609], 1, [], [("LATENT", "LATENT", [4])], [W, H, 1]),
        node(6, "CLIPTextEncode", [415, 186], 2, [("clip", "CLIP", 5)], [("CONDITIONING", "CONDITIONING", [2])],
             [pos_text]),
        node(7, "CLIPTextEncode", [413, 389], 3, [("clip", "CLIP", 6)], [("CONDITIONING", "CONDITIONING", [3])],
             [neg_text]),
        node(3, "KSampler", [863, 186], 4,
             [("model", "MODEL", 1), ("positive", "CONDITIONING", 2), ("negative", "CONDITIONING", 3),
              ("latent_image", "LATENT", 4)], [("LATENT", "LATENT", [7])],
             [156680208700286, "fixed", 20, 8, "euler", "normal", 1]),
        node(8, "VAEDecode", [1209, 188], 5, [("samples", "LATENT", 7), ("vae", "VAE", 8)],
             [("IMAGE", "IMAGE", [9])], None),
        node(9, "SaveImage", [1451, 189], 6, [("images", "IMAGE", 9)], [], ["ComfyUI"]),
    ]
    workflow = {"last_node_id": 9, "last_link_id": 9, "nodes": nodes, "links": links, "groups": [],
                "config": {}, "extra": {"ds": {"scale": 1.0, "offset": [0, 0]}}, "version": 0.4}
    return prompt, workflow


def prores(dest: Path, source: str, extra: list[str]) -> None:
    run(FFMPEG + ["-f", "lavfi", "-i", source, "-t", "1", "-c:v", "prores_ks", "-profile:v", "0",
                  "-pix_fmt", "yuv422p10le", *extra, str(dest)])


def ai_prores(dest: Path, source: str, tool: str) -> None:
    prores(dest, source, ["-metadata", f"comment=Generated with {tool}"])
    exiftool_write(dest, f"-XMP-iptcExt:DigitalSourceType={DST_TRAINED}", f"-XMP-xmp:CreatorTool={tool}")


def make_video(signing: C2paSigning, tmp: Path) -> None:
    rel = "video/ai_c2pa_generated.mp4"
    if signing.available:
        src = tmp / "gen.mp4"
        run(FFMPEG + ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=1",
                      "-c:v", "libx264", "-preset", "medium", "-crf", "26", "-pix_fmt", "yuv420p",
                      "-threads", "1", "-movflags", "+faststart", str(src)])
        signing.sign(src.read_bytes(), "video/mp4", out(rel),
                     manifest("ai_c2pa_generated.mp4", "video/mp4", [
                         {"action": "c2pa.created", "digitalSourceType": DST_TRAINED,
                          "softwareAgent": {"name": "OpenAI Sora"}}]))
        register(rel, "C2PA in MP4: c2pa.created, DST trainedAlgorithmicMedia, agent OpenAI Sora",
                 c2pa_expect(DST_TRAINED, "OpenAI Sora"), c2pa_signed=True)
    else:
        register(rel, "C2PA created/trainedAlgorithmicMedia", c2pa_signed=True, status="skipped",
                 note=signing.reason)

    rel = "video/ai_temp_shot_prores.mov"
    ai_prores(out(rel), "mandelbrot=size=320x180:rate=24", "Runway Gen-3 Alpha")
    register(rel, "ProRes MOV: XMP DST trainedAlgorithmicMedia + CreatorTool 'Runway Gen-3 Alpha' "
                  "+ QuickTime ©cmt comment",
             {"XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia",
              "XMP-xmp:CreatorTool": "Runway Gen-3 Alpha",
              "ffprobe.format.tags.comment": "Generated with Runway Gen-3 Alpha"})

    rel = "video/camera_clip.mov"
    prores(out(rel), "testsrc2=size=320x180:rate=24",
           ["-movflags", "use_metadata_tags", "-metadata", "com.apple.quicktime.make=ARRI",
            "-metadata", "com.apple.quicktime.model=ALEXA Mini LF", "-timecode", "01:00:00:00"])
    register(rel, "none (ProRes; QuickTime mdta make=ARRI/model, encoder tag, timecode)",
             {"ffprobe.format.tags.com.apple.quicktime.make": "ARRI", "c2pa.manifest": "none"})


def make_exr() -> None:
    rel = "exr/ai_plate.exr"
    out(rel).write_bytes(exr_bytes(exr_content(11), {
        "software": "ComfyUI 0.3.10", "comments": "trainedAlgorithmicMedia: AI-generated temp plate"}))
    register(rel, "OpenEXR header strings software='ComfyUI 0.3.10', comments='trainedAlgorithmicMedia: ...'",
             {"exr.software": "ComfyUI 0.3.10", "exr.comments": "trainedAlgorithmicMedia",
              "ffprobe.stream.codec_name": "exr"})

    rel = "exr/camera_plate.exr"
    out(rel).write_bytes(exr_bytes(exr_content(12), {"software": "Nuke 15.0", "comments": "A001C003 clean plate"}))
    register(rel, "none (EXR software='Nuke 15.0', neutral comments)",
             {"exr.software": "Nuke 15.0", "ffprobe.stream.codec_name": "exr"})


def make_audio(signing: C2paSigning, tmp: Path) -> None:
    rel = "audio/ai_voice.wav"
    out(rel).write_bytes(wav_bytes(voice_tone(21), extra_chunks=info_chunk(
        [(b"ISFT", "ElevenLabs"), (b"ICMT", "AI voice, temp")])))
    register(rel, "RIFF LIST/INFO ISFT='ElevenLabs', ICMT='AI voice, temp'",
             {"RIFF:Software": "ElevenLabs", "RIFF:Comment": "AI voice, temp"})

    # ffmpeg's ID3v2 muxer stores "-metadata comment=..." as a TXXX:comment frame, not a
    # real COMM frame, so the MP3 is encoded without ID3v2 and a hand-built ID3v2.4 tag
    # (TENC + COMM + TSSE) is prepended. ffprobe maps TENC->encoded_by, COMM->comment.
    rel = "audio/ai_music.mp3"
    raw = tmp / "music.mp3"
    run(FFMPEG + ["-f", "lavfi", "-i",
                  "aevalsrc=0.25*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*2*t))+0.15*sin(2*PI*277.18*t)"
                  "+0.15*sin(2*PI*329.63*t):s=44100:d=1",
                  "-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", "-write_id3v1", "0",
                  "-fflags", "+bitexact", str(raw)])
    out(rel).write_bytes(id3v2_4([
        (b"TENC", b"\x03Suno"),
        (b"COMM", b"\x03eng\x00" + "Made with Suno v4".encode()),
        (b"TSSE", b"\x03Lavf59.27.100"),
    ]) + raw.read_bytes())
    register(rel, "ID3v2.4 TENC 'Suno' + COMM 'Made with Suno v4'",
             {"ffprobe.format.tags.encoded_by": "Suno", "ffprobe.format.tags.comment": "Made with Suno v4",
              "ID3v2_4:EncodedBy": "Suno", "ID3v2_4:Comment": "Made with Suno v4"})

    rel = "audio/ai_c2pa_voice.wav"
    if signing.available:
        signing.sign(wav_bytes(voice_tone(22, f0=190.0)), "audio/wav", out(rel),
                     manifest("ai_c2pa_voice.wav", "audio/wav", [
                         {"action": "c2pa.created", "digitalSourceType": DST_TRAINED,
                          "softwareAgent": {"name": "ElevenLabs"}}]))
        register(rel, "C2PA in WAV: c2pa.created, DST trainedAlgorithmicMedia, agent ElevenLabs",
                 c2pa_expect(DST_TRAINED, "ElevenLabs"), c2pa_signed=True)
    else:
        register(rel, "C2PA created/trainedAlgorithmicMedia", c2pa_signed=True, status="skipped",
                 note=signing.reason)


def make_broken() -> None:
    rel = "broken/zero_bytes.png"
    out(rel).write_bytes(b"")
    register(rel, "broken: empty file")

    src = (HERE / "stills/ai_iptc_xmp.jpg").read_bytes()
    rel = "broken/truncated.jpg"
    sos = src.index(b"\xff\xda")
    sos_len = struct.unpack(">H", src[sos + 2:sos + 4])[0]
    scan_start = sos + 2 + sos_len
    out(rel).write_bytes(src[: scan_start + (len(src) - scan_start) // 2])
    register(rel, "broken: ai_iptc_xmp.jpg cut mid entropy-coded data (XMP AI marker intact)",
             {"XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia"})

    cam = (HERE / "stills/camera_original.jpg").read_bytes()
    rel = "broken/truncated_header.jpg"
    app1 = cam.index(b"\xff\xe1")
    app1_len = struct.unpack(">H", cam[app1 + 2:app1 + 4])[0]
    out(rel).write_bytes(cam[: app1 + 4 + app1_len // 2])
    register(rel, "broken: camera_original.jpg cut inside its EXIF APP1 segment")

    rel = "broken/wrong_extension.png"
    out(rel).write_bytes(src)
    register(rel, "broken: JPEG bytes (copy of ai_iptc_xmp.jpg) named .png",
             {"File:FileType": "JPEG", "XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia"})

    rel = "broken/random_bytes.mov"
    out(rel).write_bytes(random.Random(20240514).randbytes(4096))
    register(rel, "broken: 4096 seeded random bytes")

    rel = "broken/huge_chunk.png"
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
    out(rel).write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + struct.pack(">I", 0xFFFFFFF0) + b"tEXt"
                         + b"parameters\x00Steps: 20")
    register(rel, "broken: PNG with a tEXt chunk whose length says 0xFFFFFFF0 (file ends after 20 bytes)")


def make_production() -> None:
    rel = "production/working/concept/ai_concept_art.png"
    info = PngInfo()
    info.add_text("parameters", A1111_CONCEPT)
    out(rel).write_bytes(png_bytes(picture(909, style="shapes"), info))
    register(rel, "PNG tEXt 'parameters' (A1111, seed 987654321)", {"PNG:Parameters": "Seed: 987654321"})

    rel = "production/working/temp/ai_temp_shot.mov"
    ai_prores(out(rel), "testsrc2=size=320x180:rate=24", "Runway Gen-3 Alpha")
    register(rel, "ProRes MOV: XMP DST trainedAlgorithmicMedia + CreatorTool + ©cmt comment",
             {"XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia",
              "ffprobe.format.tags.comment": "Runway Gen-3 Alpha"})

    rel = "production/finals/stills/poster_insert_ai.jpg"
    p = out(rel)
    p.write_bytes(jpeg_bytes(picture(1001, style="shapes")))
    exiftool_write(p, f"-XMP-iptcExt:DigitalSourceType={DST_TRAINED}", "-XMP-xmp:CreatorTool=Adobe Firefly 3")
    register(rel, "XMP DST trainedAlgorithmicMedia + CreatorTool 'Adobe Firefly 3' (unapproved AI in finals)",
             {"XMP-iptcExt:DigitalSourceType": "trainedAlgorithmicMedia", "XMP-xmp:CreatorTool": "Adobe Firefly 3"})

    rel = "production/finals/plates/sky_replacement_ai.png"
    p = out(rel)
    p.write_bytes(png_bytes(picture(1002)))
    exiftool_write(p, f"-XMP-iptcExt:DigitalSourceType={DST_COMPOSITE}",
                   "-XMP-xmp:CreatorTool=Adobe Photoshop 26.0 (Generative Fill)")
    register(rel, "PNG XMP DST compositeWithTrainedAlgorithmicMedia + CreatorTool Photoshop Generative Fill",
             {"XMP-iptcExt:DigitalSourceType": "compositeWithTrainedAlgorithmicMedia",
              "XMP-xmp:CreatorTool": "Generative Fill"})

    rel = "production/finals/stills/camera_still.jpg"
    p = out(rel)
    p.write_bytes(jpeg_bytes(picture(1003)))
    exiftool_write(p, "-EXIF:Make=SONY", "-EXIF:Model=ILCE-7M4", "-EXIF:DateTimeOriginal=2024:06:02 07:45:10",
                   "-EXIF:Software=Capture One", f"-XMP-iptcExt:DigitalSourceType={DST_CAPTURE}")
    register(rel, "camera: EXIF Make SONY + XMP DST digitalCapture",
             {"IFD0:Make": "SONY", "XMP-iptcExt:DigitalSourceType": "digitalCapture"})

    rel = "production/finals/audio/dialogue_mix.wav"
    out(rel).write_bytes(wav_bytes(voice_tone(31, f0=120.0)))
    register(rel, "none (plain PCM WAV, fmt + data only)", {"File:FileType": "WAV"})


# --------------------------------------------------------------------------------------
# verification


def exiftool_facts(paths: list[Path]) -> dict[Path, dict]:
    proc = subprocess.run(["exiftool", "-j", "-G1", "-a", "-m", *map(str, paths)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    try:
        rows = json.loads(proc.stdout.decode("utf-8", "replace") or "[]")
    except json.JSONDecodeError:
        rows = []
    res = {}
    for row in rows:
        res[Path(row.get("SourceFile", "")).resolve()] = row
    return res


def ffprobe_facts(path: Path) -> dict:
    proc = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    facts = {}
    try:
        data = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        return {"ffprobe.error": "unparsable"}
    for k, v in (data.get("format", {}).get("tags") or {}).items():
        facts[f"ffprobe.format.tags.{k}"] = str(v)
    if data.get("format", {}).get("format_name"):
        facts["ffprobe.format_name"] = data["format"]["format_name"]
    streams = data.get("streams") or []
    if streams:
        facts["ffprobe.stream.codec_name"] = ",".join(s.get("codec_name", "?") for s in streams)
    if proc.returncode != 0:
        facts["ffprobe.error"] = proc.stderr.decode("utf-8", "replace").strip()[:80]
    return facts


def c2pa_facts(path: Path) -> dict:
    if c2pa is None:
        return {}
    try:
        with c2pa.Reader(str(path)) as r:
            data = json.loads(r.json())
    except Exception as e:  # noqa: BLE001 - any failure means "no readable manifest" here
        name = type(e).__name__
        if "NotFound" in name:
            return {"c2pa.manifest": "none"}
        if "NotSupported" in name:
            return {"c2pa.manifest": "n/a (format not supported by c2pa)"}
        return {"c2pa.manifest": f"error:{name}"}
    facts = {"c2pa.manifest": "present", "c2pa.validation_state": data.get("validation_state", "?")}
    active = data.get("manifests", {}).get(data.get("active_manifest", ""), {})
    acts, dsts, agents = [], [], []
    for a in active.get("assertions", []):
        if a.get("label", "").startswith("c2pa.actions"):
            for act in a.get("data", {}).get("actions", []):
                acts.append(act.get("action", "?"))
                if act.get("digitalSourceType"):
                    dsts.append(act["digitalSourceType"])
                ag = act.get("softwareAgent")
                if isinstance(ag, dict):
                    agents.append(ag.get("name", ""))
                elif ag:
                    agents.append(str(ag))
    facts["c2pa.actions"] = ",".join(acts)
    facts["c2pa.digitalSourceType"] = ",".join(dsts)
    facts["c2pa.softwareAgent"] = ",".join(agents)
    ings = active.get("ingredients", [])
    if ings:
        facts["c2pa.ingredients"] = ",".join(f"{i.get('title')} ({i.get('relationship')})" for i in ings)
    failures = [s.get("code") for s in data.get("validation_status", [])]
    if failures:
        facts["c2pa.validation_status"] = ",".join(failures)
    return facts


def png_text_chunks(path: Path) -> str:
    b = path.read_bytes()
    if not b.startswith(b"\x89PNG\r\n\x1a\n"):
        return "not-png"
    pos, names = 8, []
    while pos + 8 <= len(b):
        length, ctype = struct.unpack(">I4s", b[pos:pos + 8])
        if ctype in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
            names.append(ctype.decode())
        pos += 12 + length
    return ",".join(names) or "none"


def gather_facts(s: Sample, ex: dict) -> dict:
    p = HERE / s.rel
    facts: dict[str, str] = {}
    for k, v in ex.items():
        if ":" in k and not k.startswith(("System:", "ExifTool:ExifToolVersion")):
            facts[k] = str(v)
    ext = p.suffix.lower()
    if p.stat().st_size == 0 or s.rel.startswith("broken/"):
        return facts
    facts.update(c2pa_facts(p))
    if ext in (".mov", ".mp4", ".mp3", ".wav", ".exr"):
        facts.update(ffprobe_facts(p))
    if ext == ".exr":
        for k, v in exr_read_attrs(p).items():
            facts[f"exr.{k}"] = v
        dec = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(p), "-f", "null", "-"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        facts["ffmpeg.decode"] = "ok" if dec.returncode == 0 and not dec.stderr else "errors"
    if ext == ".png":
        facts["png.text_chunks"] = png_text_chunks(p)
        payload = stealth_read(p)
        if payload:
            facts["stealth.payload"] = payload
    if ext == ".jpg" and s.rel.endswith("a1111_usercomment.jpg"):
        b = p.read_bytes()
        i = b.find(b"UNICODE\x00")
        facts["raw.usercomment_header"] = "UNICODE\\x00" if i >= 0 else "missing"
        if i >= 0:
            text = b[i + 8:i + 8 + len(A1111_PARAMS.encode("utf-16-be"))].decode("utf-16-be", "replace")
            facts["raw.usercomment_utf16be_matches"] = str(text == A1111_PARAMS)
    return facts


SHORT_KEYS = ("DigitalSourceType", "CreatorTool", "Software", "Make", "Model", "DateTimeOriginal",
              "UserComment", "Parameters", "Prompt", "Workflow", "Comment", "EncodedBy", "Encoder",
              "Error", "Warning", "FileType", "comment", "encoded_by", "make", "codec_name",
              "validation_state", "digitalSourceType", "softwareAgent", "actions", "ingredients",
              "payload", "text_chunks", "comments", "software", "decode", "manifest", "header")


def short(v: str, n: int = 44) -> str:
    v = v.replace(DST, "").replace("\n", " | ")
    return v if len(v) <= n else v[: n - 3] + "..."


def verify(verbose: bool) -> int:
    made = [s for s in SAMPLES if s.status == "made"]
    ex = exiftool_facts([HERE / s.rel for s in made])
    bad = 0
    total = 0
    width = max(len(s.rel) for s in SAMPLES)
    print()
    print(f"{'':4} {'file':{width}} {'size':>9}  marker  ->  verified facts")
    for s in SAMPLES:
        p = HERE / s.rel
        if s.status != "made":
            print(f"SKIP {s.rel:{width}} {'-':>9}  {s.marker}  ({s.note})")
            continue
        size = p.stat().st_size
        total += size
        facts = gather_facts(s, ex.get(p.resolve(), {}))
        missing = []
        for key, want in s.expect.items():
            key = key.split("#")[0]
            if want not in facts.get(key, ""):
                missing.append(f"{key}~{want!r} (got {facts.get(key)!r})")
        status = "OK  " if not missing else "FAIL"
        bad += bool(missing)
        shown = [f"{k.split(':')[-1] if ':' in k else k}={short(v)}" for k, v in facts.items()
                 if k.split(":")[-1].split(".")[-1] in SHORT_KEYS
                 and (k in s.expect or k.startswith(("c2pa.validation_state", "c2pa.digital", "XMP-iptcExt",
                                                     "XMP-xmp:Creator", "ExifTool:")))]
        if not shown:
            shown = [f"{k}={short(v)}" for k, v in facts.items() if k.split(":")[-1] in SHORT_KEYS][:3]
        print(f"{status} {s.rel:{width}} {size / 1024:7.1f}KB  {s.marker}")
        print(f"{'':4} {'':{width}} {'':9}    -> {'; '.join(shown) or '(no metadata readable)'}")
        for m in missing:
            print(f"{'':4}   MISSING {m}")
        if verbose:
            for k, v in facts.items():
                print(f"{'':8}{k}: {short(v, 110)}")
    print(f"\n{len(made)} files, {total / 1024:.1f} KB total; "
          f"{sum(s.status != 'made' for s in SAMPLES)} skipped; {bad} failed verification")
    return 1 if bad else 0


# --------------------------------------------------------------------------------------


def check_tools() -> None:
    for tool in ("exiftool", "ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} not found on PATH")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="print every gathered fact per file")
    args = ap.parse_args()
    check_tools()
    signing = C2paSigning()
    if not signing.available:
        print(f"note: skipping C2PA-signed samples: {signing.reason}")
    with tempfile.TemporaryDirectory(prefix="aiprov_samples_") as td:
        tmp = Path(td)
        make_stills(signing)
        make_video(signing, tmp)
        make_exr()
        make_audio(signing, tmp)
        make_broken()
        make_production()
    return verify(args.verbose)


if __name__ == "__main__":
    sys.exit(main())
