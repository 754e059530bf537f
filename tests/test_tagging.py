"""Recording AI output at birth and making the mark travel with the file."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest
import xxhash
from PIL import Image

import aiprov
from aiprov.config import Config
from aiprov.ledger import Ledger
from aiprov.tagging import tag_files

from .conftest import CORPUS, KEYS, SAMPLES
from .helpers import aiprov as run, copy

PLAIN_STILL = SAMPLES / "stills" / "photo_no_metadata.png"
PRORES = SAMPLES / "video" / "camera_clip.mov"
DST_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


def exiftool_json(path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-G1", os.fsencode(path)], capture_output=True, check=True)
    return json.loads(out.stdout)[0]


def xxh(path) -> str:
    return xxhash.xxh3_128(open(path, "rb").read()).hexdigest()


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "working"
    d.mkdir()
    return d


def ledger_args(target):
    return ["--ledger", str(target)]


def test_registered_image_tagged_in_place_reads_back_with_plain_exiftool_and_same_pixels(tmp_path, work, ledger_target):
    img = copy(PLAIN_STILL, work / "gen_0001.png")
    before = pixels(img)
    assert run("register", img, "--tool", "ComfyUI", "--tool-version", "0.3.10", *ledger_args(ledger_target)).returncode == 0
    r = run("tag", "--in-place", img, *ledger_args(ledger_target))
    assert r.returncode == 0, r.stderr
    tags = exiftool_json(img)
    assert tags["XMP-iptcExt:DigitalSourceType"] == DST_AI
    assert tags["XMP-xmp:CreatorTool"] == "ComfyUI"
    assert tags["XMP-aiprov:Status"] == "temporary"
    assert np.array_equal(pixels(img), before)


def test_tagged_file_is_recognised_on_a_machine_without_the_ledger(tmp_path, work, ledger_target):
    img = copy(PLAIN_STILL, work / "gen.png")
    run("register", img, "--tool", "Runway", *ledger_args(ledger_target))
    run("tag", "--in-place", img, *ledger_args(ledger_target))
    delivery = tmp_path / "elsewhere" / "DELIVERY"
    copy(img, delivery / "plate.png")
    r = run("scan", delivery, "--ledger", tmp_path / "other-machine.db", "--format", "json")
    report = json.loads(r.stdout)
    assert r.returncode == 1 and report["files"][0]["findings"][0]["rule"] == "ai-in-finals"
    assert report["files"][0]["generator"] == "Runway"


def test_sidecar_for_prores_clip_in_finals_leaves_the_clip_bytes_unchanged(tmp_path, ledger_target):
    prod = tmp_path / "show"
    clip = copy(PRORES, prod / "finals" / "A001_C003.mov")
    (prod / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\n')
    before = xxh(clip)
    assert run("register", clip, "--tool", "Runway Gen-3", *ledger_args(ledger_target)).returncode == 0
    r = run("tag", clip, *ledger_args(ledger_target))
    assert r.returncode == 0, r.stderr
    assert xxh(clip) == before
    assert exiftool_json(str(clip) + ".xmp")["XMP-iptcExt:DigitalSourceType"] == DST_AI
    refused = run("tag", "--in-place", clip, *ledger_args(ledger_target))
    assert refused.returncode == 1 and "finals" in refused.stderr and xxh(clip) == before
    plain = json.loads(run("inspect", "--json", clip).stdout)[0]  # no ledger: the sidecar speaks
    assert plain["verdict"] == "ai"


def framemd5(path) -> list[str]:
    """ffmpeg's MD5 of every decoded video frame (what a player shows), one line a frame."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", os.fsencode(path), "-map", "0:v", "-f", "framemd5",
                          "-"], capture_output=True, check=True, timeout=120).stdout.decode()
    return [line for line in out.splitlines() if line and not line.startswith("#")]


def test_prores_clip_tagged_in_place_is_verified_frame_identical(tmp_path, work, ledger_target):
    clip = copy(PRORES, work / "temp_shot.mov")
    frames, registered_id = framemd5(clip), xxh(clip)
    assert len(frames) == 24, frames  # the sample clip: 24 ProRes frames
    assert run("register", clip, "--tool", "Runway Gen-3", *ledger_args(ledger_target)).returncode == 0
    r = run("tag", "--in-place", clip, *ledger_args(ledger_target))
    assert r.returncode == 0, r.stderr
    assert framemd5(clip) == frames  # every frame decodes to the same pixels, decoded here, not by aiprov
    tags = exiftool_json(clip)
    assert tags["XMP-iptcExt:DigitalSourceType"] == DST_AI and tags["XMP-xmp:CreatorTool"] == "Runway Gen-3"
    assert (tags["XMP-aiprov:ContentId"], tags["XMP-aiprov:Status"]) == (registered_id, "temporary")
    tagged_id = xxh(clip)
    assert tagged_id != registered_id  # new bytes: new content, linked to the registered one
    answer = json.loads(run("lookup", clip, "--json", *ledger_args(ledger_target)).stdout)
    assert answer["content_id"] == tagged_id and answer["inspection"]["verdict"] == "ai"
    tagged = [json.loads(e["detail"]) for e in answer["events"] if e["kind"] == "tagged"]
    assert tagged == [{"mode": "in-place", "previous": registered_id}]
    assert [[a["content_id"] for a in p["assets"]] for p in answer["lineage"]["parents"]
            if p["kind"] == "tagged-version"] == [[registered_id]]


def test_c2pa_signed_output_validates_and_names_its_parents_as_ingredients(tmp_path, work, ledger_target):
    import c2pa

    parent = copy(SAMPLES / "stills" / "camera_original.jpg", work / "plate_src.jpg")
    out = copy(PLAIN_STILL, work / "gen.png")
    assert run("register", out, "--tool", "ComfyUI", "--parent", parent, *ledger_args(ledger_target)).returncode == 0
    r = run("tag", "--c2pa", "--cert", KEYS / "es256_certs.pem", "--key", KEYS / "es256_private.key", out,
            *ledger_args(ledger_target))
    assert r.returncode == 0, r.stderr
    reader = c2pa.Reader(str(out))
    report = json.loads(reader.json())
    reader.close()
    active = report["manifests"][report["active_manifest"]]
    assert [i["title"] for i in active["ingredients"]] == ["plate_src.jpg"]
    failures = [s["code"] for s in report.get("validation_status") or []]
    assert all(code.startswith("signingCredential.") for code in failures), failures  # only: test cert untrusted
    actions = [a for x in active["assertions"] if x["label"].startswith("c2pa.actions") for a in x["data"]["actions"]]
    assert actions[0]["action"] == "c2pa.created" and actions[0]["digitalSourceType"] == DST_AI


def test_failure_after_the_temp_copy_is_written_leaves_the_original_intact_and_no_temp(tmp_path, work):
    img = copy(PLAIN_STILL, work / "gen.png")
    original = img.read_bytes()
    with Ledger(tmp_path / "l.db") as ledger:
        aiprov.register(img, tool="ComfyUI", ledger=tmp_path / "l.db")

        def crash(temp):
            assert os.path.exists(temp)
            raise RuntimeError("simulated crash after the temp file was written")

        with pytest.raises(RuntimeError):
            tag_files([img], ledger, Config(root=work), mode="in-place", after_temp_written=crash)
    assert img.read_bytes() == original
    assert sorted(os.listdir(work)) == ["gen.png"]


def test_kill_9_in_the_middle_of_an_in_place_write_loses_nothing(tmp_path, work):
    img = copy(PLAIN_STILL, work / "gen.png")
    original = img.read_bytes()
    aiprov.register(img, tool="ComfyUI", ledger=tmp_path / "l.db")
    script = f"""
import os, signal
from aiprov.config import Config
from aiprov.ledger import Ledger
from aiprov.tagging import tag_files
with Ledger({str(tmp_path / 'l.db')!r}) as ledger:
    tag_files([{str(img)!r}], ledger, Config(root={str(work)!r}), mode="in-place",
              after_temp_written=lambda t: os.kill(os.getpid(), signal.SIGKILL))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert img.read_bytes() == original
    # The next write cleans up what the killed one left behind.
    assert run("tag", "--in-place", img, "--ledger", tmp_path / "l.db").returncode == 0
    assert sorted(os.listdir(work)) == ["gen.png"]


@pytest.mark.parametrize("name", ["-starts-with-dash.png", "new\nline.png", "spaced name $(touch pwned).png"])
def test_awkward_names_are_tagged_in_place_and_in_sidecars(tmp_path, work, name, ledger_target):
    img = copy(PLAIN_STILL, work / name)
    assert run("register", img, "--tool", "ComfyUI", *ledger_args(ledger_target)).returncode == 0
    assert run("tag", img, *ledger_args(ledger_target)).returncode == 0
    assert (work / (name + ".xmp")).exists()
    r = run("tag", "--in-place", img, *ledger_args(ledger_target))
    assert r.returncode == 0, r.stderr
    assert exiftool_json(img)["XMP-iptcExt:DigitalSourceType"] == DST_AI
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()


def test_read_only_file_is_refused_in_place_with_a_clear_message(tmp_path, work, ledger_target):
    img = copy(PLAIN_STILL, work / "locked.png")
    run("register", img, "--tool", "ComfyUI", *ledger_args(ledger_target))
    img.chmod(stat.S_IRUSR | stat.S_IRGRP)
    before = img.read_bytes()
    r = run("tag", "--in-place", img, *ledger_args(ledger_target))
    assert r.returncode == 1 and "read-only" in r.stderr
    assert img.read_bytes() == before
    assert run("tag", img, *ledger_args(ledger_target)).returncode == 0  # the sidecar is still possible


def test_format_that_cannot_be_verified_is_refused(tmp_path, work, ledger_target):
    exr = copy(SAMPLES / "exr" / "camera_plate.exr", work / "plate.exr")
    run("register", exr, "--tool", "ComfyUI", *ledger_args(ledger_target))
    before = exr.read_bytes()
    r = run("tag", "--in-place", exr, *ledger_args(ledger_target))
    assert r.returncode == 1 and "cannot verify" in r.stderr and "--sidecar" in r.stderr
    assert exr.read_bytes() == before


def test_untagged_unregistered_file_is_not_tagged(tmp_path, work, ledger_target):
    img = copy(CORPUS / "plain" / "A.jpg", work / "A.jpg")
    r = run("tag", img, *ledger_args(ledger_target))
    assert r.returncode == 1 and "aiprov register" in r.stderr
    assert not (work / "A.jpg.xmp").exists()


def test_registered_file_without_any_marker_is_ai_in_finals_on_any_host(tmp_path, ledger_target):
    """Registered where it was generated; the same content, re-saved under another name, turns
    up in finals here and on another storage server: AI in both, from the registration alone."""
    prod = tmp_path / "show"
    (prod / "aiprov.toml").parent.mkdir(parents=True)
    (prod / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    gen = copy(PLAIN_STILL, prod / "working" / "gen.png")
    done = aiprov.register(gen, tool="Midjourney", prompt="a harbour at night", ledger=ledger_target)
    assert done[0].content_id
    copy(gen, prod / "finals" / "plate.png")  # re-saved under a new name: same content
    other = copy(gen, tmp_path / "srv-b" / "finals" / "plate_v2.png")
    for where, host in ((prod, []), (other.parent, ["--host-id", "srv-b"])):
        report = json.loads(run("scan", where, "--format", "json", "--ledger", ledger_target, *host).stdout)
        finals = [f for f in report["files"] if f["zone"] == "finals"][0]
        assert finals["verdict"] == "ai" and finals["generator"] == "Midjourney", where
        assert [f["rule"] for f in finals["findings"]] == ["ai-in-finals"]
