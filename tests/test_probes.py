"""The evidence sources end to end: real files through `read_file`, one verdict each.

Every file is made here: XMP written by hand or by exiftool, C2PA manifests
signed with c2pa-python and the public test key, video and audio tags written
by ffmpeg, stealth parameters hidden in real pixel data. What is checked is
what a user sees: the verdict, the generator, the reason, the warnings, the
C2PA integrity and trust.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aiprov.markers import IPTC_DST
from aiprov.reader import ReadSettings, Tools, read_file

from .helpers import ffmpeg, read

import c2pa  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
KEYS = CORPUS / "keys"
CERT, KEY = KEYS / "es256_certs.pem", KEYS / "es256_private.key"

TRAINED = IPTC_DST + "trainedAlgorithmicMedia"
CAPTURE = IPTC_DST + "digitalCapture"
A1111 = ("a lighthouse on a sea cliff at dusk, volumetric fog\n"
         "Negative prompt: blurry, lowres, watermark\n"
         "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 64x48, "
         "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0")


# --- helpers -----------------------------------------------------------------


def picture(w: int = 64, h: int = 48) -> Image.Image:
    g = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (g, g.transpose(Image.FLIP_LEFT_RIGHT), g.rotate(90)))


def png_bytes(im: Image.Image | None = None, info: PngInfo | None = None) -> bytes:
    buf = io.BytesIO()
    (im or picture()).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def jpeg_bytes(im: Image.Image | None = None) -> bytes:
    buf = io.BytesIO()
    (im or picture()).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def xmp_packet(body: str, namespaces: str) -> str:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f'  <rdf:Description rdf:about="" {namespaces}>\n   {body}\n  </rdf:Description>\n'
            ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>')


IPTC_NS = 'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'


def iptc_dst(code_uri: str, extra: str = "") -> str:
    return xmp_packet(f"<Iptc4xmpExt:DigitalSourceType>{code_uri}</Iptc4xmpExt:DigitalSourceType>{extra}", IPTC_NS)


def exiftool_write(path: Path, *tags: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-m", *tags, str(path)],
                   check=True, capture_output=True, timeout=60)


def has_warning(insp, word: str) -> bool:
    return any(word in w for w in insp.warnings)


# --- XMP and sidecars ------------------------------------------------------------


def test_an_xmp_sidecar_named_after_the_whole_file_makes_a_plain_png_ai(tmp_path, tools):
    still = tmp_path / "plate_012.png"
    still.write_bytes(png_bytes())
    assert read(still, tools).verdict == "unknown"  # nothing in the file itself

    (tmp_path / "plate_012.png.xmp").write_text(iptc_dst(TRAINED), encoding="utf-8")
    insp = read(still, tools)

    assert insp.verdict == "ai"
    assert insp.digital_source_type == TRAINED
    assert any(e.source == "xmp-sidecar" and e.field.startswith("plate_012.png.xmp") for e in insp.evidence)


def test_an_xmp_sidecar_that_replaces_the_extension_is_read_too(tmp_path, tools):
    still = tmp_path / "A001C003.png"
    still.write_bytes(png_bytes())
    (tmp_path / "A001C003.xmp").write_text(iptc_dst(IPTC_DST + "compositeWithTrainedAlgorithmicMedia"),
                                           encoding="utf-8")

    insp = read(still, tools)

    assert insp.verdict == "ai-composite"
    assert {e.source for e in insp.evidence} == {"xmp-sidecar"}


@pytest.mark.parametrize("form", ["element", "attribute", "resource"])
def test_the_iptc_declaration_is_read_in_every_rdf_form_tools_write(tmp_path, tools, form):
    body = {
        "element": f"<Iptc4xmpExt:DigitalSourceType>{TRAINED}</Iptc4xmpExt:DigitalSourceType>",
        "attribute": "",
        "resource": f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{TRAINED}"/>',
    }[form]
    ns = IPTC_NS + (f' Iptc4xmpExt:DigitalSourceType="{TRAINED}"' if form == "attribute" else "")
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(body, ns))
    path = tmp_path / f"{form}.png"
    path.write_bytes(png_bytes(info=info))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.digital_source_type == TRAINED


def test_a_vendor_namespace_digital_source_type_normalises_to_the_iptc_code(tmp_path, tools):
    packet = xmp_packet("<genai:digitalSourceType>https://ns.example-vendor.com/dst#trainedAlgorithmicMedia"
                        "</genai:digitalSourceType>",
                        'xmlns:genai="http://ns.example-vendor.com/genai/1.0/"')
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    path = tmp_path / "vendor.png"
    path.write_bytes(png_bytes(info=info))

    insp = read(path, tools)

    assert insp.verdict == "ai"
    assert insp.digital_source_type == TRAINED
    assert any(e.field.endswith(":digitalSourceType") and e.digital_source_type == TRAINED for e in insp.evidence)


def test_a_file_claiming_digital_capture_but_carrying_a1111_parameters_is_ai_with_a_warning(tmp_path, tools):
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", iptc_dst(CAPTURE))
    info.add_text("parameters", A1111)
    path = tmp_path / "laundered.png"
    path.write_bytes(png_bytes(info=info))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111"
    assert has_warning(insp, "contradictory") and has_warning(insp, "digitalCapture")


def test_an_xmp_packet_that_is_not_xml_is_still_searched_and_reported(tmp_path, tools):
    broken = iptc_dst(TRAINED).replace("</rdf:Description>", "")  # no longer well-formed
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", broken)
    path = tmp_path / "broken_xmp.png"
    path.write_bytes(png_bytes(info=info))

    insp = read(path, tools)

    assert insp.verdict == "ai"
    assert has_warning(insp, "does not parse as XML")


def test_a_camera_jpeg_with_capture_one_and_digital_capture_is_not_ai(tmp_path, tools):
    path = tmp_path / "camera.jpg"
    path.write_bytes(jpeg_bytes())
    exiftool_write(path, "-EXIF:Make=Canon", "-EXIF:Model=Canon EOS R5", "-EXIF:Software=Capture One 23",
                   f"-XMP-iptcExt:DigitalSourceType={CAPTURE}")

    insp = read(path, tools)

    assert insp.verdict == "not-ai" and insp.generator is None
    assert insp.digital_source_type == CAPTURE
    assert not insp.warnings


def test_an_airport_still_captioned_on_the_runway_declares_no_ai_and_names_no_generator(tmp_path, tools):
    path = tmp_path / "a380.jpg"
    path.write_bytes(jpeg_bytes())
    exiftool_write(path, "-EXIF:Make=Canon", "-EXIF:ImageDescription=A380 on the runway at dusk, Heathrow")

    insp = read(path, tools)

    assert insp.verdict == "no-ai-declared"
    assert insp.generator is None
    assert any("runway" in e.value and e.weight < 0.5 for e in insp.evidence)  # shown, deciding nothing


def test_comfyui_webp_with_its_graph_in_exif_make_and_model_is_ai(tmp_path, tools):
    prompt = {"3": {"inputs": {"seed": 1, "steps": 20}, "class_type": "KSampler"},
              "9": {"inputs": {"images": ["8", 0]}, "class_type": "SaveAnimatedWEBP"}}
    workflow = {"nodes": [{"id": 3, "type": "KSampler"}], "links": [], "version": 0.4}
    exif = Image.Exif()
    exif[0x0110] = "prompt:" + json.dumps(prompt)  # what ComfyUI's SaveAnimatedWEBP writes
    exif[0x010F] = "workflow:" + json.dumps(workflow)
    path = tmp_path / "ComfyUI_00001_.webp"
    picture().save(path, "WEBP", exif=exif.tobytes())

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "ComfyUI"
    assert {e.field for e in insp.evidence if e.weight == 1.0} == {"EXIF:Make", "EXIF:Model"}


# --- C2PA --------------------------------------------------------------------------


def sign(src: bytes, mime: str, dest: Path, actions: list[dict], *, title: str = "generated.jpg",
         generator: str = "aiprov tests", ingredients: list[tuple[dict, str, Path]] = ()) -> Path:
    manifest = {"claim_generator_info": [{"name": generator, "version": "1"}], "title": title, "format": mime,
                "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}]}
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo("es256", CERT.read_bytes(), KEY.read_bytes(), None))
    builder = c2pa.Builder(json.dumps(manifest))
    try:
        for ing, ing_mime, ing_path in ingredients:
            with open(ing_path, "rb") as fh:
                builder.add_ingredient(json.dumps(ing), ing_mime, fh)
        with io.BytesIO(src) as s, open(dest, "w+b") as d:
            builder.sign(signer, mime, s, d)
    finally:
        builder.close()
        signer.close()
    return dest


CREATED_BY_FIREFLY = [{"action": "c2pa.created", "digitalSourceType": TRAINED,
                       "softwareAgent": {"name": "Adobe Firefly"}}]


def test_a_c2pa_signed_ai_image_is_ai_intact_and_untrusted(tmp_path, tools):
    path = sign(jpeg_bytes(), "image/jpeg", tmp_path / "firefly.jpg", CREATED_BY_FIREFLY)

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Adobe Firefly"
    assert insp.digital_source_type == TRAINED
    assert insp.c2pa.present and insp.c2pa.integrity == "intact"
    assert insp.c2pa.trusted is False  # a test certificate is on no trust list
    assert insp.c2pa.claim_generator == "aiprov tests/1"


def flip_a_byte_in_the_scan_data(data: bytes) -> bytes:
    """Change one byte of entropy-coded image data, well away from the manifest (APP11) and markers."""
    sos = data.rindex(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", data[sos + 2:sos + 4])[0]
    out = bytearray(data)
    for pos in range(start + (len(data) - start) // 2, len(data) - 2):
        if out[pos] not in (0xFE, 0xFF) and out[pos - 1] != 0xFF:
            out[pos] ^= 0x01
            return bytes(out)
    raise AssertionError("no byte to flip")


def test_image_data_changed_after_signing_is_tampered_but_still_declares_ai(tmp_path, tools):
    signed = sign(jpeg_bytes(), "image/jpeg", tmp_path / "signed.jpg", CREATED_BY_FIREFLY).read_bytes()
    path = tmp_path / "retouched.jpg"
    path.write_bytes(flip_a_byte_in_the_scan_data(signed))
    manifest_at = signed.index(b"\xff\xeb")
    assert path.read_bytes()[: manifest_at + 4096] == signed[: manifest_at + 4096]  # manifest untouched

    insp = read(path, tools)

    assert insp.c2pa.integrity == "tampered"
    assert any("dataHash.mismatch" in code for code in insp.c2pa.status_codes)
    assert insp.verdict == "ai" and insp.digital_source_type == TRAINED


def test_digital_capture_from_an_untrusted_signer_is_not_ai_but_weighs_less_than_a_trusted_one(tmp_path, tools):
    path = sign(jpeg_bytes(), "image/jpeg", tmp_path / "capture.jpg",
                [{"action": "c2pa.created", "digitalSourceType": CAPTURE}], title="capture.jpg")
    settings = ReadSettings(trust_anchors=str(CERT))
    trusting = Tools(settings)
    try:
        trusted = read_file(str(path), settings, trusting)
    finally:
        trusting.close()

    insp = read(path, tools)

    assert insp.c2pa.integrity == "intact" and insp.c2pa.trusted is False
    assert insp.digital_source_type == CAPTURE and insp.verdict == "not-ai"
    untrusted_weight = max(e.weight for e in insp.evidence if e.implies == "not-ai")
    assert 0 < untrusted_weight < max(e.weight for e in trusted.evidence if e.implies == "not-ai")


def test_digital_capture_counts_once_the_production_trusts_the_signer(tmp_path):
    path = sign(jpeg_bytes(), "image/jpeg", tmp_path / "capture.jpg",
                [{"action": "c2pa.created", "digitalSourceType": CAPTURE}], title="capture.jpg")
    settings = ReadSettings(trust_anchors=str(CERT))
    trusting = Tools(settings)
    try:
        insp = read_file(str(path), settings, trusting)
    finally:
        trusting.close()

    assert insp.c2pa.trusted is True and insp.c2pa.integrity == "intact"
    assert insp.verdict == "not-ai"
    assert any(e.implies == "not-ai" and e.weight > 0 for e in insp.evidence)


def test_ingredients_are_listed_and_an_ai_parent_makes_the_edit_a_composite(tmp_path, tools):
    parent = sign(jpeg_bytes(), "image/jpeg", tmp_path / "firefly_sky.jpg", CREATED_BY_FIREFLY,
                  title="firefly_sky.jpg")
    comp = sign(jpeg_bytes(picture().rotate(180)), "image/jpeg", tmp_path / "comp_v003.jpg",
                [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["sky"]}}, {"action": "c2pa.edited"}],
                title="comp_v003.jpg", generator="Nuke",
                ingredients=[({"title": "firefly_sky.jpg", "relationship": "parentOf", "label": "sky"},
                              "image/jpeg", parent)])

    insp = read(comp, tools)

    assert [(i.title, i.relationship) for i in insp.c2pa.ingredients] == [("firefly_sky.jpg", "parentOf")]
    assert insp.c2pa.ingredients[0].digital_source_type == TRAINED
    assert insp.verdict == "ai-composite"


# --- ffprobe, exiftool ------------------------------------------------------------


def test_a_mov_comment_generated_with_runway_is_read_by_ffprobe(tmp_path, tools):
    path = tmp_path / "temp_shot.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "mjpeg",
           "-metadata", "comment=Generated with Runway Gen-3", str(path))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Runway"
    assert any(e.source == "ffprobe" and e.field == "format:comment" for e in insp.evidence)


def test_a_camera_mov_with_only_encoder_tags_declares_no_ai(tmp_path, tools):
    path = tmp_path / "A001C003.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "mjpeg",
           "-movflags", "use_metadata_tags", "-metadata", "com.apple.quicktime.make=ARRI", str(path))

    insp = read(path, tools)

    assert insp.verdict == "no-ai-declared"  # a camera maker's name in a tag anyone can write proves nothing
    assert any("ARRI" in e.value for e in insp.evidence)


@pytest.fixture(scope="module")
def suno_mp3(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("mp3") / "score.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.3", "-c:a", "libmp3lame", "-b:a", "32k",
           "-metadata", "encoded_by=Suno", "-metadata", "title=Temp score", str(path))
    return path.read_bytes()


def test_an_mp3_encoded_by_suno_is_read_through_exiftool(tmp_path, tools, suno_mp3):
    path = tmp_path / "temp_score.mp3"
    path.write_bytes(suno_mp3)

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Suno"
    assert insp.reason.startswith("exiftool ID3v2_4:EncodedBy")


def test_without_exiftool_a_file_only_exiftool_can_read_is_unreadable_with_a_hint(tmp_path, suno_mp3):
    path = tmp_path / "temp_score.mp3"
    path.write_bytes(suno_mp3)
    settings = ReadSettings(exiftool=str(tmp_path / "no-such-exiftool"))
    missing = Tools(settings)
    try:
        insp = read_file(str(path), settings, missing)
    finally:
        missing.close()

    assert insp.verdict == "unreadable"
    assert "exiftool is not installed" in insp.reason


@pytest.mark.parametrize("name", [
    b"-temp score.mp3",
    b"temp\nscore.mp3",
    b"temp score \xff\xfe latin.mp3",
], ids=["leading-dash", "newline", "not-utf8"])
def test_awkward_file_names_are_read_correctly_through_exiftool(tmp_path, tools, suno_mp3, name):
    path = os.path.join(os.fsencode(tmp_path), name)
    with open(path, "wb") as fh:
        fh.write(suno_mp3)

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Suno", insp.reason
    assert any(e.source == "exiftool" for e in insp.evidence)
    assert insp.path == path.decode("utf-8", "backslashreplace")


def test_a_name_ending_in_a_carriage_return_is_not_confused_with_the_file_read_before(tmp_path, suno_mp3):
    # A shell script with CRLF line endings names its output "dialogue.mp3\r".
    folder = os.fsencode(tmp_path)
    ai_song = os.path.join(folder, b"score \xff.mp3")  # not UTF-8: read through an alias
    with open(ai_song, "wb") as fh:
        fh.write(suno_mp3)
    dialogue = os.path.join(folder, b"dialogue.mp3\r")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=110:duration=0.3", "-c:a", "libmp3lame", "-b:a", "32k",
           "-metadata", "encoded_by=Pro Tools", "-f", "mp3", "file:" + os.fsdecode(dialogue))
    t = Tools(ReadSettings())
    try:
        assert read(ai_song, t).verdict == "ai"
        insp = read(dialogue, t)
    finally:
        t.close()

    assert insp.verdict == "no-ai-declared", insp.reason
    assert insp.generator is None


def test_exiftool_is_given_a_safe_alias_for_names_its_argument_protocol_cannot_carry(tmp_path, suno_mp3):
    t = Tools(ReadSettings())
    try:
        plain = os.path.join(os.fsencode(tmp_path), b"-dash.mp3")
        odd = os.path.join(os.fsencode(tmp_path), b"line\nbreak\xff.mp3")
        for p in (plain, odd):
            with open(p, "wb") as fh:
                fh.write(suno_mp3)

        assert t._safe_name(plain) == os.fsdecode(plain)  # absolute: never read as an option
        alias = t._safe_name(odd)
        assert "\n" not in alias and alias.isascii() and alias.endswith(".mp3")
        assert os.path.samefile(alias, odd)
        alias_dir = os.path.dirname(alias)
    finally:
        t.close()
    assert not os.path.exists(alias_dir)  # the aliases are cleaned up


def test_a_photographer_named_sora_in_a_gif_read_by_exiftool_declares_no_ai(tmp_path, tools):
    path = tmp_path / "bts.gif"
    picture().convert("P").save(path, "GIF")
    exiftool_write(path, "-XMP-dc:Creator=Sora Nakamura", "-XMP-dc:Description=Behind the scenes, day 3")

    insp = read(path, tools)

    assert insp.verdict == "no-ai-declared", insp.reason
    assert any(e.field == "XMP-dc:Creator" for e in insp.evidence)


# --- stealth A1111 parameters -------------------------------------------------------


def stealth_rgba(im: Image.Image, payload: bytes, signature: bytes = b"stealth_pnginfo") -> Image.Image:
    """Hide signature + 32-bit bit length + payload in the alpha LSBs, column by column, as A1111 does."""
    blob = signature + struct.pack(">I", len(payload) * 8) + payload
    bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8))
    w, h = im.size
    assert len(bits) <= w * h
    alpha = np.full((w, h), 255, dtype=np.uint8)  # [x, y]: x outer, y inner
    flat = alpha.reshape(-1)
    flat[: len(bits)] = 254 | bits
    return Image.fromarray(np.dstack([np.asarray(im.convert("RGB")), alpha.T]), "RGBA")


def test_stealth_a1111_parameters_in_the_alpha_channel_are_found(tmp_path, tools):
    path = tmp_path / "stealth.png"
    stealth_rgba(picture(128, 96), A1111.encode("utf-8")).save(path, "PNG")
    assert Image.open(path).info == {}  # no text chunk gives it away

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "AUTOMATIC1111"
    assert insp.evidence[0].source == "stealth" and "Seed: 1234" in insp.evidence[0].value


def test_gzipped_stealth_parameters_are_found(tmp_path, tools):
    path = tmp_path / "stealth_comp.png"
    stealth_rgba(picture(128, 96), gzip.compress(A1111.encode("utf-8")), b"stealth_pngcomp").save(path, "PNG")

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.evidence[0].field == "pixel LSBs (stealth_pngcomp)"
    assert "Seed: 1234" in insp.evidence[0].value


def test_an_ordinary_rgba_png_is_not_flagged_as_stealth(tmp_path, tools):
    rng = np.random.default_rng(7)
    alpha = rng.integers(0, 256, (96, 128), dtype=np.uint8)
    path = tmp_path / "matte.png"
    Image.fromarray(np.dstack([np.asarray(picture(128, 96)), alpha]), "RGBA").save(path, "PNG")

    insp = read(path, tools)

    assert insp.verdict == "unknown"
    assert not insp.evidence and not insp.warnings


def test_a_non_ai_file_with_a_name_too_long_for_a_sidecar_is_still_read(tmp_path):
    from aiprov.reader import ReadSettings, Tools, read_file

    path = os.path.join(os.fsencode(tmp_path), b"n" * 251 + b".jpg")
    with open(path, "wb") as fh:
        fh.write((Path(__file__).resolve().parent.parent / "sample_media" / "stills" / "camera_original.jpg").read_bytes())
    t = Tools(ReadSettings())
    try:
        insp = read_file(path, ReadSettings(), t)
    finally:
        t.close()
    assert insp.verdict == "not-ai", insp.error
