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
    (r"\bstable audio\b", "Stable Audio"),
    (r"\briffusion\b", "Riffusion"),
    (r"\bmubert\b", "Mubert"),
    (r"\bsoundraw\b", "Soundraw"),
    (r"\baiva\b", "AIVA"),
    (r"\bmicrosoft designer\b", "Microsoft Designer"),
    (r"\bcivitai\b", "Civitai"),
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


# How much a declared non-generative origin (a capture, a scan, a human edit) weighs, by who
# declared it. A declaration of AI counts whoever made it (1.0); one of *not* AI is positive
# evidence too, but only as strong as what stands behind it.
TRUSTED_SIGNER = 0.6  # an intact C2PA manifest whose signer the production trusts
SIGNED = 0.4  # an intact C2PA manifest, signer on no trust list (test and self-signed certificates)
UNSIGNED = 0.3  # XMP, IPTC, EXIF: anyone can write them
VOID = 0.0  # a manifest that no longer matches the file, or cannot be checked: proves nothing


def dst_evidence(source: str, field: str, value: str, *, standing: float = UNSIGNED) -> Evidence | None:
    """Evidence for a declared digital source type.

    A declaration of AI counts whoever made it: a file that says it is AI is
    treated as AI. A declaration of a non-generative origin (digitalCapture,
    negativeFilm, print, screenCapture, a human edit, procedural media) is
    positive evidence that it is *not* AI, weighted by `standing`: who
    declared it, and whether that can have been altered unnoticed.
    """
    uri = normalise_digital_source_type(value)
    if uri is None:
        return None
    meaning = DST_MEANING[uri.rsplit("/", 1)[-1]]
    if meaning in (AI, AI_COMPOSITE):
        return Evidence(source, field, uri, 1.0, meaning, digital_source_type=uri)
    if meaning == NOT_AI:
        return Evidence(source, field, uri, standing, NOT_AI if standing > 0 else None, digital_source_type=uri)
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


def says_ai(text: str) -> bool:
    """True when a sentence says AI made the file: "AI Generated Image", "Created by Google
    Generative AI.", "Made with Adobe Firefly"."""
    if AI_WORDS.search(text) or (AI_PHRASE.search(text) and re.search(r"\bai\b", text, re.IGNORECASE)):
        return True
    generator = generator_named_in(text)
    return bool(generator and _says_made_by_generator(text, generator))


# --- generators' own parameter formats ------------------------------------

A1111_LINE = re.compile(r"(^|\n)Steps: \d+, .*(Sampler|CFG scale|Seed): ", re.IGNORECASE)


def _json(value: str):
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _a1111(key: str, value: str, data) -> tuple[str, str] | None:
    if not A1111_LINE.search(value):
        return None
    if re.search(r"Version: f\d", value):
        return "Stable Diffusion WebUI Forge", "AUTOMATIC1111-style parameters (Forge build)"
    if "App: SD.Next" in value:
        return "SD.Next", "AUTOMATIC1111-style parameters (SD.Next)"
    if "Fooocus" in value:
        return "Fooocus", "A1111-style parameters written by Fooocus"
    return "AUTOMATIC1111", "AUTOMATIC1111 generation parameters"


def _comfy_graph(data, nested: bool = False) -> str | None:
    """What a parsed ComfyUI graph is: its API prompt (nodes by id, each with a class_type) or its
    UI workflow (a node list beside links), or both in one object as video savers write them."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("nodes"), list) and "links" in data:
        return "ComfyUI workflow"
    values = list(data.values())[:64]
    if values and sum(isinstance(n, dict) and "class_type" in n for n in values) * 2 >= len(values):
        return "ComfyUI prompt graph"
    for k in () if nested else ("prompt", "workflow"):  # a graph one level down; never deeper
        inner = data.get(k)
        inner = _json(inner) if isinstance(inner, str) and inner[:16].lstrip().startswith("{") else inner
        if _comfy_graph(inner, nested=True):
            return "ComfyUI prompt and workflow"
    return None


def _comfyui(key: str, value: str, data) -> tuple[str, str] | None:
    k = key.lower()
    v = value.lstrip()
    # ComfyUI's WebP saver writes "prompt:{...}" into EXIF Model and "workflow:{...}" (then any
    # other extra key) into Make, ImageDescription, ...; its JPEG-saving custom nodes do the same.
    m = re.match(r"(prompt|workflow)\s*:\s*(\{.*)", v, re.IGNORECASE | re.DOTALL)
    if m:
        k, v = m.group(1).lower(), m.group(2)
        data = _json(v)
    what = _comfy_graph(data)
    if what:
        return "ComfyUI", what
    if k in ("prompt", "workflow") and data is None and ('"class_type"' in v or '"nodes"' in v):
        # Kept as evidence when the graph does not parse (it varies between versions).
        return "ComfyUI", "ComfyUI graph (did not parse as JSON)"
    return None


def _invokeai(key: str, value: str, data) -> tuple[str, str] | None:
    k = key.lower()
    if k == "dream":
        return "InvokeAI", "InvokeAI 'Dream' command line"
    if k in ("invokeai_metadata", "invokeai_graph", "invokeai_workflow"):
        return "InvokeAI", f"InvokeAI {k}"
    if k == "sd-metadata":
        app = str(data.get("app_id", "")) if isinstance(data, dict) else ""
        return "InvokeAI", "InvokeAI sd-metadata" + (f" ({app})" if app else "")
    return None


def _novelai(key: str, value: str, data) -> tuple[str, str] | None:
    if key.lower() != "comment":
        return None
    if isinstance(data, dict) and {"steps", "sampler"} <= set(data) and ("n_samples" in data or "uc" in data
                                                                         or "noise" in data or "scale" in data):
        return "NovelAI", "NovelAI generation settings"
    return None


def _fooocus(key: str, value: str, data) -> tuple[str, str] | None:
    k = key.lower()
    if k == "fooocus_scheme":
        return "Fooocus", "Fooocus metadata scheme"
    if k == "parameters" and isinstance(data, dict) and (
            "fooocus" in json.dumps(data)[:20000].lower() or "base_model" in data):
        return "Fooocus", "Fooocus parameters (JSON)"
    return None


def _swarmui(key: str, value: str, data) -> tuple[str, str] | None:
    if key.lower() == "sui_image_params" or '"sui_image_params"' in value[:200]:
        return "SwarmUI", "SwarmUI image parameters"
    return None


# The parameter names of diffusers' pipelines (prompt, negative_prompt, guidance_scale,
# num_inference_steps) and of the apps built on them, which save a pipeline call as JSON.
DIFFUSION_ONLY = {"negative_prompt", "guidance_scale", "num_inference_steps", "cfg_scale", "true_cfg_scale"}
DIFFUSION_KEYS = DIFFUSION_ONLY | {"seed", "steps", "sampler", "sampler_name", "scheduler", "strength",
                                   "width", "height", "model", "model_id", "base_model"}
MODEL_KEYS = ("model", "model_id", "model_name", "base_model", "pretrained_model_name_or_path", "checkpoint",
              "use_stable_diffusion_model", "sd_model_checkpoint")
APP_KEYS = ("app", "app_id", "application", "generator", "software", "tool")


def _diffusers(key: str, value: str, data) -> tuple[str, str] | None:
    if not isinstance(data, dict) or not isinstance(data.get("prompt", data.get("positive_prompt")), (str, list)):
        return None
    keys = {k.lower() for k in data}
    if not keys & DIFFUSION_ONLY or len(keys & DIFFUSION_KEYS) < 2:
        return None
    for k in APP_KEYS + MODEL_KEYS:
        named = data.get(k)
        if isinstance(named, dict):
            named = named.get("name") or named.get("key")
        if isinstance(named, str) and named.strip():
            found = generator_named_in(named)
            return found or shorten(named, 80), f"diffusion generation parameters ({k}: {shorten(named, 80)})"
    return None, "diffusion generation parameters (prompt, " + ", ".join(sorted(keys & DIFFUSION_ONLY)) + ")"


# Midjourney's prompt parameters ("--ar 16:9 --v 6.1 --stylize 250"), each with the value its
# documentation gives it, and the job id its downloads carry in their description.
MJ_PARAMETER = re.compile(
    r"(?:^|\s)--(?:(?:ar|aspect)\s+\d+:\d+|(?:v|version)\s+\d+(?:\.\d+)?|niji(?:\s+\d+)?|(?:s|stylize)\s+\d+|"
    r"(?:c|chaos)\s+\d+|(?:q|quality)\s+[\d.]+|style\s+(?:raw|\w+)|(?:w|weird)\s+\d+|(?:sref|cref|p|profile)\s+\S+|"
    r"(?:iw|sw|cw)\s+[\d.]+|seed\s+\d+|tile|raw)(?=\s|$)", re.IGNORECASE)
MJ_JOB_ID = re.compile(r"\bJob ID:\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
CAPTION_FIELDS = re.compile(r"(description|caption|comment|title|headline|abstract|prompt|parameters|subject)[^:]*$",
                            re.IGNORECASE)


def _midjourney(key: str, value: str, data) -> tuple[str, str] | None:
    if "Job ID" not in value and "--" not in value:
        return None
    params = {m.group(0).split()[0].lower() for m in MJ_PARAMETER.finditer(value)}
    if MJ_JOB_ID.search(value) and (params or CAPTION_FIELDS.search(key)):
        return "Midjourney", "Midjourney prompt and job id"
    if len(params) >= 2:
        return "Midjourney", "Midjourney prompt parameters (" + " ".join(sorted(params)) + ")"
    return None


PARAMETER_PARSERS: list[Callable[[str, str, object], tuple[str | None, str] | None]] = [
    _comfyui, _invokeai, _novelai, _fooocus, _swarmui, _diffusers, _a1111, _midjourney,
]


# --- where a generator's web site is named --------------------------------------

# Sites whose pages hold what their generator made (host, optional path prefix): a source URL
# there (ID3 WOAS/WXXX, XMP dc:source, a comment) says where the file came from.
GENERATOR_SITES: list[tuple[str, str, str]] = [
    ("suno.com", "", "Suno"), ("suno.ai", "", "Suno"), ("udio.com", "", "Udio"),
    ("elevenlabs.io", "", "ElevenLabs"), ("midjourney.com", "", "Midjourney"),
    ("sora.com", "", "OpenAI Sora"), ("sora.chatgpt.com", "", "OpenAI Sora"), ("chatgpt.com", "", "OpenAI ChatGPT"),
    ("labs.openai.com", "", "OpenAI DALL-E"), ("runwayml.com", "", "Runway"), ("pika.art", "", "Pika"),
    ("lumalabs.ai", "", "Luma Dream Machine"), ("klingai.com", "", "Kling"), ("hailuoai.video", "", "MiniMax Hailuo"),
    ("hailuoai.com", "", "MiniMax Hailuo"), ("leonardo.ai", "", "Leonardo.Ai"), ("ideogram.ai", "", "Ideogram"),
    ("firefly.adobe.com", "", "Adobe Firefly"), ("novelai.net", "", "NovelAI"), ("tensor.art", "", "Tensor.Art"),
    ("civitai.com", "/images", "Civitai"), ("stableaudio.com", "", "Stable Audio"), ("aiva.ai", "", "AIVA"),
    ("boomy.com", "", "Boomy"), ("mubert.com", "", "Mubert"), ("riffusion.com", "", "Riffusion"),
    ("soundraw.io", "", "Soundraw"), ("heygen.com", "", "HeyGen"), ("synthesia.io", "", "Synthesia"),
    ("gemini.google.com", "", "Google Gemini"), ("bing.com", "/images/create", "Microsoft Image Creator"),
    ("designer.microsoft.com", "", "Microsoft Designer"), ("dreamstudio.ai", "", "Stability AI"),
    ("playground.com", "", "Playground"), ("krea.ai", "", "Krea"), ("nightcafe.studio", "", "NightCafe"),
]
URL = re.compile(r"\bhttps?://([A-Za-z0-9.\-]+)(?::\d+)?(/[^\s\"'<>)]*)?", re.IGNORECASE)
URL_FIELDS = re.compile(r"(url|uri|source|woas|woaf|wxxx|link|website)[^:]*$", re.IGNORECASE)


def generator_site(text: str) -> tuple[str, str] | None:
    """(generator, URL) for the first URL in the text on a generator's site."""
    for m in URL.finditer(text):
        host, path = m.group(1).lower().rstrip("."), m.group(2) or ""
        for site, prefix, name in GENERATOR_SITES:
            if (host == site or host.endswith("." + site)) and path.lower().startswith(prefix):
                return name, m.group(0)
    return None


# --- what IPTC's AI fields, and a prompt's shape, say -------------------------------

# IPTC Photo Metadata 2025.1 added properties that exist only for generated content: the AI
# system used and the prompt it was given. A value in either declares AI.
IPTC_AI_FIELDS = {"aisystemused": "AI system used", "aipromptinformation": "AI prompt information"}

# Text shaped like a diffusion prompt: A1111 attention weights "(word:1.2)", LoRA tags
# "<lora:name:0.8>", and the quality words prompts are padded with. None of it names a
# generator, so it is a hint: shown, weighed low, never deciding.
PROMPT_SYNTAX = re.compile(r"\([A-Za-z][^()\n:]{0,58}:[0-2]\.\d{1,2}\)|<(?:lora|lyco|hypernet):[^<>\n]+>", re.IGNORECASE)
PROMPT_PADDING = re.compile(
    r"\b(masterpiece|best quality|high quality|highest quality|ultra[\s\-]?detailed|highly detailed|"
    r"intricate details?|8k|4k|uhd|trending on artstation|artstation|octane render|unreal engine|"
    r"cinematic lighting|volumetric lighting|sharp focus|hyper[\s\-]?realistic|photorealistic|"
    r"award[\s\-]winning|concept art|digital painting|lowres|bad anatomy|worst quality)\b", re.IGNORECASE)
NEGATIVE_PROMPT = re.compile(r"(^|\n)\s*negative prompt\s*:", re.IGNORECASE)


def prompt_shape(value: str) -> str | None:
    """Why a text reads like a generation prompt, or None."""
    if len(value) < 16 or ("," not in value and "--" not in value and ":" not in value):
        return None
    if NEGATIVE_PROMPT.search(value):
        return "a negative prompt"
    syntax = PROMPT_SYNTAX.search(value)
    if syntax:
        return f"prompt weighting syntax {syntax.group(0)!r}"
    if "--" in value:
        param = MJ_PARAMETER.search(value)
        if param:
            return f"a Midjourney-style parameter {param.group(0).strip()!r}"
    padding = {m.group(0).lower() for m in PROMPT_PADDING.finditer(value)}
    if len(padding) >= 3 and value.count(",") >= 4:
        return "prompt padding (" + ", ".join(sorted(padding)[:4]) + ")"
    return None


# --- one text field ---------------------------------------------------------------

DECLARED = 1.0  # the format's own declaration: an IPTC code, a generator's parameters, an AI disclosure
TOOL_NAMED = 0.8  # a generator named as the writing tool, or a source URL on its site
SAID_MADE_WITH = 0.7  # text saying a named generator made it
AI_WORDS_WEIGHT = 0.6  # "AI-generated" and the like, no generator named
MENTIONED = 0.4  # a generator's name in free text: "runway", "kling", "sora" are words and names too
PROMPT_HINT = 0.3  # text shaped like a generation prompt, no generator named


def is_prompt_hint(e: Evidence) -> bool:
    """A weak hint of AI that names no generator: text shaped like a generation prompt."""
    return e.implies in (AI, AI_COMPOSITE) and 0 < e.weight <= PROMPT_HINT and e.generator is None


def _key(field: str) -> str:
    """The bare name of a field: "tEXt:parameters" -> "parameters"."""
    return field.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def text_evidence(source: str, field: str, value: str) -> list[Evidence]:
    """Evidence from one text field, whatever container it came from."""
    key = _key(field)
    data = _json(value) if value[:16].lstrip().startswith("{") else None
    for parse in PARAMETER_PARSERS:
        hit = parse(key, value, data)
        if hit:
            generator, what = hit
            return [Evidence(source, field, f"{what}: {shorten(value, 160)}", DECLARED, AI, generator=generator)]
    low_key = key.lower()
    if low_key in IPTC_AI_FIELDS:
        generator = (generator_named_in(value) or shorten(value, 80)) if low_key == "aisystemused" else None
        return [Evidence(source, field, f"{IPTC_AI_FIELDS[low_key]}: {shorten(value)}", DECLARED, AI,
                         generator=generator)]
    uri = normalise_digital_source_type(value) if "digitalsourcetype" in value.lower() or "DigitalSourceType" in field else None
    if uri:
        ev = dst_evidence(source, field, value)
        return [ev] if ev else []
    if "://" in value:
        site = generator_site(value)
        if site:
            generator, url = site
            strong = URL_FIELDS.search(field) or value.strip() == url or _item_link(url)
            return [Evidence(source, field, shorten(value), TOOL_NAMED if strong else MENTIONED, AI,
                             generator=generator)]
    generator = generator_named_in(value)
    if generator:
        if TOOL_FIELDS.search(field) and not PERSON_FIELDS.search(field):
            implies = AI_COMPOSITE if generator == "Adobe Photoshop Generative Fill" else AI
            return [Evidence(source, field, shorten(value), TOOL_NAMED, implies, generator=generator)]
        weight = SAID_MADE_WITH if _says_made_by_generator(value, generator) else MENTIONED
        return [Evidence(source, field, shorten(value), weight, AI, generator=generator)]
    if AI_PHRASE.search(value) and re.search(r"\bai\b", value, re.IGNORECASE):
        return [Evidence(source, field, shorten(value), AI_WORDS_WEIGHT, AI)]
    shape = prompt_shape(value)
    if shape:
        return [Evidence(source, field, f"reads like a generation prompt ({shape}): {shorten(value)}",
                         PROMPT_HINT, AI)]
    if CONTEXT_FIELDS.search(field):
        return [Evidence(source, field, shorten(value), 0.0, None)]
    return []


def _item_link(url: str) -> bool:
    """A link to one item on the site (a song, an image, a job), not to its front page."""
    path = URL.match(url).group(2) or ""
    return len(path.strip("/")) >= 3
