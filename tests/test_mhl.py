"""ASC MHL: `aiprov mhl verify` and `aiprov seal` against histories written by the real ascmhl."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import xml.etree.ElementTree as ET

import pytest

from .conftest import SAMPLES
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy

# ascmhl pins an older click than aiprov's, so `make install` gives it a venv of its own beside .venv.
ASCMHL = Path(os.environ["AIPROV_ASCMHL"])  # conftest: .venv-ascmhl unless set


@pytest.fixture(autouse=True)
def ascmhl_installed():
    if not ASCMHL.is_file():
        pytest.fail(f"the ascmhl command line is not at {ASCMHL}: run `make install` (it makes .venv-ascmhl), "
                    "or set AIPROV_ASCMHL to an ascmhl executable")


def ascmhl(*args) -> subprocess.CompletedProcess:
    """The real ascmhl command line, as a DIT runs it."""
    return subprocess.run([str(ASCMHL), *map(str, args)], capture_output=True, text=True, timeout=120)


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))}


@pytest.fixture
def delivery(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "stills" / "A001C003_still.jpg")
    copy(SAMPLES / "video" / "camera_clip.mov", d / "video" / "A001C003.mov")
    copy(SAMPLES / "exr" / "camera_plate.exr", d / "plates" / "sh010_plate.exr")
    return d


@pytest.fixture
def ledger(ledger_target):
    """--ledger for each backend: the MHL checks hold against SQLite and PostgreSQL ledgers alike."""
    return ["--ledger", ledger_target]


def test_history_made_by_ascmhl_verifies_and_its_hashes_are_the_ledger_content_ids(delivery, ledger):
    made = ascmhl("create", "-h", "xxh128", delivery)
    assert made.returncode == 0, made.stdout + made.stderr
    scanned = aiprov("scan", delivery, *ledger, "--format", "json")
    assert scanned.returncode == 0, scanned.stdout
    content_ids = {os.path.relpath(f["path"], delivery): f["content_id"] for f in json.loads(scanned.stdout)["files"]}
    content_ids = {p: c for p, c in content_ids.items() if not p.startswith("ascmhl/")}
    r = aiprov("mhl", "verify", delivery, *ledger, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(r.stdout)
    files = {f["path"]: f for f in result["files"]}
    assert set(files) == set(content_ids) == {"stills/A001C003_still.jpg", "video/A001C003.mov",
                                              "plates/sh010_plate.exr"}
    for path, f in files.items():
        assert f["status"] == "ok" and f["hash_format"] == "xxh128" and f["generation"] == 1
        assert f["mhl_hash"] == f["content_id"] == f["ledger_content_id"] == content_ids[path]
        assert f["verdict"] == ("not-ai" if path.startswith("stills/") else "no-ai-declared")  # a declared capture
    assert result["summary"]["matching_ledger"] == 3
    assert result["generations"][0]["tool"].startswith("ascmhl")
    # the check is on record: lookup shows it in the file's history
    answer = json.loads(aiprov("lookup", delivery / "video" / "A001C003.mov", *ledger, "--json").stdout)
    assert "mhl-verified" in [e["kind"] for e in answer["events"]]


def test_corrupted_and_missing_files_are_reported(delivery, ledger):
    assert ascmhl("create", "-h", "xxh128", delivery).returncode == 0
    clip = delivery / "video" / "A001C003.mov"
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the picture
    clip.write_bytes(data)
    (delivery / "plates" / "sh010_plate.exr").unlink()
    r = aiprov("mhl", "verify", delivery, *ledger)
    assert r.returncode == 1
    assert "MISMATCH         video/A001C003.mov: the bytes changed since generation 1" in r.stdout
    assert "MISSING          plates/sh010_plate.exr" in r.stdout
    assert "A001C003_still.jpg" not in r.stdout  # the intact file is not a problem
    result = json.loads(aiprov("mhl", "verify", delivery, *ledger, "--json").stdout)
    bad = {f["path"]: f for f in result["files"] if f["status"] != "ok"}
    assert bad["video/A001C003.mov"]["file_hash"] != bad["video/A001C003.mov"]["mhl_hash"]
    assert set(bad) == {"video/A001C003.mov", "plates/sh010_plate.exr"}


def test_mhl_hash_that_disagrees_with_the_ledger_is_reported(delivery, ledger):
    assert aiprov("scan", delivery, *ledger).returncode == 0
    # the still is re-exported after aiprov saw it, and the MHL is made from the new bytes
    copy(SAMPLES / "stills" / "photo_no_metadata.png", delivery / "stills" / "A001C003_still.jpg")
    assert ascmhl("create", "-h", "xxh128", delivery).returncode == 0
    r = aiprov("mhl", "verify", delivery, *ledger, "--json")
    assert r.returncode == 1
    f = next(f for f in json.loads(r.stdout)["files"] if f["path"] == "stills/A001C003_still.jpg")
    assert f["status"] == "ledger-mismatch" and f["mhl_hash"] == f["content_id"] != f["ledger_content_id"]
    assert "run aiprov scan" in f["message"]


def test_altered_manifest_is_refused(delivery, ledger):
    assert ascmhl("create", "-h", "xxh128", delivery).returncode == 0
    manifest = next((delivery / "ascmhl").glob("0001_*.mhl"))
    manifest.write_text(manifest.read_text().replace("<hostname>", "<hostname>x"))
    r = aiprov("mhl", "verify", delivery, *ledger)
    assert r.returncode == 1 and "cannot be trusted" in r.stderr


def test_delivery_without_history_is_refused(delivery, ledger):
    r = aiprov("mhl", "verify", delivery, *ledger)
    assert r.returncode == 1 and "no ASC MHL history" in r.stderr and "aiprov seal" in r.stderr


def test_seal_on_a_clean_delivery_writes_a_generation_that_names_aiprov(delivery):
    # no --ledger: the ledger goes to DELIVERY/.aiprov, which the MHL must leave out
    r = aiprov("seal", delivery, "--author", "Dana Whitfield", "--role", "Post supervisor")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "sealed" in r.stdout and "generation 1" in r.stdout
    assert (delivery / "ascmhl" / "ascmhl_chain.xml").is_file()
    info = ascmhl("info", "-v", delivery)  # ascmhl itself reads it back (and checks the chain)
    assert info.returncode == 0, info.stderr
    assert "Generation 1" in info.stdout and "Dana Whitfield [Post supervisor]" in info.stdout
    assert '"Checked by aiprov' in info.stdout and "0 error findings" in info.stdout
    (manifest,) = (delivery / "ascmhl").glob("0001_*.mhl")
    ns = {"m": "urn:ASC:MHL:v2.0"}
    hashed = {h.find("m:path", ns).text: h.find("m:xxh128", ns).text
              for h in ET.parse(manifest).getroot().iterfind("m:hashes/m:hash", ns)}
    assert set(hashed) == {"stills/A001C003_still.jpg", "video/A001C003.mov", "plates/sh010_plate.exr"}
    lookup = json.loads(aiprov("lookup", delivery / "video" / "A001C003.mov", "--json",
                               "--ledger", delivery / ".aiprov" / "ledger.db").stdout)
    assert hashed["video/A001C003.mov"] == lookup["content_id"]  # the MHL's xxh128 is aiprov's content id
    assert "mhl-sealed" in [e["kind"] for e in lookup["events"]]
    assert (delivery / ".aiprov" / "ledger.db").is_file()
    verified = aiprov("mhl", "verify", delivery)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 file(s): 3 ok; 3 match the ledger's content ids" in verified.stdout
    # a second seal after adding a file is generation 2
    copy(SAMPLES / "audio" / "ai_voice.wav", delivery / "audio" / "temp_voice.wav")
    again = aiprov("seal", delivery)
    assert again.returncode == 1 and "refusing to seal" in again.stderr  # AI voice, unapproved
    copy(SAMPLES / "production" / "finals" / "audio" / "dialogue_mix.wav", delivery / "audio" / "temp_voice.wav")
    again = aiprov("seal", delivery)
    assert again.returncode == 0 and "generation 2" in again.stdout, again.stdout + again.stderr


def test_seal_refuses_a_delivery_with_an_unapproved_ai_still_and_writes_nothing(delivery, ledger):
    copy(AI_STILL, delivery / "stills" / "poster_insert.jpg")
    before = tree(delivery)
    r = aiprov("seal", delivery, *ledger)
    assert r.returncode == 1
    assert "refusing to seal" in r.stderr and "Nothing was written to the delivery" in r.stderr
    assert "poster_insert.jpg: ai-in-finals" in r.stderr
    assert "sealed" not in r.stdout
    assert tree(delivery) == before and not (delivery / "ascmhl").exists()
    # once approved in writing it may be sealed
    assert aiprov("approve", delivery / "stills" / "poster_insert.jpg", "--by", "Dana", "--reason", "approved",
                  *ledger).returncode == 0
    assert aiprov("seal", delivery, *ledger).returncode == 0


def test_seal_refuses_when_the_existing_history_no_longer_holds(delivery, ledger):
    assert ascmhl("create", "-h", "xxh128", delivery).returncode == 0
    copy(SAMPLES / "stills" / "photo_no_metadata.png", delivery / "stills" / "A001C003_still.jpg")
    generations = sorted((delivery / "ascmhl").iterdir())
    r = aiprov("seal", delivery, *ledger)
    assert r.returncode == 1 and "history no longer holds" in r.stderr and "A001C003_still.jpg" in r.stderr
    assert sorted((delivery / "ascmhl").iterdir()) == generations
