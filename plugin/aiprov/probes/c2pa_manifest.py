"""C2PA manifests through c2pa-python, with trust kept apart from integrity.

c2pa reports an untrusted or expired signer as a validation *failure* and
calls the manifest "Invalid" even when nothing was altered
(contentauth/c2pa-rs#1922). Real AI output (OpenAI, Google) is signed by
certificates no default trust list holds. It also calls a manifest "Invalid"
when it is an old draft, signed with an algorithm it does not know, or has one
broken assertion. So the failure codes are sorted (c2pa_integrity.py): trust
codes say who signed, identity (CAWG) codes say whose name is attached, and
only a hash or signature mismatch means the bytes or the claim changed after
signing.

This probe runs inside an isolated worker (reader.py): c2pa-rs has crashed
the process on hostile files more than once.
"""

from __future__ import annotations

import json

from ..c2pa_declarations import action_dst, actions, claim_generator, ingredient_dst, manifest_evidence
from ..c2pa_integrity import ASSERTION_STRUCTURE_CODES, assertion_label, broken_assertions, sort_failures
from ..markers import SIGNED, TRUSTED_SIGNER, VOID, normalise_digital_source_type
from ..model import INTACT, MALFORMED, TAMPERED, UNREADABLE_MANIFEST, UNSUPPORTED, Evidence, Ingredient

NAME = "c2pa"

# Native walkers that would have seen a C2PA store if there were one.
WALKED_FORMATS = {"png", "jpeg", "webp", "wav", "tiff", "exr", "dpx", "avi"}
# Formats c2pa-rs reads at all.
C2PA_FORMATS = WALKED_FORMATS | {"bmff", "mp3", "gif", "unknown"}


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


def _failures(report: dict) -> tuple[list[tuple[str, str | None]], list[str]]:
    """((code, url) of the active manifest's failures, codes of ingredients' failures)."""
    results = report.get("validation_results")
    if isinstance(results, dict):
        active = [(s.get("code", ""), s.get("url")) for s in (results.get("activeManifest") or {}).get("failure", [])]
        ingr = [s.get("code", "") for d in results.get("ingredientDeltas") or []
                for s in (d.get("validationDeltas") or {}).get("failure", [])]
        return active, ingr
    return [(s.get("code", ""), s.get("url")) for s in report.get("validation_status") or []], []


def _manifest_label(url) -> str | None:
    """`self#jumbf=/c2pa/urn:c2pa:0b5c.../c2pa.assertions/...` -> `urn:c2pa:0b5c...`."""
    if not isinstance(url, str) or "/c2pa/" not in url:
        return None
    return url.split("/c2pa/", 1)[1].split("/", 1)[0] or None


def _manifests_from_store(detailed: dict) -> dict:
    """The raw claims and assertion stores (`detailed_json`) in the shape `json()` gives.

    c2pa-rs leaves a manifest out of `json()` when one of its typed assertions
    fails to decode; its claim and assertions are still in the raw store.
    """
    out = {}
    for label, m in (detailed.get("manifests") or {}).items():
        if not isinstance(m, dict):
            continue
        claim = m.get("claim") if isinstance(m.get("claim"), dict) else {}
        store = m.get("assertion_store") if isinstance(m.get("assertion_store"), dict) else {}
        info = claim.get("claim_generator_info")
        ingredients = []
        for key, data in store.items():
            if key.startswith("c2pa.ingredient") and isinstance(data, dict):
                ref = data.get("activeManifest") or data.get("c2pa_manifest")
                ref_url = ref.get("url") if isinstance(ref, dict) else None
                ingredients.append({"title": data.get("dc:title"), "relationship": data.get("relationship"),
                                    "format": data.get("dc:format"), "instance_id": data.get("instanceID"),
                                    "document_id": data.get("documentID"), "active_manifest": _manifest_label(ref_url),
                                    "metadata": data.get("metadata")})
        out[label] = {"claim_generator": claim.get("claim_generator"),
                      "claim_generator_info": [info] if isinstance(info, dict) else info,
                      "assertions": [{"label": k, "data": v} for k, v in store.items()],
                      "ingredients": ingredients, "assertion_store": store}
    return out


def _unnamed(code: str, url) -> bool:
    """A structural failure c2pa reported without naming the assertion it is about."""
    return code in ASSERTION_STRUCTURE_CODES and assertion_label(url) is None


def _needs_raw_store(report: dict) -> bool:
    label = report.get("active_manifest")
    if label and label not in (report.get("manifests") or {}):
        return True  # one typed assertion failed to decode and c2pa dropped the manifest
    return any(_unnamed(code, url) for code, url in _failures(report)[0])


def _locate_unnamed_failures(failures, label: str, store: dict, dropped: bool):
    """Give a failure reported on the whole manifest the assertions that caused it, when aiprov can tell."""
    broken = broken_assertions(store, dropped)
    out = []
    for code, url in failures:
        if broken and _unnamed(code, url) and _manifest_label(url) in (label, None):
            out.extend((code, f"self#jumbf=/c2pa/{label}/c2pa.assertions/{b}") for b in broken)
        else:
            out.append((code, url))
    return out


def interpret(report: dict, validation_state: str | None, ctx, detailed: dict | None = None) -> None:
    """`detailed` is c2pa's raw store, asked for only when `report` left the active manifest out."""
    insp = ctx.inspection
    c = insp.c2pa
    c.present = True
    c.validation_state = validation_state
    label = report.get("active_manifest") or ""
    manifests = report.get("manifests") or {}
    failures, ingredient_codes = _failures(report)
    c.status_codes = [code for code, _ in failures] + [f"ingredient:{code}" for code in ingredient_codes]
    if detailed:
        raw = _manifests_from_store(detailed)
        dropped = label not in manifests
        if dropped:
            manifests = raw
        store = (raw.get(label) or {}).get("assertion_store", {})
        failures = _locate_unnamed_failures(failures, label, store, dropped)
    active = manifests.get(label, {})
    sorted_ = sort_failures(failures, has_manifest=bool(active))
    c.identity_failures = sorted_.identity
    c.integrity = sorted_.integrity
    c.trusted = False if sorted_.trust else (True if validation_state == "Trusted" else None)
    if c.trusted is None and validation_state in ("Valid", "Invalid") and not sorted_.trust:
        c.trusted = False  # validated, but no trust list vouched for the signer
    c.claim_generator = claim_generator(active)
    if c.integrity == TAMPERED:
        insp.evidence.append(Evidence("c2pa", "validation", "manifest no longer matches its signature: "
                                      + sorted_.words, 0.0, None))
    elif c.integrity != INTACT:
        c.error = sorted_.words  # the reader could not use all of a manifest that is there
        insp.evidence.append(Evidence("c2pa", "validation", f"manifest {c.integrity}: {c.error}", 0.0, None))
    insp.evidence.extend(manifest_evidence(label, manifests, _standing(c)))
    for ingr in active.get("ingredients") or []:
        ref = ingr.get("active_manifest")
        c.ingredients.append(Ingredient(
            title=ingr.get("title"), relationship=ingr.get("relationship"), format=ingr.get("format"),
            instance_id=ingr.get("instance_id"), document_id=ingr.get("document_id"), manifest_label=ref,
            digital_source_type=ingredient_dst(ingr) or (_declared_dst(manifests.get(ref, {})) if ref else None)))


def _standing(c) -> float:
    """How much this manifest's declaration of a non-generative origin weighs."""
    if c.integrity in (INTACT, MALFORMED):
        return TRUSTED_SIGNER if c.trusted else SIGNED
    return VOID


def _declared_dst(manifest: dict) -> str | None:
    """The strongest source type a manifest's actions declare (an AI one first), for the ingredient list."""
    found = None
    for action in actions(manifest):
        uri = normalise_digital_source_type(action_dst(action) or "")
        if uri and (found is None or uri.endswith("trainedAlgorithmicMedia")):
            found = uri
    return found


# c2pa's errors for a manifest that is there but that it cannot check, by what it says (its
# error classes are coarse: a pre-release claim is "Other", an unknown algorithm too).
UNSUPPORTED_ERRORS = (
    ("prerelease", "com.adobe.prerelease",
     "a pre-release (draft) CAI manifest from before C2PA 1.0, which no current reader checks"),
    ("unknown algorithm", "algorithm.unsupported",
     "it names no signing or hashing algorithm this reader knows"),
    ("unsupported algorithm", "algorithm.unsupported",
     "it names a signing or hashing algorithm this reader does not support"),
    ("algorithm is not supported", "algorithm.unsupported",
     "it is signed with an algorithm this reader does not support"),
    ("unsupported assertion version", "manifest.unreadable",
     "it uses an assertion version this reader does not support (update c2pa-python)"),
    ("version is too new", "manifest.unreadable",
     "it is a newer C2PA version than this reader supports (update c2pa-python)"),
)


def _store_unreadable(ctx, exc: Exception, words: str = "c2pa cannot read it") -> None:
    """A manifest store is there, but c2pa raised instead of reporting on it."""
    c = ctx.inspection.c2pa
    c.present = True
    low = str(exc).lower()
    for needle, code, unsupported in UNSUPPORTED_ERRORS:
        if needle in low:
            c.integrity, c.error = UNSUPPORTED, f'{unsupported} (c2pa says "{exc}")'
            c.status_codes.append(code)
            break
    else:
        c.integrity = UNREADABLE_MANIFEST
        c.error = f'{words} (c2pa says "{exc}")'
        c.status_codes.append("manifest.unreadable")
    ctx.inspection.evidence.append(Evidence("c2pa", "validation", f"manifest {c.integrity}: {c.error}", 0.0, None))


def read(ctx) -> None:
    import c2pa

    detailed = None
    try:
        with open(ctx.fspath, "rb") as fh:
            reader = c2pa.Reader(ctx.meta.media_type or "", fh, context=ctx.tools.c2pa_context())
            try:
                report = json.loads(reader.json())
                state = reader.get_validation_state()
                if _needs_raw_store(report):
                    try:  # only on this rare path: c2pa did not say which assertion failed
                        detailed = json.loads(reader.detailed_json())
                    except Exception:  # noqa: BLE001 - nothing more to read: the manifest stays unreadable
                        detailed = None
            finally:
                reader.close()
    except Exception as exc:  # c2pa raises its own error classes for every failure
        text = f"{type(exc).__name__}: {exc}"
        if any(needle in text.lower() for needle, _, _ in UNSUPPORTED_ERRORS):
            _store_unreadable(ctx, exc)  # only a manifest store makes c2pa say this
        elif "ManifestNotFound" in text or "NotFound" in type(exc).__name__:
            if ctx.meta.c2pa:
                _store_unreadable(ctx, exc, "a C2PA store is in the file, but c2pa found no manifest in it")
        elif "NotSupported" in type(exc).__name__ or "UnsupportedType" in text:
            return
        elif ctx.meta.c2pa:
            _store_unreadable(ctx, exc)
        return
    interpret(report, state, ctx, detailed)
