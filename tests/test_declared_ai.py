"""Every way the field declares AI, on files made with the writers real generators use.

Each file is made here by the real tool that writes such metadata: c2pa-python's Builder (with
the public test key) for C2PA in JPEG, MP4, MP3 and WAV; Pillow for EXIF the way ComfyUI's
savers write it; exiftool for EXIF, IPTC and XMP captions; ffmpeg for the audio, mutagen (the
tagger library beets and Picard use) for ID3 URL and comment frames. The metadata follows the
generators' own formats: ComfyUI's WebP/JPEG saver (prompt in Model, workflow in Make, further
keys counting down), diffusers' pipeline arguments, Midjourney's prompt parameters and job id.

What is checked is what a supervisor sees: the verdict, the generator named and what named it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import c2pa
import pytest
from mutagen.id3 import COMM, ID3, TXXX, WOAS, WXXX
from PIL import Image

from aiprov.checking import Checker
from aiprov.config import Config
from aiprov.ledger import Ledger, schema
from aiprov.markers import IPTC_DST
from aiprov.scanning import scan
from aiprov.version import RULES_VERSION

from .helpers import FFMPEG, ffmpeg, read

from .conftest import KEYS

CERT, KEY = KEYS / "es256_certs.pem", KEYS / "es256_private.key"
TRAINED = IPTC_DST + "trainedAlgorithmicMedia"
CAPTURE = IPTC_DST + "digitalCapture"
MJ_JOB = "Job ID: 5b8d0f3e-7c2a-4e1f-9a6b-2d4c8e0f1a3b"


def picture(w: int = 64, h: int = 48) -> Image.Image:
    g = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (g, g.transpose(Image.FLIP_LEFT_RIGHT), g.rotate(90)))


def jpeg(path: Path, im: Image.Image | None = None, **kw) -> Path:
    (im or picture()).save(path, "JPEG", quality=90, **kw)
    return path


def exiftool(path: Path, *tags: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-m", *tags, str(path)], check=True,
                   capture_output=True, timeout=60)


def sign(src: Path, mime: str, dest: Path, assertions: list[dict], *, generator: dict | None = None,
         claim_version: int | None = None, ingredients: list[tuple[dict, str, Path]] = ()) -> Path:
    """Sign `src` into `dest` with c2pa-python's Builder and the public test key."""
    manifest = {"claim_generator_info": [generator or {"name": "aiprov tests", "version": "1"}],
                "title": dest.name, "format": mime, "assertions": assertions}
    if claim_version:
        manifest["claim_version"] = claim_version  # claims before C2PA 2.0 needed no source type
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo("es256", CERT.read_bytes(), KEY.read_bytes(), None))
    builder = c2pa.Builder(json.dumps(manifest))
    try:
        for definition, ing_mime, ing_path in ingredients:
            with open(ing_path, "rb") as fh:
                builder.add_ingredient(json.dumps(definition), ing_mime, fh)
        with open(src, "rb") as s, open(dest, "w+b") as d:
            builder.sign(signer, mime, s, d)
    finally:
        builder.close()
        signer.close()
    return dest


def actions(*items: dict) -> list[dict]:
    return [{"label": "c2pa.actions.v2", "data": {"actions": list(items)}}]


# --- C2PA without a source type ---------------------------------------------------------


def test_a_c2pa_creation_with_no_source_type_whose_description_says_ai_is_ai_named_by_its_claim_generator(
        tmp_path, tools):
    # How Google's generators sign: the AI is said in the action's description, the name only in
    # claim_generator_info and in the signer's certificate.
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "gemini_image.jpg",
                actions({"action": "c2pa.created", "description": "Created by Google Generative AI."}),
                generator={"name": "Google C2PA Core Generator Library", "version": "1.0"}, claim_version=1)

    insp = read(path, tools)

    assert insp.c2pa.integrity == "intact"
    assert insp.verdict == "ai", insp.reason
    assert insp.generator == "Google C2PA Core Generator Library"
    assert insp.generator_source == "C2PA claim generator"
    assert "Google Generative AI" in insp.reason


def test_a_c2pa_creation_with_no_source_type_by_an_ai_service_aiprov_has_never_heard_of_is_ai(tmp_path, tools):
    # The description says AI made it; the softwareAgent, first in the naming order, names the service.
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "designer.jpg",
                actions({"action": "c2pa.created", "softwareAgent": "Designer Image Service",
                         "description": "AI Generated Image"}),
                generator={"name": "Microsoft Responsible AI Image Provenance", "version": "1.0"}, claim_version=1)

    insp = read(path, tools)

    assert insp.verdict == "ai"
    assert insp.generator == "Designer Image Service"
    assert insp.generator_source == "C2PA action softwareAgent"


def test_when_nothing_else_names_it_the_signers_organisation_names_the_generator(tmp_path, tools):
    # The claim generator is only the signing toolkit; the certificate's organisation is left.
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "api_output.jpg",
                actions({"action": "c2pa.created", "digitalSourceType": TRAINED}),
                generator={"name": "c2pa-rs", "version": "0.91"})

    insp = read(path, tools)

    assert insp.verdict == "ai"
    assert insp.generator == "C2PA Test Signing Cert"
    assert insp.generator_source == "C2PA signer's organisation"


# --- AI declared by an ingredient ------------------------------------------------------


def test_a_resave_that_says_nothing_of_an_ai_parent_is_a_composite_naming_the_parent_and_its_generator(
        tmp_path, tools):
    generated = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "dalle_output.jpg",
                     actions({"action": "c2pa.created", "digitalSourceType": TRAINED, "softwareAgent": "DALL·E"}),
                     generator={"name": "ChatGPT", "version": "1.0"})
    edited = sign(jpeg(tmp_path / "edit.jpg", picture().rotate(180)), "image/jpeg", tmp_path / "grade_v002.jpg",
                  actions({"action": "c2pa.opened", "parameters": {"ingredientIds": ["p"]}},
                          {"action": "c2pa.color_adjustments"}),
                  generator={"name": "Colour Suite", "version": "3"},
                  ingredients=[({"title": "dalle_output.jpg", "relationship": "parentOf", "label": "p"},
                                "image/jpeg", generated)])
    # A chat app re-saves the grade: its own manifest names only the grade as its parent.
    resaved = sign(jpeg(tmp_path / "chat.jpg", picture().rotate(90)), "image/jpeg", tmp_path / "IMG_0042.jpg",
                   actions({"action": "c2pa.opened", "parameters": {"ingredientIds": ["g"]}}),
                   generator={"name": "Chat Share", "version": "2"},
                   ingredients=[({"title": "grade_v002.jpg", "relationship": "parentOf", "label": "g"},
                                 "image/jpeg", edited)])

    insp = read(resaved, tools)

    assert insp.verdict == "ai-composite", insp.reason
    assert insp.generator == "OpenAI DALL-E"
    assert insp.generator_source == "C2PA ingredient 'grade_v002.jpg': C2PA ingredient 'dalle_output.jpg': " \
                                    "C2PA action softwareAgent"
    assert "ingredient 'grade_v002.jpg'" in insp.reason and "trainedAlgorithmicMedia" in insp.reason


def test_a_video_with_a_generated_still_placed_in_it_is_a_composite(tmp_path, tools):
    still = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "title_card.jpg",
                 actions({"action": "c2pa.created", "digitalSourceType": TRAINED,
                          "softwareAgent": {"name": "Adobe Firefly", "version": "3"}}))
    clip = tmp_path / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x36:rate=4", "-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           str(clip))
    path = sign(clip, "video/mp4", tmp_path / "promo_v01.mp4",
                actions({"action": "c2pa.created", "digitalSourceType": IPTC_DST + "digitalCapture"},
                        {"action": "c2pa.placed", "parameters": {"ingredientIds": ["card"]}}),
                generator={"name": "Cut Room", "version": "5"},
                ingredients=[({"title": "title_card.jpg", "relationship": "componentOf", "label": "card"},
                              "image/jpeg", still)])

    insp = read(path, tools)

    assert insp.verdict == "ai-composite"
    assert insp.generator == "Adobe Firefly"
    assert any(e.field == "ingredient 'title_card.jpg'" and e.weight >= 0.5 for e in insp.evidence)


def test_an_ingredient_that_carries_its_own_source_type_makes_a_composite(tmp_path, tools):
    plain = jpeg(tmp_path / "generated_sky.jpg")  # no manifest of its own: only its ingredient record says so
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "comp.jpg",
                actions({"action": "c2pa.opened", "parameters": {"ingredientIds": ["plate"]}},
                        {"action": "c2pa.placed", "parameters": {"ingredientIds": ["sky"]}}),
                generator={"name": "Comp Tool", "version": "1"},
                ingredients=[({"title": "plate.jpg", "relationship": "parentOf", "label": "plate"}, "image/jpeg",
                              jpeg(tmp_path / "plate.jpg")),
                             ({"title": "generated_sky.jpg", "relationship": "componentOf", "label": "sky",
                               "metadata": {"digitalSourceType": TRAINED}}, "image/jpeg", plain)])

    insp = read(path, tools)

    assert insp.verdict == "ai-composite"
    sky = next(i for i in insp.c2pa.ingredients if i.title == "generated_sky.jpg")
    assert sky.digital_source_type == TRAINED


def test_the_c2pa_ai_disclosure_assertion_declares_ai_and_names_the_model(tmp_path, tools):
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "disclosed.jpg",
                actions({"action": "c2pa.created", "digitalSourceType": IPTC_DST + "digitalCreation"})
                + [{"label": "c2pa.ai-disclosure",
                    "data": {"modelType": "generative_model", "modelName": "Imagen 4",
                             "contentProfile": {"humanOversightLevel": "prompt_guided"}}}])

    insp = read(path, tools)

    assert insp.verdict == "ai", insp.reason
    assert insp.generator == "Google Imagen"
    assert insp.generator_source == "C2PA AI disclosure modelName"
    assert "humanOversightLevel=prompt_guided" in insp.reason


# --- EXIF: ComfyUI and diffusers ------------------------------------------------------------

COMFY_PROMPT = {"3": {"class_type": "KSampler", "inputs": {"seed": 8, "steps": 20, "cfg": 7.0, "model": ["4", 0]}},
                "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
                "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "ComfyUI"}}}
COMFY_WORKFLOW = {"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler", "widgets_values": [8, "fixed", 20]}],
                  "links": [[1, 4, 0, 3, 0, "MODEL"]], "version": 0.4}


def test_a_comfyui_jpeg_with_its_graphs_in_exif_as_its_savers_write_them_is_ai(tmp_path, tools):
    # ComfyUI's savers: Model = "prompt:{...}", then each extra key counting down from Make:
    # Make, ImageDescription, DocumentName. Here the workflow is the third extra key.
    exif = Image.Exif()
    exif[0x0110] = "prompt:" + json.dumps(COMFY_PROMPT)
    exif[0x010F] = "workspace_info:" + json.dumps({"id": "a1b2"})
    exif[0x010E] = "node_versions:" + json.dumps({"comfy-core": "0.3.40"})
    exif[0x010D] = "workflow:" + json.dumps(COMFY_WORKFLOW)
    path = jpeg(tmp_path / "ComfyUI_00017_.jpg", exif=exif.tobytes())

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "ComfyUI"
    assert {e.field for e in insp.evidence if e.weight == 1.0} == {"EXIF:Model", "EXIF:DocumentName"}


def test_a_comfyui_webp_whose_graphs_are_plain_json_in_user_comment_is_ai(tmp_path, tools):
    path = tmp_path / "render.webp"
    picture().save(path, "WEBP")
    exiftool(path, "-EXIF:UserComment=" + json.dumps({"prompt": COMFY_PROMPT, "workflow": COMFY_WORKFLOW}))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "ComfyUI"


def test_diffusers_parameter_json_in_exif_is_ai_and_names_the_model(tmp_path, tools):
    params = {"prompt": "a foggy harbour at dawn, 35mm", "negative_prompt": "blurry", "guidance_scale": 0.0,
              "num_inference_steps": 4, "seed": 1234, "width": 1024, "height": 768,
              "model": "black-forest-labs/FLUX.1-schnell"}
    path = jpeg(tmp_path / "harbour.jpg")
    exiftool(path, "-EXIF:ImageDescription=" + json.dumps(params))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "FLUX"
    assert insp.generator_source == "exif EXIF:ImageDescription"


# --- IPTC and XMP captions -------------------------------------------------------------------


def test_a_midjourney_prompt_with_its_job_id_in_the_iptc_caption_is_ai(tmp_path, tools):
    caption = f"lighthouse keeper at dusk, oil painting --ar 16:9 --v 6.1 --stylize 250 {MJ_JOB}"
    path = jpeg(tmp_path / "keeper.jpg")
    exiftool(path, "-IPTC:Caption-Abstract=" + caption)

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Midjourney"
    assert insp.generator_source == "iptc-iim IPTC:Caption-Abstract"


def test_midjourney_parameters_in_an_xmp_description_without_a_job_id_are_ai(tmp_path, tools):
    path = tmp_path / "poster.png"
    picture().save(path, "PNG")
    exiftool(path, "-XMP-dc:Description=a neon koi in rain --ar 2:3 --niji 6 --style raw")

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Midjourney"


def test_the_iptc_ai_system_used_field_declares_ai(tmp_path, tools):
    # IPTC Photo Metadata 2025.1's AI fields; exiftool 12 has no name for them yet, so the XMP is
    # written as the standard lays it out and embedded by Pillow.
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
           '<Iptc4xmpExt:AISystemUsed>Adobe Firefly Image 4</Iptc4xmpExt:AISystemUsed>'
           '<Iptc4xmpExt:AIPromptInformation>a paper boat on a stormy sea</Iptc4xmpExt:AIPromptInformation>'
           '</rdf:Description></rdf:RDF></x:xmpmeta>')
    path = jpeg(tmp_path / "boat.jpg", xmp=xmp.encode())

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Adobe Firefly"
    assert insp.generator_source == "xmp Iptc4xmpExt:AISystemUsed"


# --- music and voice -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tone_mp3(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("audio") / "tone.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.4", "-c:a", "libmp3lame", "-b:a", "32k",
           "-metadata", "title=Night Harbour (temp)", str(path))
    return path.read_bytes()


def tagged(tmp_path: Path, tone_mp3: bytes, name: str, *frames) -> Path:
    path = tmp_path / name
    path.write_bytes(tone_mp3)
    tags = ID3(path)
    for frame in frames:
        tags.add(frame)
    tags.save(v2_version=3)
    return path


@pytest.mark.parametrize("frames,generator", [
    ([WOAS(url="https://suno.com/song/7f0c2a9e-5b1d-4c3e-8a2f-9d6b4e1c0a7f")], "Suno"),
    ([WXXX(encoding=3, desc="", url="https://www.udio.com/songs/qX8v2LmN4pRt")], "Udio"),
    ([TXXX(encoding=3, desc="generator", text="ElevenLabs Eleven Music")], "ElevenLabs"),
    ([COMM(encoding=3, lang="eng", desc="", text="https://suno.com/song/0d2e6b1a-93c4-4f7e-b5a8-1c9e2f3d4a5b")],
     "Suno"),
], ids=["WOAS-source-url", "WXXX-url", "TXXX-named", "COMM-url"])
def test_an_mp3_whose_id3_frames_name_a_music_generator_is_ai(tmp_path, tools, tone_mp3, frames, generator):
    path = tagged(tmp_path, tone_mp3, "cue_3m2.mp3", *frames)

    insp = read(path, tools)

    assert insp.verdict == "ai", insp.reason
    assert insp.generator == generator and insp.generator_source.startswith("exiftool ID3v2_3:")


def test_every_user_defined_id3_frame_is_read_not_only_the_last(tmp_path, tools, tone_mp3):
    path = tagged(tmp_path, tone_mp3, "stem.mp3", TXXX(encoding=3, desc="generator", text="Suno v4.5"),
                  TXXX(encoding=3, desc="mood", text="calm"), TXXX(encoding=3, desc="bpm_source", text="tapped"))

    insp = read(path, tools)

    assert insp.verdict == "ai" and insp.generator == "Suno"
    assert insp.generator_source == "exiftool ID3v2_3:UserDefinedText:generator"


def test_c2pa_in_mp3_and_wav_declares_an_ai_voice_even_inside_a_mix(tmp_path, tools):
    # A voice API signs its line with no source type (a version 1 claim) and names only its model.
    line_src = tmp_path / "line_src.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=0.4", "-c:a", "libmp3lame", "-b:a", "32k", str(line_src))
    line = sign(line_src, "audio/mpeg", tmp_path / "adr_line_12.mp3",
                actions({"action": "c2pa.created", "softwareAgent": {"name": "eleven_multilingual_v2"},
                         "description": "AI-generated speech"}),
                generator={"name": "Voice API", "version": "1"}, claim_version=1)
    mix_src = tmp_path / "mix_src.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=110:duration=0.4", str(mix_src))
    mix = sign(mix_src, "audio/wav", tmp_path / "dialogue_mix.wav",
               actions({"action": "c2pa.created", "digitalSourceType": CAPTURE},
                       {"action": "c2pa.placed", "parameters": {"ingredientIds": ["line"]}}),
               generator={"name": "Mix Stage", "version": "7"},
               ingredients=[({"title": "adr_line_12.mp3", "relationship": "componentOf", "label": "line"},
                             "audio/mpeg", line)])

    voice, mixed = read(line, tools), read(mix, tools)

    assert voice.c2pa.integrity == mixed.c2pa.integrity == "intact"
    assert (voice.verdict, voice.generator) == ("ai", "eleven_multilingual_v2")
    assert (mixed.verdict, mixed.generator) == ("ai-composite", "eleven_multilingual_v2")
    assert voice.generator_source == "C2PA action softwareAgent"
    assert any("contradictory" in w and "digitalCapture" in w for w in mixed.warnings)


# --- not-ai only on evidence ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["digitalCapture", "negativeFilm", "print", "screenCapture"])
def test_a_declared_capture_or_scan_is_not_ai(tmp_path, tools, code):
    path = jpeg(tmp_path / "scan.jpg")
    exiftool(path, f"-XMP-iptcExt:DigitalSourceType={IPTC_DST}{code}", "-EXIF:Make=Nikon")

    insp = read(path, tools)

    assert any(e.implies == "not-ai" and e.weight > 0 for e in insp.evidence)  # it rests on the declaration
    assert insp.verdict == "not-ai" and "declares a non-generative origin" in insp.reason


def test_camera_tags_alone_declare_nothing_either_way(tmp_path, tools):
    path = jpeg(tmp_path / "DSC_0042.jpg")
    exiftool(path, "-EXIF:Make=NIKON CORPORATION", "-EXIF:Model=NIKON Z 8", "-EXIF:Software=Ver.01.00")

    insp = read(path, tools)

    assert insp.verdict == "no-ai-declared" and insp.generator is None


def test_a_camera_makers_c2pa_capture_without_a_source_type_is_not_ai(tmp_path, tools):
    path = sign(jpeg(tmp_path / "src.jpg"), "image/jpeg", tmp_path / "L1000123.jpg",
                actions({"action": "c2pa.created", "softwareAgent": "Leica M11-P"}),
                generator={"name": "Leica Camera AG", "version": "2.0"}, claim_version=1)

    insp = read(path, tools)

    assert insp.verdict == "not-ai", insp.reason
    assert "Leica" in insp.reason


def test_a_prompt_shaped_caption_is_a_weak_hint_not_a_verdict(tmp_path, tools):
    path = jpeg(tmp_path / "concept.jpg")
    exiftool(path, "-EXIF:ImageDescription=masterpiece, best quality, ultra detailed, (rain:1.2), neon street, 8k")

    insp = read(path, tools)

    assert insp.verdict == "no-ai-declared" and insp.generator is None
    hint = [e for e in insp.evidence if e.implies == "ai"]
    assert len(hint) == 1 and 0 < hint[0].weight < 0.5 and "generation prompt" in hint[0].value
    assert "weak hint" in insp.reason


def test_a_prompt_shaped_caption_in_finals_is_a_warning_and_a_runway_caption_is_not(tmp_path):
    delivery = tmp_path / "DELIVERY"
    delivery.mkdir()
    exiftool(jpeg(delivery / "concept.jpg"), "-EXIF:ImageDescription=portrait, (freckles:1.3), <lora:filmgrain:0.7>, soft light")
    exiftool(jpeg(delivery / "a380.jpg"), "-EXIF:ImageDescription=A380 on the runway at dusk, Heathrow")
    with Ledger(tmp_path / "l.db") as ledger:
        result = scan([delivery], Config(root=delivery, production="t", default_zone="finals"), ledger)

    found = {Path(c.inspection.path).name: [(f.rule, f.severity) for f in c.findings] for c in result.files}
    assert found == {"concept.jpg": [("prompt-hint-in-finals", "warning")], "a380.jpg": []}
    assert result.exit_code == 0  # a hint asks someone to look; it does not stop a delivery


# --- verdicts recorded under older rules -------------------------------------------------------


def delivery_of_three(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    camera = jpeg(root / "A001_still.jpg")
    exiftool(camera, "-EXIF:Make=ARRI", "-EXIF:Model=ALEXA 35")
    plain = root / "plate.png"
    picture().save(plain, "PNG")
    ai = tagged(root, subprocess.run(FFMPEG + ["-f", "lavfi", "-i", "sine=duration=0.3", "-c:a", "libmp3lame",
                                              "-f", "mp3", "-"], capture_output=True, check=True).stdout,
                "temp_score.mp3", WOAS(url="https://suno.com/song/7f0c2a9e-5b1d-4c3e-8a2f-9d6b4e1c0a7f"))
    return {"camera": camera, "plain": plain, "ai": ai}


def test_a_rescan_reads_again_only_the_files_judged_under_older_rules_and_says_so(tmp_path, ledger_target):
    files = delivery_of_three(tmp_path / "DELIVERY")
    config = Config(root=tmp_path / "DELIVERY", production="t", default_zone="working")
    with Ledger(ledger_target) as ledger:
        first = scan([tmp_path / "DELIVERY"], config, ledger)
        assert (first.read, first.older_rules) == (3, 0)
        cids = {k: c.inspection.content_id for c in first.files for k, p in files.items()
                if Path(c.inspection.path) == p}
        # What an older aiprov recorded: the camera still as not-ai, the Suno song as not-ai.
        for key in ("camera", "ai"):
            with ledger.transaction():
                ledger._q("UPDATE assets SET verdict = 'not-ai', generator = NULL, rules = ? WHERE content_id = ?",
                          [RULES_VERSION - 1, cids[key]])

        again = scan([tmp_path / "DELIVERY"], config, ledger)

        assert (again.read, again.older_rules, again.quiet) == (2, 2, 1)
        assert again.summary()["older_rules"] == 2
        verdicts = {Path(c.inspection.path).name: c.inspection.verdict for c in again.files}
        assert verdicts == {"A001_still.jpg": "no-ai-declared", "temp_score.mp3": "ai"}
        assert ledger.assets.get(cids["ai"])["rules"] == RULES_VERSION
        assert ledger.assets.get(cids["ai"])["generator_source"] == "exiftool ID3v2_3:SourceURL"
        third = scan([tmp_path / "DELIVERY"], config, ledger)
        assert (third.read, third.older_rules) == (0, 0)


def test_lookup_reads_a_file_judged_under_older_rules_instead_of_repeating_the_old_verdict(tmp_path, ledger_target):
    files = delivery_of_three(tmp_path / "DELIVERY")
    config = Config(root=tmp_path / "DELIVERY", production="t", default_zone="finals")
    with Ledger(ledger_target) as ledger:
        scan([tmp_path / "DELIVERY"], config, ledger)
        with ledger.transaction():
            ledger._q("UPDATE assets SET verdict = 'not-ai', generator = NULL, rules = NULL")
        with Checker(config, ledger) as checker:
            looked = {Path(c.inspection.path).name: (c.inspection.verdict, c.reused)
                      for c in checker.look([files["ai"], files["camera"]])}

    assert looked == {"temp_score.mp3": ("ai", False), "A001_still.jpg": ("no-ai-declared", False)}


def test_a_ledger_from_before_rules_were_recorded_is_upgraded_and_its_files_read_again(tmp_path):
    delivery_of_three(tmp_path / "DELIVERY")
    config = Config(root=tmp_path / "DELIVERY", production="t", default_zone="working")
    target = tmp_path / "old.db"
    with Ledger(target) as ledger:
        scan([tmp_path / "DELIVERY"], config, ledger)
        rows = {t: ledger._rows(f"SELECT * FROM {t}") for t in ("assets", "locations")}
    # The same ledger as the schema before RULES_8 holds it: rebuilt from the older migrations.
    before = schema.SQLITE.index(schema.RULES_8)
    old = tmp_path / "older.db"
    with Ledger(old, check=False) as ledger:
        with ledger.transaction():
            for migration in schema.SQLITE[:before]:
                schema.apply(ledger.backend, migration, ledger.host)
            ledger.backend.set_schema_version(before)
            for table, table_rows in rows.items():
                for row in table_rows:
                    row = {k: v for k, v in row.items() if k not in ("rules", "generator_source")}
                    ledger._q(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                              list(row.values()))

    with Ledger(old) as ledger:
        assert ledger.schema_version == len(schema.SQLITE)
        assert len(ledger.assets.judged_under_older_rules()) == 3
        again = scan([tmp_path / "DELIVERY"], config, ledger)

    assert (again.read, again.older_rules, again.reused) == (3, 3, 0)
