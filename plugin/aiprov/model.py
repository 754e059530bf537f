"""The values that pass between aiprov's stages.

Every stage (probe, classify, policy, ledger, report) takes and returns these
plain dataclasses, so a stage never needs to know which command called it and
results can cross the process boundary of the isolated readers (they pickle).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .version import RULES_VERSION

# Verdicts, from "says it is AI" to "could not be read" (classify.py says what each rests on).
AI = "ai"
AI_COMPOSITE = "ai-composite"
NOT_AI = "not-ai"  # positive evidence of a non-generative origin: a declared capture, scan, human edit
NO_AI_DECLARED = "no-ai-declared"  # metadata read, none of it says AI, nothing says where it came from
UNKNOWN = "unknown"
UNREADABLE = "unreadable"
VERDICTS = (AI, AI_COMPOSITE, NOT_AI, NO_AI_DECLARED, UNKNOWN, UNREADABLE)
AI_VERDICTS = (AI, AI_COMPOSITE)

# What a piece of evidence points to. Weight says how strongly (0..1).
IMPLIES_AI = "ai"
IMPLIES_AI_COMPOSITE = "ai-composite"
IMPLIES_NOT_AI = "not-ai"
IMPLIES_NOTHING = None

# C2paReport.integrity, from "checks out" to "cannot be checked" (c2pa_integrity.py sorts the codes).
INTACT = "intact"
TAMPERED = "tampered"
MALFORMED = "malformed"
UNSUPPORTED = "unsupported"
UNREADABLE_MANIFEST = "unreadable"
INTEGRITY_STATES = (INTACT, TAMPERED, MALFORMED, UNSUPPORTED, UNREADABLE_MANIFEST)
# A manifest in these states proves nothing and may hide an AI declaration nobody could read.
UNCHECKED_MANIFEST = (UNSUPPORTED, UNREADABLE_MANIFEST)


@dataclass(frozen=True)
class Evidence:
    """One fact read from a file, with what it says about AI origin.

    `weight` is how much the fact alone should move the verdict: 1.0 is an
    explicit declaration (an IPTC code, a generator's own parameters chunk),
    0.5 a strong hint (a tool name known to be a generator), 0.0 context that
    is shown to the user but decides nothing.
    """

    source: str  # the probe: "c2pa", "xmp", "xmp-sidecar", "exif", "png-text", ...
    field: str  # where in the file: "Iptc4xmpExt:DigitalSourceType", "tEXt:parameters"
    value: str  # the value as read, shortened for display
    weight: float = 0.0
    implies: str | None = IMPLIES_NOTHING
    generator: str | None = None  # the generator this fact names, if any
    digital_source_type: str | None = None  # the IPTC code this fact declares, if any
    named_by: str | None = None  # where the generator's name was read, when not this fact's own field

    def to_dict(self) -> dict[str, Any]:
        d = {"source": self.source, "field": self.field, "value": self.value, "weight": self.weight}
        if self.implies:
            d["implies"] = self.implies
        if self.generator:
            d["generator"] = self.generator
        if self.named_by:
            d["named_by"] = self.named_by
        return d


@dataclass
class Ingredient:
    """A C2PA ingredient: a parent (or component) the manifest says this file was made from."""

    title: str | None
    relationship: str | None  # parentOf, componentOf, inputTo
    format: str | None = None
    instance_id: str | None = None
    document_id: str | None = None
    manifest_label: str | None = None
    digital_source_type: str | None = None  # declared by the ingredient's own manifest

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class C2paReport:
    """What the C2PA reader concluded, keeping trust apart from integrity.

    integrity: "intact" when every hash and the claim signature match;
    "tampered" when one of them does not (the content or claim changed after
    signing); "malformed" when they match but an assertion that cannot declare
    AI (a CAWG identity, a thumbnail) is broken; "unsupported" when this reader
    cannot check the manifest at all (a pre-release draft, an unknown
    algorithm); "unreadable" when the manifest, its binding to the content or
    an assertion that can declare AI cannot be read; None when there is no
    manifest. trusted: whether the signer chains to a trust anchor (False for
    test and self-signed certificates, which are common on real AI output),
    None when there is no manifest or it could not be checked.
    """

    present: bool = False
    integrity: str | None = None
    trusted: bool | None = None
    validation_state: str | None = None
    status_codes: list[str] = field(default_factory=list)
    identity_failures: list[str] = field(default_factory=list)
    claim_generator: str | None = None
    ingredients: list[Ingredient] = field(default_factory=list)
    error: str | None = None  # what is wrong with a manifest that is there but cannot be used in full

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "integrity": self.integrity,
            "trusted": self.trusted,
            "validation_state": self.validation_state,
            "status_codes": list(self.status_codes),
            "identity_failures": list(self.identity_failures),
            "claim_generator": self.claim_generator,
            "ingredients": [i.to_dict() for i in self.ingredients],
            "error": self.error,
        }


@dataclass
class Inspection:
    """Everything aiprov read from one file and the verdict it reached."""

    path: str
    verdict: str = UNKNOWN
    generator: str | None = None
    generator_source: str | None = None  # what named the generator: "C2PA claim generator", "png-text tEXt:parameters"
    digital_source_type: str | None = None
    c2pa: C2paReport = field(default_factory=C2paReport)
    evidence: list[Evidence] = field(default_factory=list)
    error: str | None = None
    media_type: str | None = None  # "image/png", "video/quicktime", ...
    size: int | None = None
    content_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None  # one line: why this verdict
    fspath: bytes | None = field(default=None, repr=False)  # the exact name on disk (not in reports)
    likeness: Any = field(default=None, repr=False)  # a perceptual print (likeness.Print), when asked for
    script: Any = field(default=None, repr=False)  # a comp script's lineage (compscripts.ScriptReport)
    rules: int = RULES_VERSION  # the rules it was judged under (older ones are judged again)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "verdict": self.verdict,
            "generator": self.generator,
            "generator_source": self.generator_source,
            "digital_source_type": self.digital_source_type,
            "reason": self.reason,
            "media_type": self.media_type,
            "size": self.size,
            "content_id": self.content_id,
            "c2pa": self.c2pa.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "warnings": list(self.warnings),
            "error": self.error,
        }


@dataclass
class Finding:
    """A policy breach on one file: what rule, how bad, and what to do."""

    rule: str  # ai-in-finals, unreadable-in-finals, invalid-provenance, unverifiable-provenance, ... (policy.py)
    severity: str  # "error" | "warning"
    message: str
    path: str
    content_id: str | None = None
    zone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
