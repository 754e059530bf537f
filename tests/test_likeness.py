"""Laundered AI material keeps its lineage: perceptual near-duplicates, end to end.

The still tests run on both ledgers (SQLite and PostgreSQL: prints are rows like any other);
the clip test, whose cost is decoding video, runs on SQLite only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from PIL import Image

import aiprov
from aiprov.ledger import Ledger

from .conftest import CORPUS, SAMPLES
from .helpers import aiprov as run, copy

AI_SOURCE = SAMPLES / "stills" / "photo_no_metadata.png"  # a still with no marker at all: only the ledger knows


def production(tmp_path, ledger: str | None = None, extra: str = ""):
    """A show with working and finals zones; its aiprov.toml names the ledger (both backends)."""
    prod = tmp_path / "show"
    (prod / "working").mkdir(parents=True, exist_ok=True)
    (prod / "finals").mkdir(exist_ok=True)
    named = f'ledger = "{ledger}"\n' if ledger else ""
    (prod / "aiprov.toml").write_text(named + '[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n' + extra)
    return prod


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def test_registered_ai_still_laundered_four_ways_is_derived_from_ai_in_finals(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    src = copy(AI_SOURCE, prod / "working" / "concept_v1.png")
    aiprov.register(src, tool="Midjourney")
    with Image.open(src) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        rgb.save(prod / "finals" / "resaved_q70.jpg", quality=70)
        rgb.resize((w // 2, h // 2), Image.Resampling.LANCZOS).save(prod / "finals" / "half_size.png")
        rgb.crop((int(w * 0.05), int(h * 0.05), w, h)).save(prod / "finals" / "cropped_5pc.png")
        Image.frombytes("RGB", rgb.size, rgb.tobytes()).save(prod / "finals" / "stripped.tif")
    r = run("scan", prod, "--format", "json")
    assert r.returncode == 1
    flagged = {os.path.basename(f["path"]): [x["rule"] for x in f["findings"]] for f in json.loads(r.stdout)["files"]
               if f["zone"] == "finals"}
    assert flagged == {n: ["derived-from-ai"] for n in
                       ("resaved_q70.jpg", "half_size.png", "cropped_5pc.png", "stripped.tif")}
    answer = json.loads(run("lookup", prod / "finals" / "cropped_5pc.png", "--json").stdout)
    parents = answer["lineage"]["parents"]
    assert [p["kind"] for p in parents] == ["near-duplicate"]
    assert parents[0]["assets"][0]["paths"] == [str(src)] and "bits differ" in parents[0]["reason"]


def test_approving_the_ai_source_clears_its_laundered_copies(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    src = copy(AI_SOURCE, prod / "working" / "concept.png")
    aiprov.register(src, tool="Midjourney")
    with Image.open(src) as im:
        im.convert("RGB").save(prod / "finals" / "plate.jpg", quality=80)
    assert run("scan", prod).returncode == 1
    assert run("approve", src, "--by", "Dana", "--reason", "approved for final").returncode == 0
    assert run("scan", prod).returncode == 0


def test_a_copy_scanned_before_its_source_was_registered_is_caught_when_it_is(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    with Image.open(AI_SOURCE) as im:
        im.convert("RGB").save(prod / "finals" / "early.jpg", quality=75)
    assert run("scan", prod).returncode == 0
    src = copy(AI_SOURCE, prod / "working" / "gen.png")
    aiprov.register(src, tool="ComfyUI")
    r = run("scan", prod)
    assert r.returncode == 1 and "derived-from-ai" in r.stdout and "early.jpg" in r.stdout


def test_unrelated_pictures_are_never_linked(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    for ai in ("stills/a1111_parameters.png", "stills/comfyui_workflow.png", "stills/ai_iptc_xmp.jpg",
               "stills/stealth_a1111.png", "stills/ai_c2pa_generated.jpg"):
        copy(SAMPLES / ai, prod / "working" / os.path.basename(ai))
    aiprov.register(copy(AI_SOURCE, prod / "working" / "registered.png"), tool="Midjourney")
    others = [p for p in (CORPUS / "plain").iterdir() if p.suffix.lower() in (".jpg", ".png", ".webp", ".tif")]
    others += [SAMPLES / "stills" / "camera_original.jpg", SAMPLES / "production" / "finals" / "stills" / "camera_still.jpg"]
    for i, p in enumerate(others):
        copy(p, prod / "finals" / f"{i:02d}_{p.name}")
    for seed in range(12):  # "photos" of other scenes: noise fields with structure
        Image.effect_mandelbrot((320, 200), (-2.2 + seed * 0.07, -1.2, 0.8 - seed * 0.05, 1.2 + seed * 0.03),
                                40 + seed * 9).convert("RGB").save(prod / "finals" / f"photo_{seed:02d}.jpg")
    r = run("scan", prod, "--format", "json")
    assert r.returncode == 0, [f for f in json.loads(r.stdout)["files"] if f["findings"]]
    with Ledger(ledger_target) as ledger:
        assert ledger.count("fingerprints") >= 20  # the finals pictures were printed, and the sources
        assert ledger._rows("SELECT * FROM edges WHERE kind = 'near-duplicate'") == []


@pytest.mark.slow
def test_registered_ai_clip_cut_into_a_master_is_found_with_its_timecodes(tmp_path):
    prod = production(tmp_path)
    ai_clip = prod / "working" / "ai_shot.mov"
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=24", "-t", 10, "-c:v", "prores_ks", "-profile:v", 0, ai_clip)
    aiprov.register(ai_clip, tool="Runway Gen-3")
    reencoded = tmp_path / "ai_h264.mp4"
    ffmpeg("-i", ai_clip, "-vf", "scale=480:270", "-c:v", "libx264", "-crf", 26, "-g", 24, "-pix_fmt", "yuv420p", reencoded)
    before = tmp_path / "before.mp4"
    after = tmp_path / "after.mp4"
    for out, src in ((before, "testsrc2=size=480x270:rate=24"), (after, "life=size=480x270:rate=24:mold=10:ratio=0.3")):
        ffmpeg("-f", "lavfi", "-i", src, "-t", 25 if out is before else 25, "-c:v", "libx264", "-g", 24,
               "-pix_fmt", "yuv420p", out)
    first20 = tmp_path / "first20.mp4"
    ffmpeg("-i", before, "-t", 20, "-c", "copy", first20)
    listing = tmp_path / "cut.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in (first20, reencoded, after)))
    master = prod / "finals" / "reel1_master.mp4"
    ffmpeg("-f", "concat", "-safe", 0, "-i", listing, "-c:v", "libx264", "-g", 24, "-pix_fmt", "yuv420p", master)
    r = run("scan", prod, "--format", "json")
    report = json.loads(r.stdout)
    found = [f for f in report["files"] if f["path"].endswith("reel1_master.mp4")][0]
    assert [x["rule"] for x in found["findings"]] == ["derived-from-ai"]
    message = found["findings"][0]["message"]
    import re

    tc_in, tc_out = re.search(r"frames (\d\d:\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d:\d\d)", message).groups()

    def seconds(tc):
        h, m, s, f = map(int, tc.split(":"))
        return h * 3600 + m * 60 + s + f / 24

    assert abs(seconds(tc_in) - 20) <= 1 and abs(seconds(tc_out) - 30) <= 1, message


def test_a_featureless_still_is_not_decoded_again_on_every_scan(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    aiprov.register(copy(AI_SOURCE, prod / "working" / "gen.png"), tool="Midjourney")
    Image.new("RGB", (64, 64), (20, 20, 20)).save(prod / "finals" / "black_slate.png")  # nothing to hash
    run("scan", prod)
    with Ledger(ledger_target) as ledger:
        before = ledger.count("fingerprints")
    run("scan", prod)
    with Ledger(ledger_target) as ledger:
        assert ledger.count("fingerprints") == before
        assert ledger._rows("SELECT length(blob) AS n FROM fingerprints WHERE quality = 0") == [{"n": 0}]


def test_crop_guesses_can_be_turned_off_for_speed_and_re_saves_are_still_caught(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target, '[likeness]\ncrop_guesses = false\n')
    src = copy(AI_SOURCE, prod / "working" / "gen.png")
    aiprov.register(src, tool="Midjourney")
    with Image.open(src) as im:
        im.convert("RGB").save(prod / "finals" / "resaved.jpg", quality=70)
    r = run("scan", prod)
    assert r.returncode == 1 and "derived-from-ai" in r.stdout


def test_likeness_can_be_turned_off(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target, '[likeness]\nenabled = false\n')
    src = copy(AI_SOURCE, prod / "working" / "gen.png")
    aiprov.register(src, tool="Midjourney")
    with Image.open(src) as im:
        im.convert("RGB").save(prod / "finals" / "resaved.jpg", quality=70)
    assert run("scan", prod).returncode == 0  # with prints on, this copy is derived-from-ai
    with Ledger(ledger_target) as ledger:
        assert ledger.count("fingerprints") == 0


# --------------------------------------------------------------------------------------
# through the finishing pipeline: the AI picture graded, converted, flopped, boxed, titled, comped

AI_PICTURE = SAMPLES / "stills" / "ai_c2pa_generated.jpg"   # C2PA: trainedAlgorithmicMedia, Adobe Firefly
CAMERA_PLATE = SAMPLES / "stills" / "camera_original.jpg"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def findings_by_name(report: dict) -> dict[str, list[dict]]:
    return {os.path.basename(f["path"]): f["findings"] for f in report["files"] if f["zone"] == "finals"}


def test_ai_material_sent_through_finishing_steps_is_derived_from_ai_and_camera_plates_are_not(tmp_path, ledger_target):
    """The AI still lands in working (its own C2PA says AI); finals are made from it by steps
    that drop every tag. Each is flagged with how it was matched; the graded camera plates
    and other shots' frames beside them are not."""
    prod = production(tmp_path, ledger_target)
    copy(AI_PICTURE, prod / "working" / "firefly_sky.jpg")
    f = prod / "finals"
    ffmpeg("-i", AI_PICTURE, "-vf", "eq=contrast=1.25:saturation=1.4:gamma=1.2,hflip,pad=430:180:55:0:black",
           "-q:v", 3, f / "graded_flopped_pillarboxed.jpg")
    ffmpeg("-i", AI_PICTURE, "-vf", "colortemperature=temperature=4500,zscale=transferin=iec61966-2-1:transfer=linear"
           ":npl=100,format=gbrpf32le", "-compression", "zip16", "-format", "half", f / "graded_linear.exr")
    ffmpeg("-i", AI_PICTURE, "-vf", f"pad=320:260:0:40:black,drawtext=fontfile={FONT}:text='THE LAST LIGHT':"
           "fontsize=22:fontcolor=white:x=(w-text_w)/2:y=60", "-pix_fmt", "rgb48le", f / "titled_letterboxed.tif")
    ffmpeg("-i", CAMERA_PLATE, "-i", AI_PICTURE, "-filter_complex",
           "[0:v]scale=640:360[p];[1:v]scale=400:225[e];[p][e]overlay=200:120", "-q:v", 3, f / "comp_v003.jpg")
    ffmpeg("-i", CAMERA_PLATE, "-vf", "scale=640:360,eq=contrast=1.3:saturation=1.3:gamma=0.9", "-q:v", 3,
           f / "camera_plate_graded.jpg")
    ffmpeg("-i", CAMERA_PLATE, "-vf", "scale=640:360,colortemperature=temperature=3500,hflip", "-q:v", 3,
           f / "camera_plate_flopped.jpg")
    for k, src in enumerate(("testsrc2=s=640x360", "mandelbrot=s=640x360", "life=s=640x360:mold=10:ratio=0.3")):
        ffmpeg("-f", "lavfi", "-i", src, "-ss", 2, "-frames:v", 1, f / f"other_shot_{k}.png")
    r = run("scan", prod, "--format", "json")
    assert r.returncode == 1
    found = findings_by_name(json.loads(r.stdout))
    flagged = {name: [x["rule"] for x in fs] for name, fs in found.items() if fs}
    assert flagged == {n: ["derived-from-ai"] for n in ("graded_flopped_pillarboxed.jpg", "graded_linear.exr",
                                                         "titled_letterboxed.tif", "comp_v003.jpg")}, flagged
    comp_msg = found["comp_v003.jpg"][0]["message"]
    assert "firefly_sky.jpg" in comp_msg and "local features" in comp_msg, comp_msg
    assert "bits differ" in found["graded_flopped_pillarboxed.jpg"][0]["message"]


def test_lookup_of_a_comp_shows_the_path_back_to_the_ai_element(tmp_path):
    prod = production(tmp_path)
    src = copy(AI_PICTURE, prod / "working" / "firefly_insert.jpg")
    comp = prod / "finals" / "sh020_comp_v001.jpg"
    ffmpeg("-i", CAMERA_PLATE, "-i", AI_PICTURE, "-filter_complex",
           "[0:v]scale=640:360,eq=gamma=1.1[p];[p][1:v]overlay=300:160", "-q:v", 3, comp)
    assert run("scan", prod).returncode == 1
    answer = json.loads(run("lookup", comp, "--json").stdout)
    parents = answer["lineage"]["parents"]
    assert [p["kind"] for p in parents] == ["near-duplicate"]
    assert parents[0]["assets"][0]["paths"] == [str(src)] and "local features" in parents[0]["reason"]


def test_an_exr_sequence_holding_an_ai_shot_is_flagged_on_its_frame_range(tmp_path):
    prod = production(tmp_path)
    ai_clip = prod / "working" / "gen_shot.mov"
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=240x135:rate=24", "-t", 4, "-vf", "scale=480:270", "-c:v",
           "prores_ks", "-profile:v", 0, ai_clip)
    aiprov.register(ai_clip, tool="Sora")
    seq = prod / "finals" / "sh030"
    seq.mkdir()
    # 2 s of another shot, the AI shot graded and converted to linear EXR (4 s), 1 s of another shot
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=480x270:rate=24:duration=2", "-i", ai_clip, "-f", "lavfi", "-i",
           "life=size=480x270:rate=24:mold=10:ratio=0.3,trim=duration=1", "-filter_complex",
           "[1:v]eq=contrast=1.2:saturation=1.3,setsar=1[a];[0:v]setsar=1[b];[2:v]setsar=1,setpts=PTS-STARTPTS[c];"
           "[b][a][c]concat=n=3:v=1:a=0,format=gbrp,zscale=transferin=iec61966-2-1:transfer=linear:primariesin=709:"
           "primaries=709:npl=100,format=gbrpf32le[v]",
           "-map", "[v]", "-compression", "zip16", "-format", "half", "-start_number", 1001,
           seq / "sh030_comp.%04d.exr")
    assert len(list(seq.iterdir())) == 168
    r = run("scan", prod, "--format", "json")
    assert r.returncode == 1
    found = findings_by_name(json.loads(r.stdout))
    flagged = sorted(int(n.split(".")[1]) for n, fs in found.items() if fs)
    assert all(fs == [] or [x["rule"] for x in fs] == ["derived-from-ai"] for fs in found.values())
    # the AI shot is frames 1049-1144 (2 s to 6 s); sampled every half second: within a second
    assert abs(flagged[0] - 1049) <= 24 and abs(flagged[-1] - 1144) <= 24, (flagged[0], flagged[-1])
    assert flagged == list(range(flagged[0], flagged[-1] + 1))
    message = found[f"sh030_comp.{flagged[0]}.exr"][0]["message"]
    assert "gen_shot.mov" in message and "sh030_comp.[1001-1168].exr" in message, message
    assert re.search(r"frames \d{4}-\d{4} of .* \(00:00:0\d:\d\d-00:00:0\d:\d\d at 24 fps\)", message), message


@pytest.mark.slow
def test_a_graded_reframed_pillarboxed_ai_shot_in_a_dnxhr_conform_is_a_segment_with_timecodes(tmp_path):
    prod = production(tmp_path)
    ai_clip = prod / "working" / "ai_shot.mov"
    ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=320x180:rate=24", "-t", 8, "-vf", "scale=640:360", "-c:v",
           "prores_ks", "-profile:v", 0, ai_clip)
    aiprov.register(ai_clip, tool="Runway Gen-3")
    master = prod / "finals" / "reel2_conform.mov"
    # 6 s of another shot, the AI shot graded, pushed in 6% and pillarboxed into 4:3 (8 s), 4 s more
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24:duration=6", "-i", ai_clip, "-f", "lavfi", "-i",
           "smptehdbars=size=320x240:rate=24:duration=4", "-filter_complex",
           "[1:v]eq=contrast=1.15:saturation=0.8:gamma=1.1,crop=iw*0.94:ih*0.94,scale=320:180,"
           "pad=320:240:0:30:black,setsar=1[a];[0:v]setsar=1[b];[2:v]setsar=1[c];"
           "[b][a][c]concat=n=3:v=1:a=0,format=yuv422p[v]", "-map", "[v]", "-c:v", "dnxhd", "-profile:v", "dnxhr_lb",
           master)
    r = run("scan", prod, "--format", "json")
    found = findings_by_name(json.loads(r.stdout))["reel2_conform.mov"]
    assert [x["rule"] for x in found] == ["derived-from-ai"]
    tc_in, tc_out = re.search(r"frames (\d\d:\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d:\d\d)", found[0]["message"]).groups()

    def seconds(tc):
        h, m, s, f = map(int, tc.split(":"))
        return h * 3600 + m * 60 + s + f / 24

    assert abs(seconds(tc_in) - 6) <= 1 and abs(seconds(tc_out) - 14) <= 1, found[0]["message"]
