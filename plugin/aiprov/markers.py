"""What metadata values mean: IPTC source types, generator chunks, tool names.

Every reader (native walkers, XMP, C2PA, ffprobe, exiftool) hands its raw
(field, value) pairs here, so a generator's marker is recognised the same way
whichever container or tool it came through. Adding a generator is adding a
line to GENERATOR_NAMES or a function to PARAMETER_PARSERS, and a test.
"""

from __future__ import annotations

import json
import re
from typing import Callable

from .model import AI, AI_COMPOSITE, NOT_AI, Evidence

IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"

# IPTC Digital Source Type codes (NewsCodes, 2024 edition and older ones still
# found in files). Only the two "trained" codes mean generative AI;
# algorithmicMedia is procedural (a gradient, a fractal) and is not.
DST_MEANING = {
    "trainedAlgorithmicMedia": AI,
    "compositeWithTrainedAlgorithmicMedia": AI_COMPOSITE,
    "digitalCapture": NOT_AI,
    "computationalCapture": NOT_AI,
    "negativeFilm": NOT_AI,
    "positiveFilm": NOT_AI,
    "print": NOT_AI,
    "humanEdits": NOT_AI,
    "minorHumanEdits": NOT_AI,
    "compositeCapture": NOT_AI,
    "algorithmicallyEnhanced": NOT_AI,
    "digitalArt": NOT_AI,
    "digitalCreation": NOT_AI,
    "virtualRecording": NOT_AI,
    "screenCapture": NOT_AI,
    "algorithmicMedia": NOT_AI,
    "dataDrivenMedia": NOT_AI,
    "softwareImage": NOT_AI,
    "compositeSynthetic": None,  # "may or may not" contain generative AI: says nothing
}
_DST_BY_LOWER = {k.lower(): k for k in DST_MEANING}

# Tool names that are generators. Order matters: the more specific first.
GENERATOR_NAMES: list[tuple[str, str]] = [
    (r"generative (fill|expand)", "Adobe Photoshop Generative Fill"),
    (r"\bfirefly\b", "Adobe Firefly"),
    (r"\bmidjourney\b", "Midjourney"),
    (r"\bdall[\s\-·.]?e\b", "OpenAI DALL-E"),
    (r"\bsora\b", "OpenAI Sora"),
    (r"\bgpt[\s\-]?image|\bchatgpt\b|\bgpt-4o\b", "OpenAI ChatGPT"),
    (r"\bcomfy\s?ui\b", "ComfyUI"),
    (r"\bautomatic1111\b|stable diffusion web ?ui\b|\bsd-webui\b", "AUTOMATIC1111"),
    (r"\bsd\.next\b", "SD.Next"),
    (r"\bforge\b.*\bstable diffusion\b|\bstable diffusion\b.*\bforge\b", "Stable Diffusion WebUI Forge"),
    (r"\binvoke\s?ai\b|invoke-ai", "InvokeAI"),
    (r"\bnovel\s?ai\b", "NovelAI"),
    (r"\bfooocus\b", "Fooocus"),
    (r"\bswarm\s?ui\b", "SwarmUI"),
    (r"\bdraw things\b", "Draw Things"),
    (r"\bdiffusionbee\b", "DiffusionBee"),
    (r"\bstable[\s\-]?diffusion\b|\bsdxl\b|\bstable video diffusion\b", "Stable Diffusion"),
    (r"\bstability\.?ai\b", "Stability AI"),
    (r"\bflux(\.1)?[\s\-](dev|schnell|pro)\b|black forest labs", "FLUX"),
    (r"\bimagen\b", "Google Imagen"),
    (r"\bveo\s?\d?\b", "Google Veo"),
    (r"\bgemini\b.*\bimage\b|nano banana", "Google Gemini"),
    (r"\brunway(ml)?\b", "Runway"),
    (r"\bpika(\s?labs)?\b", "Pika"),
    (r"\bluma\b.*\bdream machine\b|\bdream machine\b", "Luma Dream Machine"),
    (r"\bkling\b", "Kling"),
    (r"\bhailuo\b|\bminimax\b", "MiniMax Hailuo"),
    (r"\bleonardo\.?ai\b", "Leonardo.Ai"),
    (r"\bideogram\b", "Ideogram"),
    (r"\bbing image creator\b|\bimage creator from microsoft\b", "Microsoft Image Creator"),
    (r"\bsynthesia\b", "Synthesia"),
    (r"\bheygen\b", "HeyGen"),
    (r"\beleven\s?labs\b", "ElevenLabs"),
    (r"\bsuno\b", "Suno"),
    (r"\budio\b", "Udio"),
    (r"\bresemble\.?ai\b", "Resemble AI"),
    (r"\bdescript overdub\b", "Descript Overdub"),
    (r"\btensor\.art\b", "Tensor.Art"),
]
_GENERATOR_RE = [(re.compile(p, re.IGNORECASE), name) for p, name in GENERATOR_NAMES]

# Fields whose whole job is naming the tool that wrote the file.
TOOL_FIELDS = re.compile(
    r"(^|[:.\-_ ])(software|creatortool|creator ?tool|encoder|encoded_by|encodedby|"
    r"claim_generator|softwareagent|originator|originatingprogram|creator|producer|application|generator|make)$",
    re.IGNORECASE,
)
# Fields that say who/what made the file, shown as context even when they say nothing about AI.
CONTEXT_FIELDS = re.compile(
    r"(software|creatortool|encoder|encoded_?by|encodersettings|make|model|originator|creator|credit|comment|description|"
    r"handler_name|claim_generator)$",
    re.IGNORECASE,
)
AI_PHRASE = re.compile(
    r"\b(ai[\s\-]generated|generated (with|by|using|in)|made (with|by|using|in)|created (with|by|using) ai|"
    r"generative ai|text[\s\-]to[\s\-](image|video|speech|audio))\b",
    re.IGNORECASE,
)
# Fields that hold a person's name, though their name says "creator" (XMP dc:creator is the author).
PERSON_FIELDS = re.compile(r"(^|[:.\-_ ])dc:creator$", re.IGNORECASE)
# Phrases that are about AI whatever tool they name.
AI_WORDS = re.compile(
    r"\b(ai[\s\-]generated|created (with|by|using) ai|generative ai|text[\s\-]to[\s\-](image|video|speech|audio))\b",
    re.IGNORECASE,
)
# "generated with X": the phrase has to lead to the generator's name (at most two words between,
# none of them an article or preposition) to say X made the file; "made with a Sony on the
# runway" names a camera, not Runway.
MADE_WITH = re.compile(r"\b(generated|made|created)\s+(with|by|using|in)\s+", re.IGNORECASE)
FILLER = re.compile(r"^(\S+\s+){0,2}$")
NOT_A_VENDOR = {"a", "an", "the", "on", "at", "in", "of", "from", "for", "to", "and", "my", "our", "his", "her"}

MAX_SHOWN = 240


def shorten(value: str, limit: int = MAX_SHOWN) -> str:
    value = " ".join(value.split()) if len(value) < 4 * limit else " ".join(value[: 4 * limit].split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def normalise_digital_source_type(value: str) -> str | None:
    """The IPTC code URI for a value, from a full URI, a vendor URI or a bare code.

    Files carry the code with stray spaces, in other namespaces (Adobe's,
    c2pa.org's) or as the bare term; they all mean the same IPTC code.
    """
    term = value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1].strip()
    code = _DST_BY_LOWER.get(term.lower())
    return IPTC_DST + code if code else None


def dst_evidence(source: str, field: str, value: str, *, trustworthy: bool = True) -> Evidence | None:
    """Evidence for a declared digital source type.

    A declaration of AI counts whoever made it: a file that says it is AI is
    treated as AI. A declaration of *not* AI only counts when it comes from a
    source that could not have been altered unnoticed (`trustworthy`).
    """
    uri = normalise_digital_source_type(value)
    if uri is None:
        return None
    meaning = DST_MEANING[uri.rsplit("/", 1)[-1]]
    if meaning in (AI, AI_COMPOSITE):
        return Evidence(source, field, uri, 1.0, meaning, digital_source_type=uri)
    if meaning == NOT_AI:
        return Evidence(source, field, uri, 0.6 if trustworthy else 0.0, NOT_AI if trustworthy else None,
                        digital_source_type=uri)
    return Evidence(source, field, uri, 0.0, None, digital_source_type=uri)


def generator_named_in(text: str) -> str | None:
    for rx, name in _GENERATOR_RE:
        if rx.search(text):
            return name
    return None


def _says_made_by_generator(text: str, name: str) -> bool:
    """True when the text says the named generator made the file, not merely mentions both words."""
    if AI_WORDS.search(text):
        return True
    rx = next(r for r, n in _GENERATOR_RE if n == name)
    for phrase in MADE_WITH.finditer(text):
        for gen in rx.finditer(text, phrase.end()):
            between = text[phrase.end():gen.start()]
            if FILLER.match(between) and not NOT_A_VENDOR & {w.lower() for w in between.split()}:
                return True
            break
    return False


# --- generators' own parameter formats ------------------------------------

A1111_LINE = re.compile(r"(^|\n)Steps: \d+, .*(Sampler|CFG scale|Seed): ", re.IGNORECASE)


def _json(value: str):
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _a1111(key: str, value: str) -> tuple[str, str] | None:
    if not A1111_LINE.search(value):
        return None
    if re.search(r"Version: f\d", value):
        return "Stable Diffusion WebUI Forge", "AUTOMATIC1111-style parameters (Forge build)"
    if "App: SD.Next" in value:
        return "SD.Next", "AUTOMATIC1111-style parameters (SD.Next)"
    if "Fooocus" in value:
        return "Fooocus", "A1111-style parameters written by Fooocus"
    return "AUTOMATIC1111", "AUTOMATIC1111 generation parameters"


def _comfyui(key: str, value: str) -> tuple[str, str] | None:
    k = key.lower()
    v = value.lstrip()
    # ComfyUI's WebP/JPEG savers put "prompt:{...}" / "workflow:{...}" into EXIF text fields.
    m = re.match(r"(prompt|workflow)\s*:\s*(\{.*)", v, re.IGNORECASE | re.DOTALL)
    if m:
        k, v = m.group(1).lower(), m.group(2)
    if k not in ("prompt", "workflow"):
        return None
    data = _json(v)
    if isinstance(data, dict):
        if k == "prompt" and any(isinstance(n, dict) and "class_type" in n for n in data.values()):
            return "ComfyUI", "ComfyUI prompt graph"
        if k == "workflow" and isinstance(data.get("nodes"), list):
            return "ComfyUI", "ComfyUI workflow"
    elif '"class_type"' in v or '"nodes"' in v:
        # Kept as evidence when the graph does not parse (it varies between versions).
        return "ComfyUI", "ComfyUI graph (did not parse as JSON)"
    return None


def _invokeai(key: str, value: str) -> tuple[str, str] | None:
    k = key.lower()
    if k == "dream":
        return "InvokeAI", "InvokeAI 'Dream' command line"
    if k in ("invokeai_metadata", "invokeai_graph", "invokeai_workflow"):
        return "InvokeAI", f"InvokeAI {k}"
    if k == "sd-metadata":
        data = _json(value)
        app = str(data.get("app_id", "")) if isinstance(data, dict) else ""
        return "InvokeAI", "InvokeAI sd-metadata" + (f" ({app})" if app else "")
    return None


def _novelai(key: str, value: str) -> tuple[str, str] | None:
    if key.lower() != "comment":
        return None
    data = _json(value)
    if isinstance(data, dict) and {"steps", "sampler"} <= set(data) and ("n_samples" in data or "uc" in data
                                                                         or "noise" in data or "scale" in data):
        return "NovelAI", "NovelAI generation settings"
    return None


def _fooocus(key: str, value: str) -> tuple[str, str] | None:
    k = key.lower()
    if k == "fooocus_scheme":
        return "Fooocus", "Fooocus metadata scheme"
    if k == "parameters" and value.lstrip().startswith("{"):
        data = _json(value)
        if isinstance(data, dict) and ("fooocus" in json.dumps(data)[:20000].lower() or "base_model" in data):
            return "Fooocus", "Fooocus parameters (JSON)"
    return None


def _swarmui(key: str, value: str) -> tuple[str, str] | None:
    if key.lower() == "sui_image_params" or '"sui_image_params"' in value[:200]:
        return "SwarmUI", "SwarmUI image parameters"
    return None


def _midjourney(key: str, value: str) -> tuple[str, str] | None:
    if key.lower() == "description" and "Job ID:" in value:
        return "Midjourney", "Midjourney job description"
    return None


PARAMETER_PARSERS: list[Callable[[str, str], tuple[str, str] | None]] = [
    _comfyui, _invokeai, _novelai, _fooocus, _swarmui, _a1111, _midjourney,
]


def _key(field: str) -> str:
    """The bare name of a field: "tEXt:parameters" -> "parameters"."""
    return field.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def text_evidence(source: str, field: str, value: str) -> list[Evidence]:
    """Evidence from one text field, whatever container it came from."""
    key = _key(field)
    for parse in PARAMETER_PARSERS:
        hit = parse(key, value)
        if hit:
            generator, what = hit
            return [Evidence(source, field, f"{what}: {shorten(value, 160)}", 1.0, AI, generator=generator)]
    uri = normalise_digital_source_type(value) if "digitalsourcetype" in value.lower() or "DigitalSourceType" in field else None
    if uri:
        ev = dst_evidence(source, field, value, trustworthy=False)
        return [ev] if ev else []
    generator = generator_named_in(value)
    if generator:
        if TOOL_FIELDS.search(field) and not PERSON_FIELDS.search(field):
            implies = AI_COMPOSITE if generator == "Adobe Photoshop Generative Fill" else AI
            return [Evidence(source, field, shorten(value), 0.8, implies, generator=generator)]
        weight = 0.7 if _says_made_by_generator(value, generator) else 0.4
        return [Evidence(source, field, shorten(value), weight, AI, generator=generator)]
    if AI_PHRASE.search(value) and re.search(r"\bai\b", value, re.IGNORECASE):
        return [Evidence(source, field, shorten(value), 0.6, AI)]
    if CONTEXT_FIELDS.search(field):
        return [Evidence(source, field, shorten(value), 0.0, None)]
    return []
