"""`aiprov timeline`: real edits written with OpenTimelineIO (and its EDL / FCP XML adapters), real media."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest

from .conftest import SAMPLES
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
AI_CLIP = SAMPLES / "video" / "ai_temp_shot_prores.mov"
CAMERA_CLIP = SAMPLES / "video" / "camera_clip.mov"


def clip(name: str, url: str, frames: int, start: int = 0) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url=url, available_range=TR(RT(0, 24), RT(2400, 24)))
    return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(start, 24), RT(frames, 24)))


def gap(frames: int) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=TR(RT(0, 24), RT(frames, 24)))


@pytest.fixture
def show(tmp_path):
    """A small show: media in media/, the edit in editorial/ (relative references cross folders)."""
    media = tmp_path / "show" / "media"
    copy(CAMERA_CLIP, media / "A001C003.mov")
    copy(AI_CLIP, media / "vfx_temp_sky.mov")
    copy(AI_STILL, media / "insert_poster.jpg")
    copy(CAMERA_STILL, media / "insert_card.jpg")
    (tmp_path / "show" / "editorial").mkdir()
    return tmp_path / "show"


def two_track_timeline(show) -> otio.schema.Timeline:
    """V1: camera 2 s | AI shot 1 s | camera 12 frames; V2: gap, AI still (10 frames), gap, camera still."""
    tl = otio.schema.Timeline(name="reel 1 v12", global_start_time=RT(86400, 24))  # 01:00:00:00
    v1 = otio.schema.Track(name="V1")
    v2 = otio.schema.Track(name="V2 inserts")
    tl.tracks.extend([v1, v2])
    v1.extend([
        clip("A001C003", "../media/A001C003.mov", 48, start=10),
        clip("sky temp", (show / "media" / "vfx_temp_sky.mov").as_uri(), 24),  # a file:// URL
        clip("A001C003 b", str(show / "media" / "A001C003.mov"), 12, start=60),  # a plain absolute path
    ])
    v2.extend([gap(30), clip("poster insert", "../media/insert_poster.jpg", 10), gap(20),
               clip("card insert", "../media/insert_card.jpg", 8)])
    return tl


def run_timeline(edit, *args, cwd=None):
    r = aiprov("timeline", edit, "--json", *args, cwd=cwd)
    return r, json.loads(r.stdout) if r.stdout.strip().startswith("{") else None


def test_otio_edit_names_the_ai_cuts_with_their_timeline_in_and_out(tmp_path, show, ledger_target):
    edit = show / "editorial" / "reel1.otio"
    otio.adapters.write_to_file(two_track_timeline(show), str(edit))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # run from another folder: relative references resolve against the edit's folder, not the cwd
    r, report = run_timeline(edit, "--ledger", ledger_target, cwd=elsewhere)
    assert r.returncode == 1, r.stderr
    assert report["start_timecode"] == "01:00:00:00" and report["rate"] == 24
    ai = {c["clip"]: c for c in report["cuts"] if c["uses_ai"]}
    assert set(ai) == {"sky temp", "poster insert"}
    sky = ai["sky temp"]
    assert (sky["track"], sky["record_in"], sky["record_out"]) == ("V1", "01:00:02:00", "01:00:03:00")
    assert (sky["start_seconds"], sky["end_seconds"], sky["duration_frames"]) == (2.0, 3.0, 24)
    assert sky["file"] == str(show / "media" / "vfx_temp_sky.mov")
    assert sky["verdict"] == "ai" and "Runway" in sky["generator"] and sky["approval"] == "unapproved"
    poster = ai["poster insert"]
    assert (poster["track"], poster["record_in"], poster["record_out"]) == ("V2 inserts", "01:00:01:06", "01:00:01:16")
    assert (poster["start_seconds"], poster["end_seconds"]) == (1.25, pytest.approx(1.666667))
    assert poster["generator"] == "Midjourney"
    # the camera cuts either side of the AI shot, and the card insert, are not AI
    others = {c["clip"]: c for c in report["cuts"] if not c["uses_ai"]}
    assert set(others) == {"A001C003", "A001C003 b", "card insert"}
    # the clips carry camera tags only; the card's still declares a digital capture
    assert {c: others[c]["verdict"] for c in others} == {"A001C003": "no-ai-declared", "A001C003 b": "no-ai-declared",
                                                         "card insert": "not-ai"}
    assert not any(c["problem"] for c in others.values())
    assert others["A001C003 b"]["record_in"] == "01:00:03:00" and others["card insert"]["record_in"] == "01:00:02:12"

    text = aiprov("timeline", edit, "--ledger", ledger_target)
    assert "UNAPPROVED AI" in text.stdout and "01:00:02:00-01:00:03:00" in text.stdout
    assert f"aiprov approve {show / 'media' / 'vfx_temp_sky.mov'}" in text.stdout
    assert "2 cut(s) use AI material: 0 approved, 2 without approval" in text.stdout


def test_approving_the_ai_material_clears_the_edit(tmp_path, show, ledger_target):
    edit = show / "editorial" / "reel1.otio"
    otio.adapters.write_to_file(two_track_timeline(show), str(edit))
    ledger = ["--ledger", ledger_target]
    for f in ("vfx_temp_sky.mov", "insert_poster.jpg"):
        a = aiprov("approve", show / "media" / f, "--by", "Dana Whitfield", "--reason", "approved for the final",
                   "--reference", "NH-GENAI-0042", *ledger)
        assert a.returncode == 0, a.stderr
    r, report = run_timeline(edit, *ledger)
    assert r.returncode == 0
    sky = next(c for c in report["cuts"] if c["clip"] == "sky temp")
    assert sky["approval"] == "approved" and sky["approvals"][0]["reference"] == "NH-GENAI-0042"
    assert "approval #1 by Dana Whitfield [NH-GENAI-0042]" in aiprov("timeline", edit, *ledger).stdout


def test_file_registered_as_ai_in_the_ledger_is_flagged_though_it_carries_no_marker(tmp_path, show, ledger_target):
    ledger = ["--ledger", ledger_target]
    r = aiprov("register", show / "media" / "insert_card.jpg", "--tool", "ComfyUI", *ledger)
    assert r.returncode == 0, r.stderr
    edit = show / "editorial" / "reel1.otio"
    otio.adapters.write_to_file(two_track_timeline(show), str(edit))
    _, report = run_timeline(edit, *ledger)
    card = next(c for c in report["cuts"] if c["clip"] == "card insert")
    assert card["verdict"] == "ai" and card["generator"] == "ComfyUI" and card["approval"] == "unapproved"


def test_edl_through_the_cmx3600_adapter(tmp_path, show, ledger_target):
    edit = show / "editorial" / "reel1.edl"
    edit.write_text(
        "TITLE: REEL 1 V12\nFCM: NON-DROP FRAME\n\n"
        "001  A001C003 V     C        00:00:00:10 00:00:02:10 01:00:00:00 01:00:02:00\n"
        "* FROM CLIP NAME:  A001C003\n* FROM CLIP: ../media/A001C003.mov\n"
        "002  SKYTEMP  V     C        00:00:00:00 00:00:01:00 01:00:02:00 01:00:03:00\n"
        "* FROM CLIP NAME:  sky temp\n* FROM CLIP: ../media/vfx_temp_sky.mov\n"
        "003  A001C003 V     C        00:00:02:12 00:00:03:00 01:00:03:00 01:00:03:12\n"
        "* FROM CLIP NAME:  A001C003 b\n* FROM CLIP: ../media/A001C003.mov\n")
    r, report = run_timeline(edit, "--ledger", ledger_target)
    assert r.returncode == 1, r.stderr
    assert [c["clip"] for c in report["cuts"]] == ["A001C003", "sky temp", "A001C003 b"]
    sky = report["cuts"][1]
    assert (sky["record_in"], sky["record_out"], sky["start_seconds"], sky["end_seconds"]) == \
        ("01:00:02:00", "01:00:03:00", 2.0, 3.0)
    assert sky["verdict"] == "ai" and sky["approval"] == "unapproved"
    assert [c["verdict"] for c in report["cuts"]] == ["no-ai-declared", "ai", "no-ai-declared"]


def test_fcp_xml_through_its_adapter(tmp_path, show, ledger_target):
    edit = show / "editorial" / "reel1.xml"
    otio.adapters.write_to_file(two_track_timeline(show), str(edit))
    r, report = run_timeline(edit, "--ledger", ledger_target)
    assert r.returncode == 1, r.stderr
    sky = next(c for c in report["cuts"] if c["clip"] == "sky temp")
    assert (sky["record_in"], sky["record_out"], sky["verdict"]) == ("01:00:02:00", "01:00:03:00", "ai")


def test_missing_media_is_listed_and_fails_only_with_strict(tmp_path, show, ledger_target):
    tl = otio.schema.Timeline(name="reel 2")
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    track.extend([clip("card", "../media/insert_card.jpg", 24), clip("lost", "../media/lost_plate.mov", 24),
                  otio.schema.Clip(name="slate", source_range=TR(RT(0, 24), RT(24, 24)))])
    edit = show / "editorial" / "reel2.otio"
    otio.adapters.write_to_file(tl, str(edit))
    r, report = run_timeline(edit, "--ledger", ledger_target)
    assert r.returncode == 0
    lost = next(c for c in report["cuts"] if c["clip"] == "lost")
    assert lost["verdict"] == "missing" and lost["approval"] == "cannot check"
    assert lost["record_in"] == "00:00:01:00" and lost["file"] == str(show / "media" / "lost_plate.mov")
    assert next(c for c in report["cuts"] if c["clip"] == "slate")["verdict"] == "no-media"
    strict = aiprov("timeline", edit, "--strict", "--ledger", ledger_target)
    assert strict.returncode == 1 and "CANNOT CHECK" in strict.stdout and "lost_plate.mov" in strict.stdout


def test_a_file_that_is_not_an_edit_is_refused_with_a_clear_message(tmp_path, ledger_target):
    bogus = tmp_path / "notes.docx"
    bogus.write_text("not an edit")
    r = aiprov("timeline", bogus, "--ledger", ledger_target)
    assert r.returncode == 2 and "no adapter for this kind of file" in r.stderr


def test_image_sequence_cut_is_checked_frame_by_frame_over_the_frames_it_uses(tmp_path, show, ledger_target):
    frames = show / "media" / "sh010_comp"
    for n, src in zip(range(1001, 1005), (CAMERA_STILL, CAMERA_STILL, AI_STILL, CAMERA_STILL)):
        copy(src, frames / f"sh010_comp.{n}.jpg")

    def sequence_clip(name, first, count):
        ref = otio.schema.ImageSequenceReference(
            target_url_base="../media/sh010_comp/", name_prefix="sh010_comp.", name_suffix=".jpg",
            start_frame=1001, frame_zero_padding=4, rate=24, available_range=TR(RT(0, 24), RT(4, 24)))
        return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(first, 24), RT(count, 24)))

    tl = otio.schema.Timeline(name="reel 3", global_start_time=RT(86400, 24))
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    track.extend([sequence_clip("sh010 head", 0, 2), sequence_clip("sh010 tail", 1, 3)])
    edit = show / "editorial" / "reel3.otio"
    otio.adapters.write_to_file(tl, str(edit))
    r, report = run_timeline(edit, "--ledger", ledger_target)
    assert r.returncode == 1
    head, tail = report["cuts"]
    assert head["verdict"] == "not-ai" and head["frames"] == 2  # frames 1001-1002 only
    assert tail["verdict"] == "ai" and tail["frames"] == 3 and tail["file"].endswith("sh010_comp.1003.jpg")
    assert (tail["record_in"], tail["record_out"]) == ("01:00:00:02", "01:00:00:05")
