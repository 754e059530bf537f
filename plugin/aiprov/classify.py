"""Evidence -> verdict. The rules, in the order they win:

1. A declaration or a generator's own marker that the file is AI (weight >=
   0.5) makes it `ai`, or `ai-composite` when every such fact says "part of
   it". A file that says it is AI is treated as AI, whoever signed it, and
   even when something else in the file says the opposite (that contradiction
   is reported as a warning).
2. A file that could not be read (empty, cut off, corrupt, a reader crashed or
   hung) is `unreadable`, with the reason: nothing it might hide was seen.
3. A file read completely that carries provenance metadata and none of it
   says AI is `not-ai`.
4. A file with no provenance metadata at all is `unknown`: nothing says it is
   AI, nothing says where it came from (stripped, re-encoded, or a bare render).
"""

from __future__ import annotations

from .markers import DST_MEANING
from .model import AI, AI_COMPOSITE, NOT_AI, UNKNOWN, UNREADABLE, Inspection

DECIDING_WEIGHT = 0.5


def classify(insp: Inspection, problems: list[str], has_metadata: bool) -> Inspection:
    ai_facts = [e for e in insp.evidence if e.implies in (AI, AI_COMPOSITE) and e.weight >= DECIDING_WEIGHT]
    not_ai = [e for e in insp.evidence if e.implies == NOT_AI and e.weight > 0]
    declared = [e.digital_source_type for e in insp.evidence if e.digital_source_type]
    gens = [e.generator for e in sorted(insp.evidence, key=lambda e: -e.weight)
            if e.generator and e.implies in (AI, AI_COMPOSITE)]
    # A generator is named only for a file found to be AI: a weak mention (a "runway" in a
    # caption) that decided nothing must not show up as the generator of a not-ai file.
    insp.generator = None
    if ai_facts:
        insp.generator = gens[0] if gens else None
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
    if not_ai or has_metadata:
        insp.verdict = NOT_AI
        strongest = max(not_ai, key=lambda e: e.weight) if not_ai else None
        insp.reason = (f"{strongest.source} {strongest.field}: {strongest.value}" if strongest
                       else "provenance metadata read; none of it says AI")
        return insp
    insp.verdict = UNKNOWN
    insp.reason = "no provenance metadata at all: nothing says AI, nothing says where it came from"
    return insp
