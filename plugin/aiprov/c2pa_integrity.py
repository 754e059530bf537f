"""C2PA validation failure codes -> one integrity state a delivery QC operator can act on.

The C2PA Conformance Task Force's asset rubrics (c2pa-org/conformance-public,
asset-rubrics/composables/globals.yml) read a validator's failure codes in
three layers: *well-formed* (the manifest's structure), *valid* (the hashes
and the claim signature) and *trusted* (the signer). aiprov keeps the trusted
layer apart (`C2paReport.trusted`, and CAWG identity codes in
`identity_failures`) and splits the rest by what the operator has to do:

- tampered: a hash or the claim signature was checked and did not match, so
  the content or the claim changed after signing. The rubrics file
  `claimSignature.mismatch` under *trusted*; aiprov counts it here, because a
  signature that does not verify means the claim's bytes are not the ones that
  were signed, whoever the signer is.
- unsupported: the manifest is in a form this reader cannot check at all (a
  pre-release CAI draft, an unknown signing or hashing algorithm, a newer claim
  version). A `claimSignature.mismatch` beside `algorithm.unsupported` is the
  reader's way of saying it could not check the signature, not evidence of a
  change.
- unreadable: the manifest, its binding to the content, or an assertion that
  can declare AI (actions, ingredients, anything aiprov cannot rule out) is
  structurally broken: nothing it says can be read or checked.
- malformed: content and claim check out, but an assertion that can never
  declare AI (a CAWG identity, a thumbnail) is structurally broken. Nothing
  about AI is hidden; who is named as the author, or the preview, is lost.

Codes aiprov does not know fail closed (unreadable), never silently intact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import INTACT, MALFORMED, TAMPERED, UNREADABLE_MANIFEST, UNSUPPORTED

# The trusted layer: who signed and when, not what was signed.
TRUST_PREFIXES = ("signingCredential.", "timeStamp.", "claimSignature.outsideValidity", "general.ocsp")
# CAWG identity assertion results: whose name is attached (kept in identity_failures).
IDENTITY_PREFIXES = ("cawg.",)

# The valid layer: a hash or signature was computed and differs from the signed value.
MISMATCH_SUFFIXES = (".mismatch", ".hashMismatch")
# An assertion taken out of, or slipped into, the manifest after the claim was signed.
CHANGED_AFTER_SIGNING = {"assertion.missing", "assertion.undeclared", "assertion.notRedacted",
                         "assertion.hardBinding.redacted"}
# What this reader cannot check. com.adobe.prerelease is c2pa-rs's own code for a pre-1.0 CAI manifest.
UNSUPPORTED_CODES = {"algorithm.unsupported", "com.adobe.prerelease"}
# Structural codes about one assertion: what they hide depends on which assertion it is.
ASSERTION_STRUCTURE_CODES = {"assertion.cbor.invalid", "assertion.json.invalid", "assertion.required.missing",
                             "assertion.action.malformed", "assertion.ingredient.malformed",
                             "assertion.action.ingredientMismatch", "assertion.action.redactionMismatch",
                             "assertion.external-reference.malformed", "assertion.inaccessible",
                             "assertion.alternativeContentRepresentation.malformed"}
# Assertions whose content can never say that a file is AI (C2PA 2.x and CAWG labels).
NON_DECLARING_LABELS = ("c2pa.thumbnail.", "c2pa.icon", "c2pa.depthmap.", "cawg.identity", "cawg.ica.",
                        "cawg.training-mining", "c2pa.soft-binding", "c2pa.time-stamp", "c2pa.certificate-status",
                        "font.info")
# Hard bindings tie the claim to the content: one that is broken leaves the manifest bound to nothing.
HARD_BINDING_LABELS = ("c2pa.hash.",)


# What a deciding code means, for the codes an operator meets most.
CODE_WORDS = {
    "com.adobe.prerelease": "a pre-release (draft) CAI manifest from before C2PA 1.0",
    "algorithm.unsupported": "it names an algorithm this reader does not know",
    "no active manifest": "c2pa found no active manifest in it",
    "assertion.required.missing": "c2pa could not decode one of its assertions and does not say which",
}


@dataclass
class Verdict:
    """The integrity state and the failures behind it."""

    integrity: str
    trust: list[str] = field(default_factory=list)
    identity: list[str] = field(default_factory=list)
    deciding: list[tuple[str, str | None]] = field(default_factory=list)  # (code, assertion label or None)

    @property
    def words(self) -> str:
        """The deciding failures for a person, each with its status code."""
        out = []
        for code, label in self.deciding:
            if label:
                out.append(f"its {label} assertion is malformed ({code})")
            elif code in CODE_WORDS:
                out.append(f"{CODE_WORDS[code]} ({code})" if "." in code else CODE_WORDS[code])
            else:
                out.append(code)
        return "; ".join(dict.fromkeys(out))


def assertion_label(url: str | None) -> str | None:
    """`self#jumbf=/c2pa/<manifest>/c2pa.assertions/cawg.identity` -> `cawg.identity`."""
    if not url or "c2pa.assertions/" not in url:
        return None
    return url.rsplit("c2pa.assertions/", 1)[1].split("/", 1)[0] or None


def can_declare_ai(label: str | None) -> bool:
    """Unknown or unnamed assertions might: only the listed kinds are known not to."""
    return not (label and label.startswith(NON_DECLARING_LABELS))


def sort_failures(failures: list[tuple[str, str | None]], has_manifest: bool = True) -> Verdict:
    """Failures of the active manifest, as (code, url) pairs, -> its integrity state."""
    v = Verdict(INTACT)
    tampered, unsupported, unreadable, malformed = [], [], [], []
    for code, url in failures:
        if code.startswith(TRUST_PREFIXES):
            v.trust.append(code)
        elif code.startswith(IDENTITY_PREFIXES):
            v.identity.append(code)
        elif code.endswith(MISMATCH_SUFFIXES) or code in CHANGED_AFTER_SIGNING:
            tampered.append((code, None))
        elif code in UNSUPPORTED_CODES:
            unsupported.append((code, None))
        elif code in ASSERTION_STRUCTURE_CODES or (code.startswith("assertion.") and code.endswith(".malformed")):
            label = assertion_label(url)
            if label and not can_declare_ai(label) and not label.startswith(HARD_BINDING_LABELS):
                malformed.append((code, label))
            else:
                unreadable.append((code, label))
        else:
            unreadable.append((code, None))  # claim.*, manifest.*, general.error, and codes aiprov does not know
    if unsupported and {code for code, _ in tampered} <= {"claimSignature.mismatch"}:
        tampered = []  # the signature could not be checked, so its "mismatch" says nothing
    if tampered:
        v.integrity, v.deciding = TAMPERED, tampered
    elif unsupported:
        v.integrity, v.deciding = UNSUPPORTED, unsupported
    elif unreadable or not has_manifest:
        v.integrity, v.deciding = UNREADABLE_MANIFEST, unreadable or [("no active manifest", None)]
    elif malformed:
        v.integrity, v.deciding = MALFORMED, malformed
    return v


def identity_is_well_formed(data) -> bool:
    """The CAWG identity assertion's required fields (CAWG Identity Assertion 1.x, section 5.2)."""
    if not isinstance(data, dict) or not isinstance(data.get("signer_payload"), dict):
        return False
    payload = data["signer_payload"]
    referenced = payload.get("referenced_assertions")
    return (isinstance(referenced, list) and all(isinstance(r, dict) and "url" in r and "hash" in r for r in referenced)
            and isinstance(payload.get("sig_type"), str) and "signature" in data and "pad1" in data)


def actions_are_well_formed(data) -> bool:
    actions = data.get("actions") if isinstance(data, dict) else None
    return isinstance(actions, list) and all(isinstance(a, dict) and isinstance(a.get("action"), str)
                                             for a in actions)


# Assertions c2pa-rs decodes into typed structures when it summarises a manifest, besides
# actions, ingredients, thumbnails and CAWG identity. Every other assertion is carried as
# generic CBOR, which cannot fail at that point (measured with c2pa-python 0.38.1 /
# c2pa-rs 0.91.3: CreativeWork, EXIF, training-mining and custom labels with junk content
# still load; a CAWG identity without its required fields does not).
OTHER_TYPED_LABELS = ("c2pa.metadata", "c2pa.soft-binding")


def broken_assertions(store: dict, dropped: bool = True) -> list[str]:
    """The assertions of a raw assertion store behind a failure c2pa reported on the whole manifest.

    c2pa-rs reports `assertion.required.missing` on the whole manifest, and
    drops it from its summary (`dropped`), when one typed assertion fails to
    decode, without naming it. aiprov checks the ones it can against their
    own specifications; when those that can declare AI are sound, the only
    other typed kind, the CAWG identity, is the one that failed. Anything else
    stays unnamed (and so fails closed).
    """
    broken = []
    for label, data in store.items():
        if label.startswith("cawg.identity") and not identity_is_well_formed(data):
            broken.append(label)
        elif label.startswith("c2pa.actions") and not actions_are_well_formed(data):
            broken.append(label)
        elif label.startswith("c2pa.ingredient") and not isinstance(data, dict):
            broken.append(label)
    if broken or not dropped or any(label.startswith(OTHER_TYPED_LABELS) for label in store):
        return broken
    return [label for label in store if label.startswith("cawg.identity")]
