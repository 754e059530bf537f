"""Frame sequences are read frame by frame but reported as one line."""

from __future__ import annotations

from aiprov.sequences import group

from .helpers import aiprov, png_bytes

A1111 = "x\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1"


def test_consecutive_frames_group_and_a_gap_or_other_outcome_splits():
    paths = [f"/show/sh010/plate.{i:04d}.exr" for i in (1001, 1002, 1003, 1005)] + ["/show/sh010/notes.exr"]
    runs = group(paths, lambda p: p)
    assert [r.label for r in runs] == ["/show/sh010/notes.exr", "/show/sh010/plate.1005.exr",
                                       "/show/sh010/plate.[1001-1003].exr"]
    by_outcome = group(paths[:3], lambda p: p, key_of=lambda p: p.endswith("1002.exr"))
    assert len(by_outcome) == 3


def test_scan_reports_an_ai_render_in_finals_as_one_line_per_range(tmp_path):
    shot = tmp_path / "DELIVERY" / "sh010"
    shot.mkdir(parents=True)
    for i in range(1001, 1101):
        (shot / f"comp_v002.{i:04d}.png").write_bytes(png_bytes(i, {"parameters": A1111}))
    r = aiprov("scan", tmp_path / "DELIVERY", "--ledger", tmp_path / "l.db")
    assert r.returncode == 1
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("ERROR")]
    assert len(lines) == 1 and "comp_v002.[1001-1100].png" in lines[0] and "100 frames" in lines[0]
    assert "100 error(s)" in r.stdout
