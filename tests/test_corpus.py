"""Every file other tools made gets the answer its manifest expects."""

from __future__ import annotations

import pytest

from aiprov.pipeline import inspect_paths

from .conftest import CORPUS, corpus_rows

# manifest.tsv's expect_ai -> the verdicts that answer it. "no" is no-ai-declared (metadata read,
# none of it declares AI) or unknown (no provenance at all); "not-ai" is a declared non-generative
# origin (an IPTC capture or procedural source type).
ACCEPTED = {
    "yes": {"ai", "ai-composite"},
    "no": {"no-ai-declared", "unknown"},
    "not-ai": {"not-ai"},
    "unreadable": {"unreadable"},
    "no-or-unreadable": {"no-ai-declared", "unknown", "unreadable"},
}
C2PA = {
    "present": (True, "intact"),
    "tampered": (True, "tampered"),
    "malformed": (True, "malformed"),
    "unsupported": (True, "unsupported"),
    "unreadable": (True, "unreadable"),
    "none": (False, None),
}


@pytest.fixture(scope="module")
def results(corpus):
    rows = corpus_rows()
    paths = [str(corpus / r["path"]) for r in rows]
    found = {r.path: r for r in inspect_paths(paths, workers=2)}
    return {r["path"]: found[str(corpus / r["path"])] for r in rows}


@pytest.mark.parametrize("row", corpus_rows(), ids=lambda r: r["path"])
def test_corpus_file_gets_expected_verdict_and_c2pa_state(results, row):
    insp = results[row["path"]]
    assert insp.verdict in ACCEPTED[row["expect_ai"]], (insp.verdict, insp.reason, row["note"])
    present, integrity = C2PA[row["expect_c2pa"]]
    assert insp.c2pa.present is present, insp.c2pa
    assert insp.c2pa.integrity == integrity, insp.c2pa.status_codes


def test_generators_are_named(results):
    names = {p: results[p].generator for p in results if p.startswith("generators/")}
    assert names == {
        "generators/automatic1111_cropped.png": "AUTOMATIC1111",
        "generators/img2img_cropped.png": "ComfyUI",
        "generators/unclip_2pass_cropped.png": "ComfyUI",
        "generators/invokeai_dream1.png": "InvokeAI",
        "generators/novelai1_cropped.png": "NovelAI",
    }


def test_untrusted_test_signer_is_reported_apart_from_integrity(results):
    c = results["c2pa/C.jpg"].c2pa
    assert (c.integrity, c.trusted) == ("intact", False)
    assert "signingCredential.untrusted" in c.status_codes


def test_cawg_identity_failure_is_not_tampering(results):
    c = results["c2pa/C_with_CAWG_data.jpg"].c2pa
    assert c.integrity == "intact"
    assert c.identity_failures and all(code.startswith("cawg.") for code in c.identity_failures)


def test_c2pa_ingredient_is_listed_as_a_parent(results):
    ingredients = results["c2pa/CA.jpg"].c2pa.ingredients
    assert [(i.title, i.relationship) for i in ingredients] == [("A.jpg", "parentOf")]


def test_algorithmic_media_is_not_generative_ai(results):
    insp = results["c2pa/C.jpg"]
    assert insp.verdict == "not-ai"
    assert insp.digital_source_type.endswith("/algorithmicMedia")


def test_corpus_is_read_in_place_unchanged():
    # The corpus is read-only input; reading must not leave anything beside it.
    assert not list(CORPUS.rglob("*.xmp"))


def test_every_ai_file_in_the_corpus_names_its_generator_and_what_named_it(results):
    named = {row["path"]: (results[row["path"]].generator, getattr(results[row["path"]], "generator_source", None))
             for row in corpus_rows() if row["expect_ai"] == "yes"}
    assert named and all(generator and source for generator, source in named.values()), named


def test_no_camera_scanned_or_edited_file_in_the_corpus_turns_ai_or_names_a_generator(results):
    for row in corpus_rows():
        if row["expect_ai"] not in ("no", "not-ai"):
            continue
        insp = results[row["path"]]
        assert insp.verdict not in ("ai", "ai-composite") and insp.generator is None, (row["path"], insp.reason)
        assert not [e for e in insp.evidence if e.implies in ("ai", "ai-composite") and e.weight > 0], row["path"]


def test_a_declared_capture_is_not_ai_and_camera_or_editor_tags_alone_declare_nothing(results):
    assert results["c2pa/C_with_CAWG_data.jpg"].verdict == "not-ai"  # C2PA digitalCapture
    for path in ("plain/A.jpg", "plain/cloud.jpg"):  # a Canon still through Lightroom; a Photoshop export
        assert results[path].verdict == "no-ai-declared", results[path].reason
