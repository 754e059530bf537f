"""aiprov's own sample media: every kind of marker it promises to read."""

from __future__ import annotations

import json

import jsonschema
import pytest

from aiprov.pipeline import inspect_paths

from .conftest import REPO, SAMPLES

EXPECTED = {
    "stills/ai_c2pa_generated.jpg": ("ai", "Adobe Firefly"),
    "stills/ai_c2pa_composite.png": ("ai-composite", None),
    "stills/ai_iptc_xmp.jpg": ("ai", "Midjourney"),
    "stills/ai_composite_iptc.tif": ("ai-composite", None),
    "stills/a1111_parameters.png": ("ai", "AUTOMATIC1111"),
    "stills/a1111_usercomment.jpg": ("ai", "AUTOMATIC1111"),
    "stills/comfyui_workflow.png": ("ai", "ComfyUI"),
    "stills/stealth_a1111.png": ("ai", "AUTOMATIC1111"),
    "stills/camera_original.jpg": ("not-ai", None),
    "stills/photo_no_metadata.png": ("unknown", None),
    "video/ai_c2pa_generated.mp4": ("ai", "OpenAI Sora"),
    "video/ai_temp_shot_prores.mov": ("ai", "Runway"),
    "video/camera_clip.mov": ("no-ai-declared", None),  # camera tags, no declared capture
    "exr/ai_plate.exr": ("ai", "ComfyUI"),
    "exr/camera_plate.exr": ("no-ai-declared", None),
    "audio/ai_voice.wav": ("ai", "ElevenLabs"),
    "audio/ai_music.mp3": ("ai", "Suno"),
    "audio/ai_c2pa_voice.wav": ("ai", "ElevenLabs"),
    "broken/zero_bytes.png": ("unreadable", None),
    "broken/truncated_header.jpg": ("unreadable", None),
    "broken/random_bytes.mov": ("unreadable", None),
    "broken/huge_chunk.png": ("unreadable", None),
    # Still says it is AI in its intact XMP: a cut-off copy of an AI still is still AI.
    "broken/truncated.jpg": ("ai", "Midjourney"),
    # A JPEG named .png is read as the JPEG it is.
    "broken/wrong_extension.png": ("ai", "Midjourney"),
}


@pytest.fixture(scope="module")
def results():
    found = list(inspect_paths([str(SAMPLES)], workers=2))
    return {r.path[len(str(SAMPLES)) + 1:]: r for r in found}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_verdict_and_generator(results, name):
    verdict, generator = EXPECTED[name]
    insp = results[name]
    assert insp.verdict == verdict, (insp.reason, insp.evidence)
    if generator:
        assert insp.generator == generator


def test_unreadable_samples_say_why(results):
    reasons = {n: results[n].error for n, (v, _) in EXPECTED.items() if v == "unreadable"}
    assert "empty" in reasons["broken/zero_bytes.png"]
    assert "4294967280" in reasons["broken/huge_chunk.png"]
    assert "truncated" in reasons["broken/truncated_header.jpg"]
    assert all(reasons.values())


def test_truncated_ai_still_keeps_a_warning(results):
    assert any("truncated" in w for w in results["broken/truncated.jpg"].warnings)


def test_c2pa_signed_samples_are_intact_but_untrusted(results):
    for name in ("stills/ai_c2pa_generated.jpg", "video/ai_c2pa_generated.mp4", "audio/ai_c2pa_voice.wav"):
        c = results[name].c2pa
        assert (c.present, c.integrity, c.trusted) == (True, "intact", False), name


def test_inspect_json_matches_its_schema(results):
    schema = json.loads((REPO / "schemas" / "inspect.schema.json").read_text())
    jsonschema.validate([r.to_dict() for r in results.values()], schema)
