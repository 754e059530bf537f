"""`aiprov report disclosure`: built from a real ledger of a small production, approvals made by the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil

import jsonschema
import pytest

from .conftest import REPO, SAMPLES
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy

SCHEMA = json.loads((REPO / "schemas" / "disclosure.schema.json").read_text())


@pytest.fixture
def production(tmp_path, ledger_target):
    """Night Harbour: an approved AI poster and an unapproved AI plate in finals, AI concept art in working,
    and an AI temp shot that was in finals once and was moved back to working."""
    prod = tmp_path / "night_harbour"
    (prod / "aiprov.toml").parent.mkdir(parents=True)
    (prod / "aiprov.toml").write_text(f'production = "Night Harbour"\nledger = "{ledger_target}"\ndefault_zone = "working"\n'
                                      '[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    copy(AI_STILL, prod / "finals" / "stills" / "poster_insert.jpg")
    copy(SAMPLES / "production" / "finals" / "plates" / "sky_replacement_ai.png",
         prod / "finals" / "plates" / "sky_replacement.png")
    copy(CAMERA_STILL, prod / "finals" / "stills" / "camera_still.jpg")
    copy(SAMPLES / "production" / "working" / "concept" / "ai_concept_art.png", prod / "working" / "concept" / "art.png")
    copy(SAMPLES / "video" / "ai_temp_shot_prores.mov", prod / "finals" / "shots" / "sh020_temp.mov")
    assert aiprov("scan", prod).returncode == 1  # three unapproved AI files in finals
    (prod / "working" / "shots").mkdir(parents=True)
    shutil.move(prod / "finals" / "shots" / "sh020_temp.mov", prod / "working" / "shots" / "sh020_temp.mov")
    r = aiprov("approve", prod / "finals" / "stills" / "poster_insert.jpg", "--by", "Dana Whitfield, VFX supervisor",
               "--reason", "poster insert approved after studio review", "--reference", "NH-GENAI-0042",
               "--category", "creative-output", "--category", "data-use", "--copyright", "yes", "--data-use", "yes",
               "--enterprise-environment", "yes", "--final-use", "yes", "--talent", "unsure", cwd=prod)
    assert r.returncode == 0, r.stderr
    assert aiprov("scan", prod).returncode == 1  # the sky plate is still unapproved
    return prod


def test_disclosure_json_lists_approved_ai_with_its_answers_and_unapproved_ai_in_finals(production):
    r = aiprov("report", "disclosure", "--format", "json", cwd=production)  # ledger and config found from the cwd
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["production"] == "Night Harbour"
    assert report["summary"] == {"ai_assets_in_finals": 3, "approved": 1, "unapproved": 2,
                                 "still_in_finals_unapproved": 1}
    (poster,) = report["approved"]
    assert poster["finals_paths"] == [str(production / "finals" / "stills" / "poster_insert.jpg")]
    assert poster["verdict"] == "ai" and poster["generator"] == "Midjourney" and poster["in_finals_now"]
    (approval,) = poster["approvals"]
    assert approval["approved_by"] == "Dana Whitfield, VFX supervisor" and approval["reference"] == "NH-GENAI-0042"
    assert approval["categories"] == ["creative-output", "data-use"]
    assert approval["answers"] == {"copyright": "yes", "data_use": "yes", "enterprise_environment": "yes",
                                   "final_use": "yes", "talent": "unsure"}
    assert approval["reason"] == "poster insert approved after studio review" and approval["approved_at"]
    unapproved = {e["finals_paths"][0].rsplit("/", 1)[1]: e for e in report["unapproved"]}
    assert set(unapproved) == {"sky_replacement.png", "sh020_temp.mov"}
    assert unapproved["sky_replacement.png"]["verdict"] == "ai-composite" and unapproved["sky_replacement.png"]["in_finals_now"]
    moved = unapproved["sh020_temp.mov"]  # it reached finals once: it is disclosed, with where it is now
    assert not moved["in_finals_now"] and moved["approvals"] == []
    assert {(l["zone"], l["gone"]) for l in moved["locations"]} == {("finals", True), ("working", False)}
    # AI that only ever lived in working, and non-AI material in finals, are not part of the disclosure
    everything = json.dumps(report)
    assert "art.png" not in everything and "camera_still.jpg" not in everything


def test_revoked_approval_moves_the_asset_to_unapproved(production):
    assert aiprov("revoke", "1", "--by", "Studio legal", "--reason", "rights unclear", cwd=production).returncode == 0
    report = json.loads(aiprov("report", "disclosure", "--format", "json", cwd=production).stdout)
    assert report["approved"] == []
    poster = next(e for e in report["unapproved"] if e["finals_paths"][0].endswith("poster_insert.jpg"))
    assert poster["status"] == "revoked" and poster["approvals"][0]["revoked_by"] == "Studio legal"


def test_disclosure_csv_has_one_row_per_approval_with_the_five_answers(production, tmp_path):
    out = tmp_path / "disclosure.csv"
    r = aiprov("report", "disclosure", "--format", "csv", "-o", out, cwd=production)
    assert r.returncode == 0 and "3 AI asset(s) reached finals: 1 approved, 2 without an approval" in r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["status"] for row in rows] == ["approved", "unapproved", "unapproved"]
    assert rows[0]["approved_by"] == "Dana Whitfield, VFX supervisor" and rows[0]["reference"] == "NH-GENAI-0042"
    assert (rows[0]["copyright"], rows[0]["data_use"], rows[0]["enterprise_environment"], rows[0]["final_use"],
            rows[0]["talent"]) == ("yes", "yes", "yes", "yes", "unsure")
    assert rows[0]["categories"] == "creative-output; data-use"
    assert all(row["approved_by"] == "" for row in rows[1:])


def test_disclosure_html_is_one_page_a_studio_can_read(production, tmp_path):
    out = tmp_path / "disclosure.html"
    assert aiprov("report", "disclosure", "-o", out, cwd=production).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Generative AI disclosure: Night Harbour" in page
    assert "Approved for final use" in page and "Dana Whitfield, VFX supervisor" in page and "NH-GENAI-0042" in page
    assert "In finals without an approval for final use" in page and "sky_replacement.png" in page
    assert "<td class='unsure'>unsure</td>" in page  # an answer that is not a yes stands out


def test_empty_ledger_gives_an_empty_disclosure(tmp_path, ledger_target):
    assert aiprov("ledger", "migrate", "--ledger", ledger_target, cwd=tmp_path).returncode == 0  # a new, empty ledger
    r = aiprov("report", "disclosure", "--format", "json", "--ledger", ledger_target, cwd=tmp_path)
    report = json.loads(r.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["summary"]["ai_assets_in_finals"] == 0 and report["approved"] == report["unapproved"] == []
