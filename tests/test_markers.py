"""What metadata values mean: IPTC source types, generators' own parameter formats, tool names.

The values here are the ones generators and editing tools really write
(A1111 infotext, ComfyUI graphs, InvokeAI and NovelAI JSON, camera and editor
Software strings), so each test says how aiprov reads a value a user will
meet in a real file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiprov.classify import DECIDING_WEIGHT
from aiprov.markers import (
    IPTC_DST,
    SIGNED,
    TRUSTED_SIGNER,
    VOID,
    dst_evidence,
    generator_named_in,
    normalise_digital_source_type,
    text_evidence,
)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"

TRAINED = IPTC_DST + "trainedAlgorithmicMedia"


def only(evidence):
    assert len(evidence) == 1, evidence
    return evidence[0]


def decides_ai(evidence) -> bool:
    return any(e.implies in ("ai", "ai-composite") and e.weight >= DECIDING_WEIGHT for e in evidence)


# --- IPTC Digital Source Type -------------------------------------------------


@pytest.mark.parametrize("value", [
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    " http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia\n",
    "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia/",
    "trainedAlgorithmicMedia",
    "http://c2pa.org/digitalsourcetype/trainedAlgorithmicMedia",
    "https://ns.example-vendor.com/provenance/1.0#trainedAlgorithmicMedia",
    "iptc:trainedAlgorithmicMedia",
    "TRAINEDALGORITHMICMEDIA",
    "http://cv.iptc.org/newscodes/digitalsourcetype/TrainedAlgorithmicMedia",
], ids=["iptc-uri", "leading-space", "trailing-newline", "https-trailing-slash", "bare-code", "c2pa-namespace",
        "vendor-fragment", "prefixed", "upper-case", "capitalised"])
def test_every_spelling_of_trained_algorithmic_media_normalises_to_the_iptc_code(value):
    assert normalise_digital_source_type(value) == TRAINED


def test_composite_and_capture_codes_keep_their_own_meaning():
    assert normalise_digital_source_type("compositeWithTrainedAlgorithmicMedia") == \
        IPTC_DST + "compositeWithTrainedAlgorithmicMedia"
    assert normalise_digital_source_type("https://ns.adobe.com/dst#digitalCapture") == IPTC_DST + "digitalCapture"


@pytest.mark.parametrize("value", ["", "http://cv.iptc.org/newscodes/digitalsourcetype/", "somethingElse",
                                   "a photo of a cat"])
def test_values_that_are_no_source_type_are_not_normalised(value):
    assert normalise_digital_source_type(value) is None


def test_algorithmic_media_is_procedural_not_generative_ai():
    ev = dst_evidence("xmp", "Iptc4xmpExt:DigitalSourceType", IPTC_DST + "algorithmicMedia", standing=TRUSTED_SIGNER)
    assert ev.implies not in ("ai", "ai-composite")
    assert ev.digital_source_type == IPTC_DST + "algorithmicMedia"


def test_a_trained_declaration_counts_whoever_made_it():
    ev = dst_evidence("xmp", "Iptc4xmpExt:DigitalSourceType", TRAINED, standing=VOID)
    assert (ev.implies, ev.weight) == ("ai", 1.0)
    composite = dst_evidence("xmp", "f", "compositeWithTrainedAlgorithmicMedia", standing=VOID)
    assert (composite.implies, composite.weight) == ("ai-composite", 1.0)


def test_a_not_ai_declaration_weighs_as_much_as_who_declared_it():
    unsigned = dst_evidence("xmp", "f", "digitalCapture")
    signed = dst_evidence("c2pa", "f", "digitalCapture", standing=SIGNED)
    trusted = dst_evidence("c2pa", "f", "digitalCapture", standing=TRUSTED_SIGNER)
    forged = dst_evidence("c2pa", "f", "digitalCapture", standing=VOID)
    assert {e.implies for e in (unsigned, signed, trusted)} == {"not-ai"}
    assert 0 < unsigned.weight < signed.weight < trusted.weight
    assert forged.weight == 0.0 and forged.implies is None


def test_composite_synthetic_says_nothing_either_way():
    ev = dst_evidence("xmp", "f", "compositeSynthetic")
    assert ev.implies is None and ev.weight == 0.0


# --- generators' own parameter formats -------------------------------------------

A1111 = ("cinematic wide shot of a lighthouse, volumetric fog\n"
         "Negative prompt: blurry, lowres, watermark\n"
         "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, "
         "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.7.0")
FORGE = ("portrait of an astronaut, studio light\n"
         "Steps: 25, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5, Seed: 42, Size: 896x1152, "
         "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: f2.0.1v1.10.1-previous-313-g8a042934")

COMFY_PROMPT = {
    "3": {"inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8.0, "sampler_name": "euler",
                     "scheduler": "normal", "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
                     "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler"},
    "4": {"inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}, "class_type": "CheckpointLoaderSimple"},
    "6": {"inputs": {"text": "flooded cathedral, morning light", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
    "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage"},
}
COMFY_WORKFLOW = {
    "last_node_id": 9, "last_link_id": 9,
    "nodes": [{"id": 3, "type": "KSampler", "pos": [863, 186], "size": [315, 262], "flags": {}, "order": 4,
               "mode": 0, "inputs": [{"name": "model", "type": "MODEL", "link": 1}],
               "outputs": [{"name": "LATENT", "type": "LATENT", "links": [7], "slot_index": 0}],
               "properties": {"Node name for S&R": "KSampler"},
               "widgets_values": [156680208700286, "fixed", 20, 8, "euler", "normal", 1]}],
    "links": [[1, 4, 0, 3, 0, "MODEL"]], "groups": [], "config": {}, "extra": {}, "version": 0.4,
}


@pytest.mark.parametrize("field", ["tEXt:parameters", "EXIF:UserComment", "iTXt:parameters"])
def test_automatic1111_infotext_is_recognised_in_any_field_it_is_written_to(field):
    ev = only(text_evidence("png-text", field, A1111))
    assert (ev.implies, ev.weight, ev.generator) == ("ai", 1.0, "AUTOMATIC1111")


def test_forge_build_is_told_apart_from_automatic1111_by_its_version_string():
    ev = only(text_evidence("png-text", "tEXt:parameters", FORGE))
    assert ev.generator == "Stable Diffusion WebUI Forge" and ev.weight == 1.0


def test_comfyui_prompt_graph_is_recognised():
    ev = only(text_evidence("png-text", "tEXt:prompt", json.dumps(COMFY_PROMPT)))
    assert (ev.generator, ev.weight) == ("ComfyUI", 1.0)
    assert "prompt graph" in ev.value


def test_comfyui_workflow_in_an_exif_field_as_its_webp_saver_writes_it():
    # ComfyUI's WebP saver: Make (0x010F) = "workflow:{...}", Model (0x0110) = "prompt:{...}".
    workflow = only(text_evidence("exif", "EXIF:Make", "workflow:" + json.dumps(COMFY_WORKFLOW)))
    prompt = only(text_evidence("exif", "EXIF:Model", "prompt:" + json.dumps(COMFY_PROMPT)))
    assert (workflow.generator, workflow.weight) == ("ComfyUI", 1.0)
    assert (prompt.generator, prompt.weight) == ("ComfyUI", 1.0)


def test_a_comfyui_graph_that_does_not_parse_is_still_comfyui():
    cut = json.dumps(COMFY_PROMPT)[:300]  # a chunk cut short by a broken save
    ev = only(text_evidence("png-text", "tEXt:prompt", cut))
    assert (ev.generator, ev.weight, ev.implies) == ("ComfyUI", 1.0, "ai")
    assert "did not parse" in ev.value


def test_a_plain_text_prompt_field_alone_is_not_taken_for_comfyui():
    assert not decides_ai(text_evidence("png-text", "tEXt:prompt", "grandma's birthday, living room"))


def test_invokeai_sd_metadata_and_invokeai_metadata_are_recognised():
    sd_metadata = json.dumps({"model": "stable diffusion", "model_weights": "stable-diffusion-1.5",
                              "model_hash": "cc6cb27103", "app_id": "invoke-ai/InvokeAI", "app_version": "2.3.5",
                              "image": {"prompt": [{"prompt": "a castle", "weight": 1.0}], "steps": 50,
                                        "cfg_scale": 7.5, "seed": 3005638434, "width": 512, "height": 512,
                                        "type": "txt2img", "sampler": "k_lms"}})
    v3 = json.dumps({"generation_mode": "txt2img", "positive_prompt": "a castle", "negative_prompt": "",
                     "width": 512, "height": 512, "seed": 1, "steps": 30, "cfg_scale": 7.5,
                     "model": {"name": "stable-diffusion-v1-5", "base": "sd-1", "type": "main"}})
    old = only(text_evidence("png-text", "tEXt:sd-metadata", sd_metadata))
    new = only(text_evidence("png-text", "tEXt:invokeai_metadata", v3))
    dream = only(text_evidence("png-text", "tEXt:Dream", '"a castle" -s 50 -S 3005638434 -W 512 -H 512 -C 7.5 -A k_lms'))
    assert old.generator == new.generator == dream.generator == "InvokeAI"
    assert "invoke-ai/InvokeAI" in old.value
    assert min(old.weight, new.weight, dream.weight) == 1.0


def test_novelai_comment_json_is_recognised():
    comment = json.dumps({"prompt": "1girl, cherry blossoms", "steps": 28, "height": 1216, "width": 832,
                          "scale": 5.0, "uncond_scale": 0.0, "cfg_rescale": 0.0, "seed": 1937208512,
                          "n_samples": 1, "noise_schedule": "native", "sampler": "k_euler_ancestral",
                          "uc": "lowres, bad anatomy", "request_type": "PromptGenerateRequest"})
    ev = only(text_evidence("png-text", "tEXt:Comment", comment))
    assert (ev.generator, ev.weight) == ("NovelAI", 1.0)


def test_an_ordinary_json_comment_is_not_novelai():
    comment = json.dumps({"shot": "A001C003", "steps": "dolly in", "take": 4})
    assert not decides_ai(text_evidence("png-text", "tEXt:Comment", comment))


def test_fooocus_scheme_and_fooocus_json_parameters_are_recognised():
    scheme = only(text_evidence("png-text", "tEXt:fooocus_scheme", "fooocus"))
    params = only(text_evidence("png-text", "tEXt:parameters", json.dumps({
        "prompt": "a red fox in snow", "negative_prompt": "", "styles": "['Fooocus V2', 'Fooocus Enhance']",
        "performance": "Speed", "resolution": "(1152, 896)", "guidance_scale": 4, "sharpness": 2,
        "base_model": "juggernautXL_v8Rundiffusion", "refiner_model": "None", "sampler": "dpmpp_2m_sde_gpu",
        "scheduler": "karras", "seed": "12345", "version": "Fooocus v2.5.5"})))
    assert scheme.generator == params.generator == "Fooocus"
    assert scheme.weight == params.weight == 1.0


def test_swarmui_image_params_are_recognised():
    value = json.dumps({"sui_image_params": {"prompt": "a lighthouse", "model": "OfficialStableDiffusion/sd_xl_base_1.0",
                                             "seed": 1, "steps": 20, "cfgscale": 7, "width": 1024, "height": 1024,
                                             "swarm_version": "0.9.4.0"},
                        "sui_extra_data": {"date": "2024-06-01", "generation_time": "3.1 s"}})
    ev = only(text_evidence("png-text", "tEXt:parameters", value))
    assert (ev.generator, ev.weight) == ("SwarmUI", 1.0)


def test_midjourney_job_description_is_recognised():
    ev = only(text_evidence("xmp", "dc:description", "a lighthouse at dusk --ar 16:9 --v 6.0 Job ID: "
                                                     "0f1c6b0e-3b4a-4c1e-9d7a-1b2c3d4e5f60"))
    assert (ev.generator, ev.weight) == ("Midjourney", 1.0)


# --- tool names ------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [
    ("EXIF:Software", "Capture One 23"),
    ("EXIF:Software", "Adobe Photoshop 25.0 (Macintosh)"),
    ("xmp:CreatorTool", "Adobe Lightroom Classic 13.2 (Windows)"),
    ("EXIF:Software", "DaVinci Resolve Studio 19"),
    ("format:encoder", "Lavf60.3.100"),
    ("EXIF:Make", "Canon"),
    ("EXIF:Model", "Canon EOS R5"),
])
def test_camera_and_editing_software_is_shown_but_is_not_ai(field, value):
    ev = only(text_evidence("exif", field, value))
    assert ev.implies is None and ev.weight == 0.0 and ev.value == value


@pytest.mark.parametrize("field,value,generator", [
    ("EXIF:Software", "Midjourney", "Midjourney"),
    ("ID3v2_4:EncodedBy", "Suno", "Suno"),
    ("RIFF-INFO:Software", "ElevenLabs", "ElevenLabs"),
    ("xmp:CreatorTool", "Adobe Firefly 3", "Adobe Firefly"),
    ("c2pa claim_generator", "DALL·E 3", "OpenAI DALL-E"),
])
def test_a_generator_named_in_a_tool_field_decides_ai(field, value, generator):
    ev = only(text_evidence("exif", field, value))
    assert ev.implies == "ai" and ev.weight >= DECIDING_WEIGHT and ev.generator == generator


def test_photoshop_generative_fill_is_a_composite_not_a_whole_ai_image():
    ev = only(text_evidence("xmp", "xmp:CreatorTool", "Adobe Photoshop 26.0 (Generative Fill)"))
    assert ev.implies == "ai-composite" and ev.weight >= DECIDING_WEIGHT


@pytest.mark.parametrize("value,generator", [
    ("Generated with Runway Gen-3 Alpha", "Runway"),
    ("Made with Suno v4", "Suno"),
    ("Generated with OpenAI's Sora", "OpenAI Sora"),
    ("Runway at dusk. Generated with Runway Gen-3", "Runway"),
    ("AI-generated temp plate from Runway", "Runway"),
])
def test_a_comment_saying_a_generator_made_the_file_decides_ai(value, generator):
    ev = only(text_evidence("ffprobe", "format:comment", value))
    assert ev.generator == generator and ev.implies == "ai" and ev.weight >= DECIDING_WEIGHT


@pytest.mark.parametrize("value", [
    "Aircraft taxiing on the runway at dusk, Heathrow",
    "Runway show, Paris Fashion Week, backstage",
    "Boeing 747 on the runway at JFK, made with a Sony FX3",
    "Foggy runway lights, generated by the airport's backup power",
])
def test_an_airport_runway_in_a_description_does_not_make_a_file_ai(value):
    evidence = text_evidence("xmp", "dc:description", value)
    assert all(e.weight < DECIDING_WEIGHT for e in evidence)
    assert not decides_ai(evidence)


def test_a_photographer_named_like_a_generator_in_dc_creator_is_not_a_tool():
    # exiftool reports the XMP author as XMP-dc:Creator: a person, not the software.
    evidence = text_evidence("exiftool", "XMP-dc:Creator", "Sora Nakamura")
    assert not decides_ai(evidence)


def test_a_dpx_creator_field_names_the_software_and_does_decide():
    ev = only(text_evidence("dpx-header", "DPX:Creator", "Runway Gen-3 Alpha"))
    assert ev.generator == "Runway" and ev.weight >= DECIDING_WEIGHT


def test_generator_names_are_matched_as_words_not_inside_other_words():
    assert generator_named_in("Sorauta Films") is None
    assert generator_named_in("Suno v4") == "Suno"
    assert generator_named_in("stable diffusion web ui") == "AUTOMATIC1111"


def test_json_nested_past_any_real_graph_is_read_without_crashing_the_reader():
    value = '{"prompt": ' * 900 + '{}' + '}' * 900  # a hostile comment, just inside what Python's parser reads
    nested = json.dumps({"prompt": {"prompt": {"prompt": {"3": {"class_type": "KSampler"}}}}})
    assert not decides_ai(text_evidence("ffprobe", "format:comment", value))
    assert not decides_ai(text_evidence("ffprobe", "format:comment", nested))  # a graph is one level down at most
