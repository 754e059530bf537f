"""What a C2PA manifest says about AI, and which generator it names.

Generators declare AI in a manifest in more ways than an IPTC source type on
`c2pa.created`, and real ones use all of them:

- an action's `digitalSourceType` (an edit that adds AI makes a composite);
- an action with no source type (claims before C2PA 2.0 needed none) whose
  `softwareAgent` names a generator or whose `description` says AI made it
  ("AI Generated Image", "Created by Google Generative AI.");
- the `c2pa.ai-disclosure` assertion of C2PA 2.4 (model type, name, oversight);
- an ingredient whose own manifest declares AI, however deep, or that carries
  a `digitalSourceType` in its metadata: the active manifest of a re-save or
  an editor's export says nothing, its parent says it was generated;
- a claim generator that names a generator.

The generator is named from the manifest that declares AI, in this order: the
declaring action's `softwareAgent`, the AI disclosure's `modelName`, the claim
generator (`claim_generator_info`), the signer's organisation (c2pa's
`signature_info.issuer`, the certificate subject's O, else its CN). Each fact
says which of them named it (`Evidence.named_by`).
"""

from __future__ import annotations

import re

from .markers import (DECLARED, TOOL_NAMED, VOID, dst_evidence, generator_named_in, normalise_digital_source_type,
                      says_ai, shorten)
from .model import AI, AI_COMPOSITE, NOT_AI, Evidence

CREATED = "c2pa.created"
# Ingredients of ingredients: far deeper than any real edit history, and a loop cannot run away.
MAX_DEPTH = 16
INGREDIENT_WEIGHT = 0.9
# SDKs and tools that sign for whatever application calls them: their name says nothing about
# what made the content, so the naming goes on to the next source.
TOOLKITS = re.compile(r"^(c2pa([-_ ]?(rs|python|js|node|c|tool|web|sdk))?|c2patool|make_test_images|cai[-_ ]?sdk)$",
                      re.IGNORECASE)
# Makers whose cameras sign a capture: a c2pa.created with no source type, named by one of them.
CAMERA_MAKERS = re.compile(r"\b(leica|nikon|canon|sony|fujifilm|panasonic|lumix|olympus|om digital|pentax|ricoh|"
                           r"hasselblad|phase one|sigma|arri|blackmagic|red digital cinema)\b", re.IGNORECASE)
DISCLOSURE_LABELS = ("c2pa.ai-disclosure", "c2pa.ai_disclosure")


def actions(manifest: dict) -> list[dict]:
    out = []
    for a in manifest.get("assertions") or []:
        if str(a.get("label", "")).startswith("c2pa.actions"):
            data = a.get("data")
            found = data.get("actions") if isinstance(data, dict) else None
            if isinstance(found, list):
                out.extend(x for x in found if isinstance(x, dict))
    return out


def agent_name(agent) -> str | None:
    if isinstance(agent, dict):
        agent = agent.get("name")
    return (agent.strip() or None) if isinstance(agent, str) else None


def action_dst(action: dict) -> str | None:
    dst = action.get("digitalSourceType") or (action.get("parameters") or {}).get("digitalSourceType")
    return dst if isinstance(dst, str) else None


def claim_generator(manifest: dict) -> str | None:
    """The claim generator as a person reads it: name/version of each entry."""
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    info = manifest.get("claim_generator_info")
    if isinstance(info, dict):
        info = [info]
    if isinstance(info, list) and info:
        return " ".join(f"{i.get('name', '')}/{i.get('version', '')}".rstrip("/") for i in info if isinstance(i, dict))
    return None


def claim_generator_name(manifest: dict) -> str | None:
    """The application that made the claim: claim_generator_info's first name that is not a
    signing toolkit, else the first product of a version 1 `claim_generator` ("Name/1.0 c2pa-rs/0.26")."""
    info = manifest.get("claim_generator_info")
    for entry in ([info] if isinstance(info, dict) else info if isinstance(info, list) else []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip() and not TOOLKITS.match(name.strip()):
            return name.strip()
    for product in str(manifest.get("claim_generator") or "").split():
        name = product.split("/", 1)[0].replace("_", " ").strip()
        if name and not TOOLKITS.match(name.replace(" ", "_")):
            return name
    return None


def signer_name(manifest: dict) -> tuple[str, str] | None:
    """(name, which field) of the signing certificate's subject."""
    info = manifest.get("signature_info")
    if not isinstance(info, dict):
        return None
    for key, words in (("issuer", "signer's organisation"), ("common_name", "signer's certificate name")):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip(), words
    return None


def disclosures(manifest: dict) -> list[dict]:
    return [a.get("data") for a in manifest.get("assertions") or []
            if str(a.get("label", "")).startswith(DISCLOSURE_LABELS) and isinstance(a.get("data"), dict)]


def name_generator(manifest: dict, agent: str | None = None, model: str | None = None) -> tuple[str | None, str | None]:
    """(generator, what named it), in aiprov's order; a known generator's name is normalised."""
    if model is None:
        model = next((d.get("modelName") for d in disclosures(manifest) if isinstance(d.get("modelName"), str)), None)
    signer = signer_name(manifest)
    for name, named_by in ((agent, "C2PA action softwareAgent"), (model, "C2PA AI disclosure modelName"),
                           (claim_generator_name(manifest), "C2PA claim generator"),
                           (signer[0] if signer else None, f"C2PA {signer[1]}" if signer else "")):
        if name:
            return generator_named_in(name) or shorten(name, 80), named_by
    return None, None


def _named(ev: Evidence, generator: str | None, named_by: str | None) -> Evidence:
    return Evidence(ev.source, ev.field, ev.value, ev.weight, ev.implies, generator=generator,
                    digital_source_type=ev.digital_source_type, named_by=named_by)


def manifest_evidence(label: str, manifests: dict, standing: float, seen: frozenset = frozenset()) -> list[Evidence]:
    """Everything one manifest (and, through its ingredients, every manifest it was made from)
    says about AI. `standing`: how much its declarations of a non-generative origin weigh."""
    manifest = manifests.get(label) or {}
    out: list[Evidence] = []
    cg = claim_generator(manifest)
    cg_gen = generator_named_in(cg) if cg else None
    if cg:
        out.append(Evidence("c2pa", "claim_generator", cg, TOOL_NAMED if cg_gen else 0.0, AI if cg_gen else None,
                            generator=cg_gen, named_by="C2PA claim generator" if cg_gen else None))
    composite = False
    for action in actions(manifest):
        name = action.get("action", "?")
        agent = agent_name(action.get("softwareAgent"))
        dst = action_dst(action)
        part = AI if name == CREATED else AI_COMPOSITE  # AI in an edit, not the creation, made part of it
        ev = dst_evidence("c2pa", f"c2pa.actions[{name}].digitalSourceType", dst, standing=standing) if dst else None
        if ev is not None:
            if ev.implies in (AI, AI_COMPOSITE):
                implies = AI_COMPOSITE if ev.implies == AI_COMPOSITE else part
                composite = composite or implies == AI_COMPOSITE
                ev = Evidence(ev.source, ev.field, ev.value, ev.weight, implies, digital_source_type=ev.digital_source_type)
                ev = _named(ev, *name_generator(manifest, agent))
            out.append(ev)
            continue
        description = action.get("description") if isinstance(action.get("description"), str) else ""
        known = generator_named_in(agent) if agent else None
        if known or (description and says_ai(description)):
            field = f"c2pa.actions[{name}]." + ("softwareAgent" if known else "description")
            out.append(_named(Evidence("c2pa", field, agent if known else shorten(description), TOOL_NAMED, part),
                              *name_generator(manifest, agent)))
        elif agent:
            out.append(Evidence("c2pa", f"c2pa.actions[{name}].softwareAgent", agent, 0.0, None))
        if name == CREATED and not known and not (description and says_ai(description)):
            out.extend(_capture(manifest, agent, standing))
    for data in disclosures(manifest):
        shown = ", ".join(f"{k}={v}" for k, v in (("modelType", data.get("modelType")), ("modelName", data.get("modelName")),
                                                   ("humanOversightLevel", (data.get("contentProfile") or {}).get(
                                                       "humanOversightLevel") if isinstance(data.get("contentProfile"), dict)
                                                    else None)) if v)
        implies = AI_COMPOSITE if composite else AI
        agent = next((agent_name(a.get("softwareAgent")) for a in actions(manifest) if a.get("action") == CREATED), None)
        out.append(_named(Evidence("c2pa", "c2pa.ai-disclosure", shorten(shown or "present"), DECLARED, implies),
                          *name_generator(manifest, agent, data.get("modelName") if isinstance(data.get("modelName"), str)
                                          else None)))
    out.extend(_ingredients(manifest, manifests, seen | {label}))
    return out


def _capture(manifest: dict, agent: str | None, standing: float) -> list[Evidence]:
    """A c2pa.created with no source type, in a manifest a camera maker made or signed: a capture."""
    signer = signer_name(manifest)
    for name in (agent, claim_generator_name(manifest), signer[0] if signer else None):
        maker = CAMERA_MAKERS.search(name) if name else None
        if maker:
            return [Evidence("c2pa", f"c2pa.actions[{CREATED}]", f"created by {name} (a camera maker; no source type "
                             "declared)", standing, NOT_AI if standing > VOID else None)]
    return []


def ingredient_dst(ingredient: dict) -> str | None:
    """A source type an ingredient carries itself (in its assertion metadata), normalised."""
    meta = ingredient.get("metadata") if isinstance(ingredient.get("metadata"), dict) else {}
    for value in (ingredient.get("digitalSourceType"), ingredient.get("digital_source_type"),
                  meta.get("digitalSourceType")):
        if isinstance(value, str):
            uri = normalise_digital_source_type(value)
            if uri:
                return uri
    return None


def _ingredients(manifest: dict, manifests: dict, seen: frozenset) -> list[Evidence]:
    out = []
    for ingr in manifest.get("ingredients") or []:
        if not isinstance(ingr, dict):
            continue
        title = ingr.get("title")
        own = ingredient_dst(ingr)
        own_ev = dst_evidence("c2pa", "ingredient metadata digitalSourceType", own) if own else None
        facts = [own_ev] if own_ev is not None and own_ev.implies in (AI, AI_COMPOSITE) else []
        label = ingr.get("active_manifest")
        if label and label not in seen and len(seen) < MAX_DEPTH:
            facts += [e for e in manifest_evidence(label, manifests, VOID, seen)
                      if e.implies in (AI, AI_COMPOSITE) and e.weight >= 0.5]
        if not facts:
            continue
        fact = max(facts, key=lambda e: (e.weight, e.generator is not None))
        generator, named_by = fact.generator, fact.named_by
        if generator is None and label in manifests:
            generator, named_by = name_generator(manifests[label])
        out.append(Evidence("c2pa", f"ingredient {title!r}", f"{fact.field}: {fact.value}", INGREDIENT_WEIGHT,
                            AI_COMPOSITE, generator=generator, digital_source_type=fact.digital_source_type,
                            named_by=f"C2PA ingredient {title!r}: {named_by}" if named_by else None))
    return out
