"""Evidence -> verdict. The rules, in the order they win:

1. A declaration or a generator's own marker that the file is AI (weight >=
   0.5) makes it `ai`, or `ai-composite` when every such fact says "part of
   it". A file that says it is AI is treated as AI, whoever signed it, and
   even when something else in the file says the opposite (that contradiction
   is reported as a warning).
2. A file that could not be read (empty, cut off, corrupt, a reader crashed or
   hung) is `unreadable`, with the reason: nothing it might hide was seen.
3. A file that declares a non-generative origin (an IPTC capture, scan or
   human-edit code; a camera maker's C2PA capture) is `not-ai`: positive
   evidence, as strong as who declared it.
4. A file read completely whose metadata says nothing about AI either way is
   `no-ai-declared`: checked, and nothing declares AI, which is not the same
   as "not AI". Weak hints (a generator's name in a caption, text shaped like
   a prompt) stay in its evidence with their weight.
5. A file with no provenance metadata at all is `unknown`: nothing says it is
   AI, nothing says where it came from (stripped, re-encoded, or a bare render).

The generator is named only for a file found to be AI, from the facts that
decided it: a C2PA manifest's own naming first (its action's softwareAgent,
AI disclosure, claim generator, signer: c2pa_declarations.py), then the
file's other fields by weight. `generator_source` says which field named it.
"""

from __future__ import annotations

from .markers import DST_MEANING
from .model import AI, AI_COMPOSITE, NO_AI_DECLARED, NOT_AI, UNKNOWN, UNREADABLE, Evidence, Inspection

DECIDING_WEIGHT = 0.5


def _naming_rank(e: Evidence) -> tuple:
    """C2PA's naming order before the file's other fields; then the stronger fact, then a known name."""
    return (0 if (e.named_by or "").startswith("C2PA") else 1, -e.weight)


def name_generator(insp: Inspection, ai_facts: list[Evidence]) -> None:
    named = sorted((e for e in ai_facts if e.generator), key=_naming_rank)
    if not named:  # a weaker mention is better than nothing, once the file is AI
        named = sorted((e for e in insp.evidence if e.generator and e.implies in (AI, AI_COMPOSITE)),
                       key=lambda e: -e.weight)
    if named:
        insp.generator = named[0].generator
        insp.generator_source = named[0].named_by or f"{named[0].source} {named[0].field}"


def classify(insp: Inspection, problems: list[str], has_metadata: bool) -> Inspection:
    ai_facts = [e for e in insp.evidence if e.implies in (AI, AI_COMPOSITE) and e.weight >= DECIDING_WEIGHT]
    not_ai = [e for e in insp.evidence if e.implies == NOT_AI and e.weight > 0]
    declared = [e.digital_source_type for e in insp.evidence if e.digital_source_type]
    # A generator is named only for a file found to be AI: a weak mention (a "runway" in a
    # caption) that decided nothing must not show up as the generator of a file that is not.
    insp.generator = insp.generator_source = None
    if ai_facts:
        name_generator(insp, ai_facts)
        ai_dst = [d for d in declared if d.endswith("/trainedAlgorithmicMedia")]
        composite_dst = [d for d in declared if d.endswith("/compositeWithTrainedAlgorithmicMedia")]
        whole = any(e.implies == AI for e in ai_facts)
        insp.verdict = AI if whole else AI_COMPOSITE
        insp.digital_source_type = (ai_dst or composite_dst or [None])[0] if whole else (composite_dst or ai_dst or [None])[0]
        strongest = max(ai_facts, key=lambda e: e.weight)
        insp.reason = f"{strongest.source} {strongest.field}: {strongest.value}"
        contrary = sorted({d.rsplit("/", 1)[-1] for d in declared if DST_MEANING.get(d.rsplit("/", 1)[-1]) == NOT_AI})
        if contrary:
            insp.warnings.append("contradictory provenance: the file also declares " + ", ".join(contrary)
                                 + "; the AI declaration wins")
        if problems:
            insp.warnings.extend(problems)
        return insp
    insp.digital_source_type = declared[0] if declared else None
    if problems:
        insp.verdict = UNREADABLE
        insp.error = problems[0] if len(problems) == 1 else "; ".join(problems)
        insp.reason = insp.error
        return insp
    if not_ai:
        strongest = max(not_ai, key=lambda e: e.weight)
        insp.verdict = NOT_AI
        insp.reason = f"declares a non-generative origin: {strongest.source} {strongest.field}: {strongest.value}"
        return insp
    if has_metadata:
        insp.verdict = NO_AI_DECLARED
        hints = sorted((e for e in insp.evidence if e.implies in (AI, AI_COMPOSITE) and e.weight > 0),
                       key=lambda e: -e.weight)
        insp.reason = "metadata read; none of it declares AI, nor a non-generative origin"
        if hints:
            insp.reason += f" (a weak hint, weight {hints[0].weight:g}: {hints[0].source} {hints[0].field}: " \
                           f"{hints[0].value})"
        return insp
    insp.verdict = UNKNOWN
    insp.reason = "no provenance metadata at all: nothing says AI, nothing says where it came from"
    return insp
