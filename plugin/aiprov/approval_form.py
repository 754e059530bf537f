"""A written approval for final use as a person gives it: who, why, the studio's reference,
its categories and the answers to the five guiding questions.

The same form reaches aiprov as command-line flags, a JSON file, or both (the
flags win), so a studio's approval tool can hand over what it collected.
"""

from __future__ import annotations

import json
import sys

from .errors import UsageError

# The five guiding questions (keys of an approval's `answers`), with short column headings.
QUESTIONS = {
    "copyright": ("Copyright", "the output does not replicate or substantially recreate unowned or copyrighted material"),
    "data_use": ("Data use", "the tool does not store, reuse or train on production data"),
    "enterprise_environment": ("Enterprise environment", "the tool ran in an enterprise-secured environment"),
    "final_use": ("Final use", "the material was escalated and is approved to be final, not temp"),
    "talent": ("Talent", "no talent performance or union-covered work was replaced or generated without consent"),
}
ANSWERS = ("yes", "no", "unsure")
CATEGORIES = ("data-use", "creative-output", "talent-and-performance", "ethics-and-representation")


class ApprovalFormError(UsageError):
    """The approval is missing what it must say, or says something aiprov cannot record."""


def read_form(from_json: str | None, **given) -> dict:
    """The approval from the JSON file `from_json` (- for stdin) and the flags `given` (by,
    reason, reference, categories, and the questions' answers), checked: by and reason are
    required, an unanswered question is `unsure`."""
    data = {}
    if from_json:
        with (sys.stdin if from_json == "-" else open(from_json, encoding="utf-8")) as fh:
            try:
                data = json.load(fh)
            except ValueError as exc:
                raise ApprovalFormError(f"--from-json {from_json}: not valid JSON ({exc})")
    return form_from(data, **given)


def form_from(data: dict, **given) -> dict:
    """The approval from already parsed JSON `data` (the desk's API receives it) and `given`, checked
    as read_form checks it."""
    if not isinstance(data, dict):
        raise ApprovalFormError("an approval is a JSON object (by, reason, reference, categories, answers)")
    if not isinstance(data.get("answers", {}), dict):
        raise ApprovalFormError("answers must be an object: {\"copyright\": \"yes\", ...}")
    merged = {**data, **{k: v for k, v in given.items() if v not in (None, ())}}
    for key in ("by", "reason"):
        if not merged.get(key):
            raise ApprovalFormError(f"--{key} is required (or give it in --from-json)")
    for key in ("by", "reason", "reference"):
        if merged.get(key) is not None and not isinstance(merged[key], str):
            raise ApprovalFormError(f"{key} must be text")
    answers = {q: merged.get("answers", {}).get(q) or merged.get(q) or "unsure" for q in QUESTIONS}
    bad = {q: a for q, a in answers.items() if a not in ANSWERS}
    if bad:
        raise ApprovalFormError(f"answers must be yes, no or unsure: {bad}")
    cats = merged.get("categories") or merged.get("category") or ["creative-output"]
    cats = [cats] if isinstance(cats, str) else list(cats)
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown:
        raise ApprovalFormError(f"unknown approval category {unknown}; known: {', '.join(CATEGORIES)}")
    return {"by": merged["by"], "reason": merged["reason"], "reference": merged.get("reference"),
            "categories": cats, "answers": answers}
