"""Comp scripts are the lineage: what a Nuke script or a Fusion comp renders, from which files.

The parser tests read real scripts (tests/corpus/scripts/) and scripts written here the
way Nuke 13-15 and Fusion Studio 19 save them. The end-to-end tests run the real
`aiprov` command (and the daemon) on a production whose working zone holds an AI plate
(a real AI still with its IPTC declaration), a script reading it, and renders made with
ffmpeg and Pillow in finals; they run on both ledger backends.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from aiprov.ancestry import Ancestry
from aiprov.compscripts import read_script
from aiprov.compscripts.frames import MARK, file_keys, key_of
from aiprov.compscripts.nuke import build_graph
from aiprov.ledger import Ledger

from .conftest import CORPUS
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy
from .test_watch import Daemon, finding_on, state_dir  # noqa: F401 - state_dir: the daemon's lock and status

SCRIPTS = CORPUS / "scripts"


def nuke(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def read(path: Path, environ: dict | None = None):
    return read_script(os.fsencode(path), path.read_bytes(), environ if environ is not None else {})


def sources(report, render_node: str) -> dict[str, str]:
    """{read node: path} of the sources of one render node."""
    return {s.node: s.path for r in report.renders if r.node == render_node for s in r.sources}


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True, timeout=120)


def exr_frames(pattern: Path, first: int, count: int, source: str = "testsrc2") -> list[Path]:
    """A render of `count` EXR frames numbered from `first`, made by ffmpeg."""
    pattern.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"{source}=size=96x54:rate=24", "-frames:v", count, "-start_number", first,
           "-c:v", "exr", "-pix_fmt", "gbrpf32le", pattern)
    return [Path(str(pattern) % n) for n in range(first, first + count)]


# -- reading scripts -----------------------------------------------------------------------

def test_real_cryptomatte_script_reads_its_exrs_beside_the_script_wherever_it_is_opened(tmp_path):
    # Saved as W:/development/.../example.nk; its Reads name "[file dirname [value root.name]]/...",
    # which Nuke evaluates against where the script is opened, not where it was saved.
    script = copy(SCRIPTS / "cryptomatte_example.nk", tmp_path / "show" / "lookdev" / "example.nk")
    report = read(script)
    assert report.app == "Nuke" and report.version == "7.0 v10"
    assert {s.node: s.path for s in report.sources} == {
        "Read3": f"{tmp_path}/show/lookdev/bunny_CryptoObject.exr",
        "Read1": f"{tmp_path}/show/lookdev/bunny_CryptoAsset.exr",
        "Read4": f"{tmp_path}/show/lookdev/testGrid_CryptoObject.exr",
        "Read2": f"{tmp_path}/show/lookdev/bunny_CryptoMaterial.exr"}
    assert report.renders == [] and report.unresolved == [] and report.problems == []
    graph = build_graph(script.read_text())  # add_layer {...} lines are not nodes; stacked order is followed
    inputs = {n.name: [i.name for i in n.inputs if i] for n in graph.nodes}
    assert inputs["CryptomatteMulti2"] == ["Read4"] and inputs["CryptomatteMulti1"] == ["Read2"]
    assert inputs["PostageStamp2"] == ["CryptomatteMulti1"] and inputs["Viewer1"] == ["PostageStamp2"]


# The structure of a real Nuke 13.1 script (NinjaCats/nukeParser test.nk): a Read kept on the stack
# by `set`, a plug-in node with a long private-data knob (base64, 26 KB there) and a quoted name,
# `push $`, a Copy of two inputs, Merges of five inputs and a mask ("inputs 5+1") with an empty
# input ("push 0").
MERGES = r'''#! C:/Program Files/Nuke13.1v1/nuke-13.1.1.dll -nx
version 13.1 v1
Root {
 inputs 0
 name test.nk
 project_directory "\[python \{nuke.script_directory()\}]"
 last_frame 1200
 lock_range true
}
Read {
 inputs 0
 file_type exr
 file plates/bg.####.exr
 first 1001
 last 1200
 name Read1
}
set Nf0465000 [stack 0]
OFXcom.borisfx.ofx.mochapro_v1 {
 "Module Renders" 0
 mochaprivatedata1 @BLOB@
 mochaprivatedata2 ""
 name "Mocha Pro1"
}
FrameHold {
 firstFrame 1
 name FrameHold1
}
push $Nf0465000
Copy {
 inputs 2
 from0 rgba.alpha
 to0 rgba.alpha
 name Copy1
}
set N2 [stack 0]
Read {
 inputs 0
 file elements/fg_a.exr
 name ReadA
}
Read {
 inputs 0
 file elements/fg_b.exr
 name ReadB
}
push 0
Read {
 inputs 0
 file elements/fg_c.exr
 name ReadC
}
Read {
 inputs 0
 file elements/matte.exr
 name ReadMatte
}
Merge2 {
 inputs 5+1
 name Merge1
}
Write {
 file renders/comp.%04d.exr
 name Write1
}
Read {
 inputs 0
 file elements/beside_the_graph.exr
 name ReadUnused
}
push $N2
Write {
 file renders/cleanplate.####.exr
 name Write2
}
'''.replace("@BLOB@", base64.b64encode(random.Random(13).randbytes(20_000)).decode())


def test_only_the_reads_upstream_of_a_write_are_its_sources(tmp_path):
    report = read(nuke(tmp_path / "comp" / "sh010_comp_v003.nk", MERGES))
    here = f"{tmp_path}/comp"
    # Merge1 takes five inputs and a mask: Copy1's branch, A, B, an empty input, C and the matte
    assert sources(report, "Write1") == {
        "Read1": f"{here}/plates/bg.####.exr", "ReadA": f"{here}/elements/fg_a.exr",
        "ReadB": f"{here}/elements/fg_b.exr", "ReadC": f"{here}/elements/fg_c.exr",
        "ReadMatte": f"{here}/elements/matte.exr"}
    assert sources(report, "Write2") == {"Read1": f"{here}/plates/bg.####.exr"}  # push $N2: the Copy only
    assert "ReadUnused" in {s.node for s in report.sources}  # read, but feeds no Write
    bg = next(s for s in report.sources if s.node == "Read1")
    assert (bg.key, bg.first, bg.last) == (f"{here}/plates/bg.{MARK}.exr", 1001, 1200)
    write1 = next(r for r in report.renders if r.node == "Write1")
    assert write1.key == f"{here}/renders/comp.{MARK}.exr"


def test_groups_clones_and_views_are_followed_as_nuke_builds_them(tmp_path):
    text = r'''version 14.0 v5
Root {
 inputs 0
 views {{left ""}
 {right ""}}
}
Read {
 inputs 0
 file /plates/outside.%04d.exr
 name ReadOutside
}
clone node7fab2c0|Read|21344 Read {
 inputs 0
 file /plates/cloned.####.exr
 name ReadCloned
}
set C7fab2c0 [stack 0]
Merge2 {
 inputs 2
 name Merge1
}
Group {
 name Precomp
}
 Input {
  inputs 0
  name Input1
 }
 set N5 [stack 0]
 Read {
  inputs 0
  file /elements/inside.exr
  name ReadInside
 }
 Merge2 {
  inputs 2
  name Merge2
 }
 Output {
  name Output1
 }
 Read {
  inputs 0
  file /elements/aside.exr
  name ReadAside
 }
 push $N5
 Write {
  file /renders/inner_%V.####.exr
  name WriteInside
 }
end_group
Write {
 file /renders/outer.####.exr
 name WriteOutside
}
clone $C7fab2c0 {
 inputs 0
 name ReadClonedAgain
 xpos 300
}
Write {
 file /renders/from_the_clone.%04d.exr
 name WriteClone
}
'''
    report = read(nuke(tmp_path / "g.nk", text))
    outer = sources(report, "WriteOutside")
    assert outer == {"ReadOutside": "/plates/outside.%04d.exr", "ReadCloned": "/plates/cloned.####.exr",
                     "Precomp.ReadInside": "/elements/inside.exr"}  # through the Group's Output; not ReadAside
    # a Write inside the Group fed by its Input1: the Group's input (the Merge of ReadOutside and the
    # clone), one output per stereo view
    inner = [r for r in report.renders if r.node == "Precomp.WriteInside"]
    assert [r.path for r in inner] == ["/renders/inner_left.####.exr", "/renders/inner_right.####.exr"]
    assert set(sources(report, "Precomp.WriteInside")) == {"ReadOutside", "ReadCloned"}
    # `clone $C...`: a copy sharing the original's knobs, so it reads the same file
    assert sources(report, "WriteClone") == {"ReadClonedAgain": "/plates/cloned.####.exr"}


def test_frame_patterns_name_one_key_whatever_their_style_and_frame_files_find_it():
    keys = {key_of(p) for p in ("/r/sh010.####.exr", "/r/sh010.%04d.exr", "/r/sh010.%d.exr", "/r/sh010.$F4.exr",
                                "/r/sh010.#.exr")}
    assert keys == {f"/r/sh010.{MARK}.exr"}
    assert f"/r/sh010.{MARK}.exr" in file_keys("/r/sh010.1001.exr")
    assert f"/r/sh010.{MARK}.exr" in file_keys("/r/sh010.10000.exr")  # frame 10,000 of "####" has five digits
    assert f"/r/sh010_v003.{MARK}.exr" in file_keys("/r/sh010_v003.1001.exr")
    assert key_of("/r/%04d/beauty.exr") is None  # a frame number in a folder: not a file key
    assert key_of("/r/still.exr") == "/r/still.exr"


def test_relative_paths_follow_the_project_directory_then_the_script(tmp_path):
    def script(project: str) -> str:
        return ('Root {\n inputs 0\n' + (f' project_directory "{project}"\n' if project else "") + '}\n'
                'Read {\n inputs 0\n file plates/p.####.exr\n name Read1\n}\n'
                'Write {\n file ../out/o.####.exr\n name Write1\n}\n')

    here = tmp_path / "show" / "sh010" / "comp"
    cases = {"": f"{here}", "/mnt/show/sh010": "/mnt/show/sh010", "..": f"{here.parent}",
             r"\[file dirname \[value root.name]]": f"{here}",
             r"\[python \{nuke.script_directory()\}]": f"{here}",
             r"\[getenv SHOT_ROOT]": "/jobs/sh010"}
    for project, base in cases.items():
        report = read(nuke(here / "c.nk", script(project)), {"SHOT_ROOT": "/jobs/sh010"})
        assert sources(report, "Write1") == {"Read1": f"{base}/plates/p.####.exr"}, project
        assert report.renders[0].path == os.path.normpath(f"{base}/../out/o.####.exr"), project


def test_paths_built_by_code_aiprov_does_not_run_are_reported_unresolved_never_guessed(tmp_path):
    text = r'''Root {
 inputs 0
 name /old/place/c.nk
}
Read {
 inputs 0
 file "\[python \{os.environ\['PLATES'\]\}]/bg.####.exr"
 name ReadPython
}
Read {
 inputs 0
 file "\[getenv SEQ_ROOT]/fg.exr"
 name ReadEnv
}
Read {
 inputs 0
 file "$env(ELEMENTS)/sky.exr"
 name ReadTclEnv
}
Read {
 inputs 0
 file "\[string map \{a b\} /plates/x.exr]"
 name ReadTcl
}
Read {
 inputs 0
 file "\[value Gone1.file]"
 name ReadRef
}
Read {
 inputs 0
 file "\[value ReadEnv.file]"
 name ReadSameAsEnv
}
Read {
 inputs 0
 file "\[file dirname \[value root.name]]/\[format %04d \[frame]].exr"
 name ReadFrame
}
Merge2 {
 inputs 7
 name Merge1
}
Write {
 file "\[python \{nuke.script_directory()\}]/render/\[file rootname \[file tail \[value root.name]]].####.exr"
 name Write1
}
'''
    script = nuke(tmp_path / "sh020_comp_v012.nk", text)
    report = read(script, {"SEQ_ROOT": "/jobs/seq"})
    why = {u.node: u.why for u in report.unresolved}
    assert set(why) == {"ReadPython", "ReadTclEnv", "ReadTcl", "ReadRef"}
    assert "Python code" in why["ReadPython"] and "os.environ" in why["ReadPython"]
    assert why["ReadTclEnv"] == "uses the environment variable ELEMENTS, which is not set where aiprov runs"
    assert "[string map" in why["ReadTcl"] and "Gone1.file" in why["ReadRef"]
    assert sources(report, "Write1") == {"ReadEnv": "/jobs/seq/fg.exr", "ReadSameAsEnv": "/jobs/seq/fg.exr",
                                         "ReadFrame": f"{tmp_path}/%04d.exr"}
    render = report.renders[0]
    assert render.path == f"{tmp_path}/render/sh020_comp_v012.####.exr"  # the versioned-output idiom
    assert {u.node for u in render.unresolved} == {"ReadPython", "ReadTclEnv", "ReadTcl", "ReadRef"}


@pytest.mark.parametrize("text, problem", [
    ("Root {\n inputs 0\n}\nRead {\n inputs 0\n file /a.exr\n name Read1\n}\nWrite {\n file /o.exr\n", "never closed"),
    ('Read {\n inputs 0\n file "/a.exr\n name Read1\n}\n', "never closed"),
    ("{" * 5000 + "}" * 4000, "never closed"),
])
def test_a_cut_short_or_hostile_script_is_read_as_far_as_it_goes_and_says_where_it_stopped(tmp_path, text, problem):
    report = read(nuke(tmp_path / "cut.nk", text))
    assert report is None or any(problem in p for p in report.problems)


def test_a_long_roto_knob_is_matched_brace_for_brace_as_tcl_reads_it(monkeypatch):
    """Long braced knobs are matched with numpy a window at a time; escaped braces, escaped
    backslashes and windows that cut an escape in two must give TCL's own answer."""
    from aiprov.compscripts import nuke as nk

    rng = random.Random(11)
    for trial in range(150):
        body = "".join(rng.choice(["{", "}", "a", " ", "\\{", "\\}", "\\\\", "x\n", "{", "}"])
                       for _ in range(rng.randint(100, 6000)))
        text = "{" + body + "}" * 400
        monkeypatch.setattr(nk, "FAST_BRACES", 10 ** 9)
        try:
            exact = nk._brace_end(text, 0, len(text))
        except nk.ScriptError:
            exact = None
        for fast, window in ((64, 97), (5, 3), (2, 2)):
            monkeypatch.setattr(nk, "FAST_BRACES", fast)
            monkeypatch.setattr(nk, "WINDOW", window)
            try:
                got = nk._brace_end(text, 0, len(text))
            except nk.ScriptError:
                got = None
            assert got == exact, (trial, fast, window)


def test_a_glsl_compute_shader_and_a_binary_file_named_like_scripts_are_not_scripts(tmp_path):
    shader = tmp_path / "blur.comp"
    shader.write_text("#version 450\nlayout(local_size_x = 16) in;\nvoid main() { }\n")
    assert read(shader) is None
    blob = tmp_path / "x.nk"
    blob.write_bytes(b"\x00\x01\x02" * 100)
    assert read(blob) is None


FUSION = r'''Composition {
	CurrentTime = 1001,
	RenderRange = { 1001, 1003 },
	Version = "Fusion Studio 19.0 build 52",
	OutputClips = {
		"Comp:/render/sh010_comp.0001.exr"
	},
	Tools = ordered() {
		AIPlate = Loader {
			Clips = {
				Clip {
					ID = "Clip1",
					Filename = "Plates:sky/sky_gen.jpg",
					FormatID = "JpegFormat",
					StartFrame = -1,
					LengthSetManually = true,
					TrimIn = 0,
					TrimOut = 0,
					GlobalStart = 1001,
					GlobalEnd = 1003
				}
			},
			Inputs = {
				["Gamut.SLogVersion"] = Input { Value = FuID { "SLog2" }, },
			},
			ViewInfo = OperatorInfo { Pos = { -220, 115.5 } },
		},
		BG = Loader {
			Clips = {
				Clip {
					ID = "Clip1",
					Filename = "Comp:/plates/bg.1001.exr",
					FormatID = "OpenEXRFormat",
					Length = 3,
					TrimIn = 0,
					TrimOut = 2,
				}
			},
		},
		Unused = Loader {
			Clips = {
				Clip { ID = "Clip1", Filename = "Comp:/plates/unused.exr", },
			},
		},
		Unmapped = Loader {
			Clips = {
				Clip { ID = "Clip1", Filename = "Elements:smoke.exr", },
			},
		},
		SkyGroup = GroupOperator {
			Inputs = ordered() {
				MainInput1 = InstanceInput { SourceOp = "SkyGrade", Source = "Input", },
			},
			Outputs = {
				MainOutput1 = InstanceOutput { SourceOp = "SkyGrade", Source = "Output", }
			},
			Tools = ordered() {
				SkyGrade = ColorCorrector {
					Inputs = {
						Input = Input { SourceOp = "AIPlate", Source = "Output", },
					},
				},
			},
		},
		Merge1 = Merge {
			Inputs = {
				Background = Input { SourceOp = "BG", Source = "Output", },
				Foreground = Input { SourceOp = "SkyGrade", Source = "Output", },
			},
		},
		Saver1 = Saver {
			CtrlWZoom = false,
			Inputs = {
				ProcessWhenBlendIs00 = Input { Value = 0, },
				Clip = Input {
					Value = Clip {
						Filename = "Comp:/render/sh010_comp.0001.exr",
						FormatID = "OpenEXRFormat",
						Length = 0,
						Saving = true,
					},
				},
				Input = Input { SourceOp = "Merge1", Source = "Output", },
			},
		},
		Review = Saver {
			Inputs = {
				Clip = Input { Value = Clip { Filename = "Comp:\\render\\review.mov", FormatID = "QuickTimeMovies", }, },
				Input = Input { SourceOp = "BG", Source = "Output", },
			},
		},
		Smoke = Saver {
			PassThrough = true,
			Inputs = {
				Clip = Input { Value = Clip { Filename = "/renders/smoke_.exr", }, },
				Input = Input { SourceOp = "Unmapped", Source = "Output", },
			},
		},
	},
	Prefs = {
		Comp = {
			Paths = {
				Map = {
					["Plates:"] = "Comp:../plates/",
				},
			},
		},
	},
}
'''


def test_fusion_comp_loaders_upstream_of_each_saver_with_comp_folder_and_its_own_path_maps(tmp_path):
    comp = tmp_path / "sh010" / "comp" / "sh010_comp_v001.comp"
    comp.parent.mkdir(parents=True)
    comp.write_text(FUSION)
    report = read(comp)
    here = f"{tmp_path}/sh010/comp"
    assert (report.app, report.version) == ("Fusion", "19.0 build 52")
    # the AI plate reaches Saver1 through a group whose tool names the Loader outside it
    assert sources(report, "Saver1") == {"AIPlate": f"{tmp_path}/sh010/plates/sky/sky_gen.jpg",
                                         "BG": f"{here}/plates/bg.1001.exr"}
    saver = next(r for r in report.renders if r.node == "Saver1")
    assert saver.key == f"{here}/render/sh010_comp.{MARK}.exr"
    bg = next(s for s in report.sources if s.node == "BG")
    assert (bg.key, bg.first, bg.last) == (f"{here}/plates/bg.{MARK}.exr", 1001, 1003)
    review = next(r for r in report.renders if r.node == "Review")
    assert (review.path, review.key) == (f"{here}/render/review.mov",) * 2  # a movie: one file
    smoke = next(r for r in report.renders if r.node == "Smoke")
    assert smoke.disabled and smoke.key == f"/renders/smoke_{MARK}.exr" and smoke.sources == []
    assert [u.why for u in smoke.unresolved] == [
        "uses the path map Elements:, which the comp does not define (maps set in Fusion's own preferences are "
        "not read)"]
    assert "Unused" not in {s.node for r in report.renders for s in r.sources}


def test_a_fusion_setting_file_is_a_comp_too(tmp_path):
    setting = tmp_path / "macros" / "PlateIn.setting"
    setting.parent.mkdir()
    setting.write_text('--[[ a macro saved by Fusion ]]\n{\n\tTools = ordered() {\n'
                       '\t\tL = Loader { Clips = { Clip { Filename = "/plates/a.0001.exr", Length = 10, TrimOut = 9, }, }, },\n'
                       '\t\tS = Saver { Inputs = { Clip = Input { Value = Clip { Filename = "/out/a.exr", }, },\n'
                       '\t\t\tInput = Input { SourceOp = "L", Source = "Output", }, }, },\n\t},\n\tActiveTool = "S"\n}\n')
    report = read(setting)
    assert [(r.node, r.key, [s.key for s in r.sources]) for r in report.renders] == [
        ("S", f"/out/a{MARK}.exr", [f"/plates/a.{MARK}.exr"])]


# -- the gate, end to end --------------------------------------------------------------------

def production(tmp_path: Path, ledger: str) -> Path:
    prod = tmp_path / "show"
    (prod / "finals").mkdir(parents=True)
    # `include` lists media only: the scripts are read all the same
    (prod / "aiprov.toml").write_text(f'ledger = "{ledger}"\n[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n'
                                      '[files]\ninclude = ["*.exr", "*.jpg", "*.png"]\n'
                                      'exclude = ["*.txt", "*.md", "*.json", "*.xml", "*.py", "*.toml"]\n')
    return prod


COMP = r'''version 15.1 v3
Root {
 inputs 0
 name /mnt/artist/home/sh010_comp_v003.nk
 first_frame 1001
 last_frame 1003
}
Read {
 inputs 0
 file "\[file dirname \[value root.name]]/../plates/%s"
 name Read1
}
Read {
 inputs 0
 file "\[file dirname \[value root.name]]/../plates/camera_bg.jpg"
 name Read2
}
Merge2 {
 inputs 2
 name Merge1
}
Write {
 file "\[file dirname \[value root.name]]/../../../finals/sh010/sh010_comp_v003.####.exr"
 name Write1
}
Read {
 inputs 0
 file "\[file dirname \[value root.name]]/../plates/camera_bg.jpg"
 name Read3
}
Write {
 file "\[file dirname \[value root.name]]/../../../finals/sh010/sh010_bg_only.####.exr"
 name WriteBG
}
'''


def shot(prod: Path, plate: str = "sky_gen.jpg") -> Path:
    copy(AI_STILL, prod / "working" / "sh010" / "plates" / "sky_gen.jpg")
    copy(CAMERA_STILL, prod / "working" / "sh010" / "plates" / "camera_bg.jpg")
    return nuke(prod / "working" / "sh010" / "comp" / "sh010_comp_v003.nk", COMP % plate)


def scan(prod: Path, *args) -> tuple[int, dict]:
    r = aiprov("scan", prod, "--format", "json", *args)
    return r.returncode, {os.path.relpath(f["path"], prod): f for f in json.loads(r.stdout)["files"]}


def rules(files: dict, prefix: str) -> dict[str, list[str]]:
    return {p: [x["rule"] for x in f["findings"]] for p, f in files.items() if p.startswith(prefix)}


def test_a_render_in_finals_of_a_script_reading_an_ai_plate_is_derived_from_ai_naming_script_node_and_input(
        tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    script = shot(prod)
    comp = exr_frames(prod / "finals" / "sh010" / "sh010_comp_v003.%04d.exr", 1001, 3)
    bg = exr_frames(prod / "finals" / "sh010" / "sh010_bg_only.%04d.exr", 1001, 3, source="mandelbrot")
    delivered = copy(comp[0], prod / "finals" / "delivery" / "to_client" / "shot_010_f1001.exr")
    code, files = scan(prod)
    assert code == 1
    assert rules(files, "finals") == {**{f"finals/sh010/{p.name}": ["derived-from-ai"] for p in comp},
                                      **{f"finals/sh010/{p.name}": [] for p in bg},
                                      f"finals/delivery/to_client/{delivered.name}": ["derived-from-ai"]}
    message = files["finals/sh010/sh010_comp_v003.1002.exr"]["findings"][0]["message"]
    plate = prod / "working" / "sh010" / "plates" / "sky_gen.jpg"
    assert f"{plate}, ai by Midjourney" in message
    assert f"comp-script: Write1 in {script} reads Read1: {plate}" in message
    # the script itself is read for lineage, and is no finding anywhere
    assert files["working/sh010/comp/sh010_comp_v003.nk"]["verdict"] == "unknown"
    assert "Nuke script (Nuke 15.1 v3): 2 render nodes" in files["working/sh010/comp/sh010_comp_v003.nk"]["reason"]


def test_a_reads_frame_range_decides_which_frames_of_a_plate_sequence_count(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    plates = prod / "working" / "plates"
    copy(CAMERA_STILL, plates / "bg.1001.jpg")
    with Image.open(CAMERA_STILL) as im:
        im.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(plates / "bg.1002.jpg")
    copy(AI_STILL, plates / "bg.1003.jpg")  # an AI fix of the last frame
    script = prod / "working" / "comp.nk"
    comp = ('Read {\n inputs 0\n file plates/bg.####.jpg\n first 1001\n last %d\n name Read1\n}\n'
            'Write {\n file ../finals/out.####.exr\n name Write1\n}\n')
    nuke(script, comp % 1002)
    exr_frames(prod / "finals" / "out.%04d.exr", 1001, 1)
    assert scan(prod)[0] == 0  # the AI frame is outside what the Read reads
    nuke(script, comp % 1003)
    code, files = scan(prod)
    assert code == 1 and f"{plates}/bg.1003.jpg, ai" in files["finals/out.1001.exr"]["findings"][0]["message"]


def test_approving_the_ai_plate_clears_the_renders_made_from_it(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    shot(prod)
    exr_frames(prod / "finals" / "sh010" / "sh010_comp_v003.%04d.exr", 1001, 2)
    assert scan(prod)[0] == 1
    plate = prod / "working" / "sh010" / "plates" / "sky_gen.jpg"
    assert aiprov("approve", plate, "--by", "Dana Reyes", "--reason", "licensed sky, approved by the studio",
                  "--ledger", ledger_target).returncode == 0
    code, files = scan(prod)
    assert code == 0 and rules(files, "finals") == {"finals/sh010/sh010_comp_v003.1001.exr": [],
                                                    "finals/sh010/sh010_comp_v003.1002.exr": []}


def test_a_new_version_of_the_script_replaces_the_old_ones_lineage(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    script = shot(prod)
    exr_frames(prod / "finals" / "sh010" / "sh010_comp_v003.%04d.exr", 1001, 2)
    assert scan(prod)[0] == 1
    # the artist swaps the AI sky for the camera plate and saves over the same script
    script.write_text(COMP % "camera_bg.jpg")
    code, files = scan(prod)
    assert code == 0, rules(files, "finals")
    answer = json.loads(aiprov("lookup", prod / "finals" / "sh010" / "sh010_comp_v003.1001.exr", "--json",
                               "--ledger", ledger_target).stdout)
    reads = {p["script"]["read_node"]: p["ref"] for p in answer["lineage"]["parents"] if p["kind"] == "comp-script"}
    camera = str(prod / "working" / "sh010" / "plates" / "camera_bg.jpg")
    assert reads == {"Read1": camera, "Read2": camera}


def test_lookup_on_a_render_shows_the_path_back_to_the_ai_source_through_a_precomp_and_a_comp(
        tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    copy(AI_STILL, prod / "working" / "assets" / "matte_painting.jpg")
    precomp = nuke(prod / "working" / "sh030" / "precomp.nk",
                   'Read {\n inputs 0\n file ../assets/matte_painting.jpg\n name ReadMP\n}\n'
                   'Write {\n file renders/mp_precomp.####.exr\n name WritePre\n}\n')
    comp = nuke(prod / "working" / "sh030" / "comp.nk",
                'Read {\n inputs 0\n file renders/mp_precomp.####.exr\n first 1\n last 2\n name ReadPre\n}\n'
                'Write {\n file ../../finals/sh030/sh030.####.exr\n name WriteFinal\n}\n')
    exr_frames(prod / "working" / "sh030" / "renders" / "mp_precomp.%04d.exr", 1, 2, source="mandelbrot")
    exr_frames(prod / "finals" / "sh030" / "sh030.%04d.exr", 1, 2)
    code, files = scan(prod)
    assert code == 1 and rules(files, "finals") == {"finals/sh030/sh030.0001.exr": ["derived-from-ai"],
                                                    "finals/sh030/sh030.0002.exr": ["derived-from-ai"]}
    message = files["finals/sh030/sh030.0001.exr"]["findings"][0]["message"]
    assert f"WritePre in {precomp} reads ReadMP" in message and f"WriteFinal in {comp} reads ReadPre" in message
    r = aiprov("lookup", prod / "finals" / "sh030" / "sh030.0002.exr", "--json", "--ledger", ledger_target)
    lineage = json.loads(r.stdout)["lineage"]
    [parent] = lineage["parents"]
    assert parent["kind"] == "comp-script" and parent["script"]["path"] == str(comp)
    assert parent["script"]["read_node"] == "ReadPre" and parent["files_on_record"] == 2
    source = lineage["ai_source"]
    assert source["path"] == str(prod / "working" / "assets" / "matte_painting.jpg") and source["verdict"] == "ai"
    assert [s.split(" in ")[0] for s in source["steps"]] == ["comp-script: WritePre", "comp-script: WriteFinal"]
    text = aiprov("lookup", prod / "finals" / "sh030" / "sh030.0002.exr", "--ledger", ledger_target).stdout
    assert "comp-script" in text and str(comp) in text
    # and down: the matte painting's lookup names the precomp's render node and its frames on record
    down = json.loads(aiprov("lookup", prod / "working" / "assets" / "matte_painting.jpg", "--json",
                             "--ledger", ledger_target).stdout)["lineage"]["script_children"]
    assert [(c["script"], c["render_node"], c["files_on_record"]) for c in down] == [(str(precomp), "WritePre", 2)]


def test_a_fusion_comp_rendering_an_ai_plate_into_finals_fails_the_gate(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    copy(AI_STILL, prod / "working" / "sh010" / "plates" / "sky" / "sky_gen.jpg")
    comp = prod / "working" / "sh010" / "comp" / "sh010_comp_v001.comp"
    comp.parent.mkdir(parents=True)
    comp.write_text(FUSION.replace('"Comp:/render/sh010_comp.0001.exr"', '"Comp:/../../../finals/sh010_comp.0001.exr"'))
    frames = exr_frames(prod / "finals" / "sh010_comp.%04d.exr", 1, 3)
    code, files = scan(prod)
    assert code == 1 and rules(files, "finals") == {f"finals/{p.name}": ["derived-from-ai"] for p in frames}
    message = files["finals/sh010_comp.0003.exr"]["findings"][0]["message"]
    assert f"Saver1 in {comp} reads AIPlate: {prod}/working/sh010/plates/sky/sky_gen.jpg" in message


def test_a_render_whose_script_reads_a_path_built_by_python_gets_a_warning_not_a_guess(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    nuke(prod / "working" / "comp.nk",
         'Read {\n inputs 0\n file "\\[python \\{shotgun.plate_path()\\}]"\n name ReadSG\n}\n'
         'Write {\n file ../finals/out.####.exr\n name Write1\n}\n')
    exr_frames(prod / "finals" / "out.%04d.exr", 1, 1)
    code, files = scan(prod)
    assert code == 0
    [finding] = files["finals/out.0001.exr"]["findings"]
    assert (finding["rule"], finding["severity"]) == ("lineage-unknown", "warning")
    assert "ReadSG" in finding["message"] and "shotgun.plate_path()" in finding["message"]


def test_the_daemon_catches_a_render_that_landed_before_its_plate_and_script(tmp_path, ledger_target):
    prod = production(tmp_path, ledger_target)
    frames = exr_frames(tmp_path / "staging" / "sh010_comp_v003.%04d.exr", 1001, 2)
    d = Daemon(prod, ledger_target, "--poll-interval", "0.2")
    try:
        for f in frames:  # the render is delivered first: nothing says where it came from yet
            copy(f, prod / "finals" / "sh010" / f.name)
        d.wait_until(lambda: len(d.db.locations.live_under(os.fsencode(prod / "finals"))) == 2, 20, "the render")
        assert finding_on(d.db, frames[0].name) == []
        shot(prod)  # then the working files: the AI plate and the script that rendered it
        d.wait_until(lambda: all(finding_on(d.db, f.name) == ["derived-from-ai"] for f in frames), 20,
                     "the render to be judged again once its script landed")
    finally:
        assert d.stop() == 0


def test_judging_a_thousand_frame_render_asks_the_ledger_as_much_as_judging_a_few(tmp_path):
    """Questions asked of the ledger by the lineage walk, counted by SQLite itself: a render's
    frames share their script row's answer, so more frames cost no more questions each."""
    prod = tmp_path / "show"
    copy(AI_STILL, prod / "working" / "plates" / "sky.jpg")
    nuke(prod / "working" / "comp.nk", 'Read {\n inputs 0\n file plates/sky.jpg\n name Read1\n}\n'
                                       'Write {\n file ../finals/big.####.png\n name Write1\n}\n')
    still = Image.new("RGB", (8, 8))
    (prod / "finals").mkdir()
    counts = {}
    for frames in (10, 1000):
        for n in range(1, frames + 1):
            still.putpixel((0, 0), (n % 256, n // 256, 7))
            still.save(prod / "finals" / f"big.{n:04d}.png")
        target = tmp_path / f"ledger{frames}.db"
        assert aiprov("scan", prod, "--ledger", target).returncode == 1
        with Ledger(target) as ledger:
            statements = []
            ledger.backend.conn.set_trace_callback(statements.append)
            ancestry = Ancestry(ledger)
            batch = [(loc.content_id, loc.path) for loc in ledger.locations.live_under(os.fsencode(prod / "finals")).values()]
            ancestry.know(batch)
            assert all(ancestry.of(cid) is not None for cid, _ in batch)
            ledger.backend.conn.set_trace_callback(None)
        counts[frames] = len(statements)
    assert counts[1000] <= counts[10] + 10, counts  # chunked IN lists add a few; nothing per frame
