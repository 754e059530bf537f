"""Benchmark: reading comp scripts, and judging a long render through one.

Why: a script is read in the isolated reader like any file, on every change,
and a facility's comp scripts get big (thousands of nodes, megabytes of roto
shapes and embedded Python). And a render is thousands of frames: judging it
through its script must not cost a walk of the script's inputs per frame.

What is measured (wall clock, one process, no reader pool):

* parse: `read_script` on a generated Nuke script of N nodes (default 5,000)
  shaped like a real comp: shots of Read -> Grade -> Transform -> Roto (a
  60 KB shape knob each) -> Merge chains inside Groups, every chain ending in
  a Write, Dots and set/push reusing branches, a Python knob per Group. Reported
  as MB/s and nodes/s, and the script's own summary (renders and sources found).
  The same for a Fusion comp of the same shape (Loaders -> tools -> Savers).
* judge: a first scan (`aiprov scan`, 2 readers) of a shot whose script reads an
  AI plate and renders F frames into finals (default 1,000 PNGs), against the same
  scan with no script in the tree: the ratio is what comp-script lineage costs.

Run: .venv/bin/python bench/bench_comp_scripts.py [--nodes N] [--frames F]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugin"))

from aiprov.compscripts import read_script  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def nuke_script(nodes: int, rng: random.Random) -> str:
    out = ["version 15.1 v3", "Root {\n inputs 0\n project_directory \"\\[python \\{nuke.script_directory()\\}]\"\n"
           " first_frame 1001\n last_frame 1100\n}"]
    shape = " ".join(f"{{{rng.random():.6f} {rng.random():.6f}}}" for _ in range(3000))  # ~60 KB
    made = 0
    shot = 0
    while made < nodes:
        shot += 1
        out.append(f"Group {{\n inputs 0\n name Shot{shot}\n addUserKnob {{22 build T \"import nuke\\nfor n in nuke.allNodes():"
                   f"\\n    print(n.name())\" +STARTLINE}}\n}}")
        out.append(f" Read {{\n  inputs 0\n  file plates/sh{shot:04d}/plate.####.exr\n  first 1001\n  last 1100\n"
                   f"  name Read1\n }}")
        out.append(" set N1 [stack 0]")
        out.append(" Grade {\n  white {1.1 1 0.9 1}\n  name Grade1\n }")
        out.append(" Transform {\n  translate {{curve x1001 0 x1100 12} 0}\n  name Transform1\n }")
        out.append(f" Roto {{\n  curves {{{{{shape}}}}}\n  name Roto1\n }}")
        out.append(f" Read {{\n  inputs 0\n  file elements/sh{shot:04d}/fg.%04d.exr\n  name Read2\n }}")
        out.append(" Merge2 {\n  inputs 2\n  name Merge1\n }")
        out.append(" push $N1\n Dot {\n  name Dot1\n }")
        out.append(" Merge2 {\n  inputs 2\n  name Merge2\n }")
        out.append(" Output {\n  name Output1\n }")
        out.append("end_group")
        out.append(f"Write {{\n file renders/sh{shot:04d}/comp.####.exr\n name Write{shot}\n}}")
        made += 12
    return "\n".join(out) + "\n"


def fusion_comp(nodes: int) -> str:
    tools = []
    for i in range(nodes // 4):
        tools.append(f'\t\tL{i} = Loader {{ Clips = {{ Clip {{ ID = "Clip1", Filename = "Comp:/plates/p{i}.1001.exr", '
                     f'Length = 100, TrimIn = 0, TrimOut = 99, }}, }}, ViewInfo = OperatorInfo {{ Pos = {{ {i}, 0 }} }}, }},')
        tools.append(f'\t\tB{i} = Blur {{ Inputs = {{ XBlurSize = Input {{ Value = 2, }}, Input = Input {{ SourceOp = "L{i}", '
                     'Source = "Output", }, }, },')
        tools.append(f'\t\tM{i} = Merge {{ Inputs = {{ Background = Input {{ SourceOp = "B{i}", Source = "Output", }}, }}, }},')
        tools.append(f'\t\tS{i} = Saver {{ Inputs = {{ Clip = Input {{ Value = Clip {{ Filename = "Comp:/render/s{i}.0001.exr", '
                     f'Saving = true, }}, }}, Input = Input {{ SourceOp = "M{i}", Source = "Output", }}, }}, }},')
    return 'Composition {\n\tVersion = "Fusion Studio 19.0",\n\tTools = ordered() {\n' + "\n".join(tools) + "\n\t},\n}\n"


def time_parse(name: str, text: str, nodes: int) -> None:
    data = text.encode()
    start = time.perf_counter()
    report = read_script(os.fsencode(f"/show/comp/{name}"), data, {})
    took = time.perf_counter() - start
    print(f"parse {name}: {len(data) / 1e6:.1f} MB, {nodes:,} nodes in {took:.2f} s = "
          f"{len(data) / 1e6 / took:.1f} MB/s, {nodes / took:,.0f} nodes/s; {report.summary()}")


def scan(prod: Path) -> float:
    ledger = prod.parent / f"{prod.name}.db"
    if ledger.exists():
        ledger.unlink()
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "aiprov.cli", "scan", str(prod), "--ledger", str(ledger),
                        "--workers", "2"], capture_output=True, text=True)
    took = time.perf_counter() - start
    if r.returncode not in (0, 1):
        raise SystemExit(r.stderr)
    return took


def time_judge(frames: int) -> None:
    with tempfile.TemporaryDirectory(prefix="aiprov-bench-scripts-") as tmp:
        prod = Path(tmp) / "show"
        (prod / "finals").mkdir(parents=True)
        (prod / "working" / "plates").mkdir(parents=True)
        (prod / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n'
                                          '[likeness]\nenabled = false\n')
        shutil.copyfile(REPO / "sample_media" / "stills" / "ai_iptc_xmp.jpg", prod / "working" / "plates" / "sky.jpg")
        im = Image.new("RGB", (16, 16))
        for n in range(1001, 1001 + frames):
            im.putpixel((0, 0), (n % 256, n // 256, 3))
            im.save(prod / "finals" / f"sh010_comp.{n}.png")
        without = scan(prod)
        (prod / "working" / "comp.nk").write_text(
            'Read {\n inputs 0\n file plates/sky.jpg\n name Read1\n}\nWrite {\n file ../finals/sh010_comp.####.png\n'
            ' name Write1\n}\n')
        with_script = scan(prod)
        print(f"judge: first scan of {frames:,} render frames + plate: {without:.2f} s without the script, "
              f"{with_script:.2f} s with it and every frame derived-from-ai ({with_script / without:.2f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--frames", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(7)
    time_parse("big_comp_v001.nk", nuke_script(args.nodes, rng), args.nodes)
    time_parse("big_comp_v001.comp", fusion_comp(args.nodes), args.nodes)
    time_judge(args.frames)


if __name__ == "__main__":
    main()
