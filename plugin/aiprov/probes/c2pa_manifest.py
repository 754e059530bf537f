"""C2PA manifests through c2pa-python, with trust kept apart from integrity.

c2pa reports an untrusted or expired signer as a validation *failure* and
calls the manifest "Invalid" even when nothing was altered
(contentauth/c2pa-rs#1922). Real AI output (OpenAI, Google) is signed by
certificates no default trust list holds. So the failure codes are sorted:
trust codes say who signed, identity (CAWG) codes say whose name is attached,
everything else means the bytes or the claim changed after signing.

This probe runs inside an isolated worker (reader.py): c2pa-rs has crashed
the process on hostile files more than once.
"""

from __future__ import annotations

import json

from ..markers import dst_evidence, generator_named_in, normalise_digital_source_type
from ..model import AI, AI_COMPOSITE, Evidence, Ingredient

NAME = "c2pa"

# Native walkers that would have seen a C2PA store if there were one.
WALKED_FORMATS = {"png", "jpeg", "webp", "wav", "tiff", "exr", "dpx", "avi"}
# Formats c2pa-rs reads at all.
C2PA_FORMATS = WALKED_FORMATS | {"bmff", "mp3", "gif", "unknown"}

TRUST_PREFIXES = ("signingCredential.", "timeStamp.untrusted", "timeStamp.outsideValidity",
                  "claimSignature.outsideValidity", "general.ocsp")
IDENTITY_PREFIXES = ("cawg.",)


def wants(ctx) -> bool:
    if ctx.meta.c2pa:
        return True
    # A missing store in a fully walked format is a fact; in BMFF it is not
    # (re-tagged boxes have hidden manifests, c2pa-rs PR #2606).
    return ctx.meta.format in C2PA_FORMATS and ctx.meta.format not in WALKED_FORMATS


def make_context(settings):
    """A c2pa Context with network off unless the production allows it."""
    import c2pa

    verify = {"remote_manifest_fetch": bool(settings.network), "ocsp_fetch": bool(settings.network)}
    conf: dict = {"verify": verify}
    if settings.trust_anchors:
        with open(settings.trust_anchors, encoding="utf-8") as fh:
            conf["trust"] = {"trust_anchors": fh.read()}
    return c2pa.Context(c2pa.Settings.from_dict(conf))


def _failure_codes(report: dict) -> tuple[list[str], list[str]]:
    """(codes of the active manifest, codes of ingredients), failures only."""
    results = report.get("validation_results")
    if isinstance(results, dict):
        active = [s.get("code", "") for s in (results.get("activeManifest") or {}).get("failure", [])]
        ingr = [s.get("code", "") for d in results.get("ingredientDeltas") or []
                for s in (d.get("validationDeltas") or {}).get("failure", [])]
        return active, ingr
    return [s.get("code", "") for s in report.get("validation_status") or []], []


def _actions(manifest: dict) -> list[dict]:
    out = []
    for a in manifest.get("assertions") or []:
        if str(a.get("label", "")).startswith("c2pa.actions"):
            data = a.get("data") or {}
            out.extend(x for x in data.get("actions") or [] if isinstance(x, dict))
    return out


def _agent_name(agent) -> str | None:
    if isinstance(agent, dict):
        return agent.get("name")
    return agent if isinstance(agent, str) else None


def _declared_dst(manifest: dict) -> str | None:
    """The strongest AI declaration among a manifest's actions, else any declaration."""
    found = None
    for action in _actions(manifest):
        dst = action.get("digitalSourceType") or (action.get("parameters") or {}).get("digitalSourceType")
        uri = normalise_digital_source_type(dst) if isinstance(dst, str) else None
        if uri and (found is None or uri.endswith("trainedAlgorithmicMedia")):
            found = uri
    return found


def _claim_generator(manifest: dict) -> str | None:
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info:
        return " ".join(f"{i.get('name', '')}/{i.get('version', '')}".rstrip("/") for i in info if isinstance(i, dict))
    return None


def interpret(report: dict, validation_state: str | None, ctx) -> None:
    insp = ctx.inspection
    c = insp.c2pa
    c.present = True
    c.validation_state = validation_state
    manifests = report.get("manifests") or {}
    active = manifests.get(report.get("active_manifest") or "", {})
    codes, ingredient_codes = _failure_codes(report)
    c.status_codes = codes + [f"ingredient:{code}" for code in ingredient_codes]
    trust = [x for x in codes if x.startswith(TRUST_PREFIXES)]
    c.identity_failures = [x for x in codes if x.startswith(IDENTITY_PREFIXES)]
    integrity = [x for x in codes if x not in trust and x not in c.identity_failures]
    c.integrity = "tampered" if integrity or not active else "intact"
    c.trusted = False if trust else (True if validation_state == "Trusted" else None)
    if c.trusted is None and validation_state in ("Valid", "Invalid") and not trust:
        c.trusted = False  # validated, but no trust list vouched for the signer
    c.claim_generator = _claim_generator(active)
    trustworthy = c.integrity == "intact" and bool(c.trusted)
    if c.integrity == "tampered":
        insp.evidence.append(Evidence("c2pa", "validation", "manifest no longer matches its signature: "
                                      + ", ".join(integrity or ["no active manifest"]), 0.0, None))
    if c.claim_generator:
        gen = generator_named_in(c.claim_generator)
        insp.evidence.append(Evidence("c2pa", "claim_generator", c.claim_generator, 0.8 if gen else 0.0,
                                      AI if gen else None, generator=gen))
    for action in _actions(active):
        name = action.get("action", "?")
        agent = _agent_name(action.get("softwareAgent"))
        dst = action.get("digitalSourceType") or (action.get("parameters") or {}).get("digitalSourceType")
        if isinstance(dst, str):
            ev = dst_evidence("c2pa", f"c2pa.actions[{name}].digitalSourceType", dst, trustworthy=trustworthy)
            if ev:
                # AI made part of it: an edit, not the creation, is a composite.
                if ev.implies == AI and name not in ("c2pa.created",):
                    ev = Evidence(ev.source, ev.field, ev.value, ev.weight, AI_COMPOSITE,
                                  digital_source_type=ev.digital_source_type)
                gen = generator_named_in(agent) if agent else None
                if gen or agent:
                    ev = Evidence(ev.source, ev.field, ev.value, ev.weight, ev.implies,
                                  generator=gen or (agent if ev.implies in (AI, AI_COMPOSITE) else None),
                                  digital_source_type=ev.digital_source_type)
                insp.evidence.append(ev)
        elif agent:
            gen = generator_named_in(agent)
            insp.evidence.append(Evidence("c2pa", f"c2pa.actions[{name}].softwareAgent", agent,
                                          0.8 if gen else 0.0, AI if gen else None, generator=gen))
    for ingr in active.get("ingredients") or []:
        label = ingr.get("active_manifest")
        dst = _declared_dst(manifests.get(label, {})) if label else None
        item = Ingredient(title=ingr.get("title"), relationship=ingr.get("relationship"),
                          format=ingr.get("format"), instance_id=ingr.get("instance_id"),
                          document_id=ingr.get("document_id"), manifest_label=label, digital_source_type=dst)
        c.ingredients.append(item)
        if dst and dst.endswith(("/trainedAlgorithmicMedia", "/compositeWithTrainedAlgorithmicMedia")):
            insp.evidence.append(Evidence("c2pa", f"ingredient {item.title!r}", dst, 0.9, AI_COMPOSITE,
                                          digital_source_type=dst))


def read(ctx) -> None:
    import c2pa

    try:
        with open(ctx.fspath, "rb") as fh:
            reader = c2pa.Reader(ctx.meta.media_type or "", fh, context=ctx.tools.c2pa_context())
            try:
                report = json.loads(reader.json())
                state = reader.get_validation_state()
            finally:
                reader.close()
    except Exception as exc:  # c2pa raises its own error classes for every failure
        text = f"{type(exc).__name__}: {exc}"
        if "ManifestNotFound" in text or "NotFound" in type(exc).__name__:
            if ctx.meta.c2pa:
                ctx.inspection.c2pa.present = True
                ctx.inspection.c2pa.integrity = "tampered"
                ctx.inspection.c2pa.error = "a C2PA store is in the file but holds no readable manifest"
            return
        if "Unsupported" in text or "UnsupportedType" in text:
            return
        if ctx.meta.c2pa:
            ctx.inspection.c2pa.present = True
            ctx.inspection.c2pa.integrity = "tampered"
            ctx.inspection.c2pa.error = f"the C2PA manifest could not be read ({exc})"
            ctx.inspection.c2pa.status_codes.append("manifest.unreadable")
        return
    interpret(report, state, ctx)
