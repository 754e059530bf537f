"""ReaderPool: every file costs at most one `unreadable` verdict, never the scan.

Real worker processes, real files; the misbehaving reader is a real program
standing in for exiftool (one that hangs, one that kills the worker the way a
segfault in a native library would).
"""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from aiprov.isolation import ReaderPool
from aiprov.reader import ReadSettings
from .helpers import fake_tool

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"

A1111 = ("a lighthouse at dusk\nNegative prompt: blurry\n"
         "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24, Model: v1-5-pruned-emaonly")


def png_bytes(parameters: str | None = None, shade: int = 0) -> bytes:
    info = PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (shade, 90, 160)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def by_name(results) -> dict[str, object]:
    return {Path(r.path).name: r for r in results}


def test_a_hung_reader_costs_one_unreadable_verdict_and_the_pool_goes_on(tmp_path, mp3):
    stuck = fake_tool(tmp_path / "exiftool-stuck", "exec sleep 60")
    ai_still = tmp_path / "a1111.png"
    ai_still.write_bytes(png_bytes(A1111))

    started = time.monotonic()
    with ReaderPool(ReadSettings(exiftool=stuck), workers=1, timeout_s=2) as pool:
        results = by_name(pool.read_many([str(mp3), str(ai_still)]))
        restarts = pool.restarts
    elapsed = time.monotonic() - started

    hung = results["temp_score.mp3"]
    assert hung.verdict == "unreadable"
    assert "longer than 2 s" in hung.reason and "hung" in hung.reason
    assert results["a1111.png"].verdict == "ai"  # read by the fresh worker
    assert restarts == 1
    assert elapsed < 15


def test_a_reader_that_crashes_the_worker_gives_unreadable_and_the_pool_goes_on(tmp_path, mp3):
    crasher = fake_tool(tmp_path / "exiftool-segv", 'kill -SEGV "$PPID"\nexec sleep 30')
    ai_still = tmp_path / "a1111.png"
    ai_still.write_bytes(png_bytes(A1111))
    plain = tmp_path / "plain.png"
    plain.write_bytes(png_bytes())

    with ReaderPool(ReadSettings(exiftool=crasher), workers=1, timeout_s=20) as pool:
        results = by_name(pool.read_many([str(mp3), str(ai_still), str(plain)]))

    crashed = results["temp_score.mp3"]
    assert crashed.verdict == "unreadable"
    assert "crashed" in crashed.reason and "signal 11" in crashed.reason
    assert results["a1111.png"].verdict == "ai"
    assert results["plain.png"].verdict == "unknown"


def test_a_hung_worker_takes_its_stuck_exiftool_with_it(tmp_path, mp3):
    marker = tmp_path / "stuck.pid"
    stuck = fake_tool(tmp_path / "exiftool-stuck", f'echo $$ > "{marker}"\nexec sleep 60')

    with ReaderPool(ReadSettings(exiftool=stuck), workers=1, timeout_s=1) as pool:
        assert pool.read_one(str(mp3)).verdict == "unreadable"

    pid = int(marker.read_text())
    deadline = time.monotonic() + 5
    while alive(pid):
        if time.monotonic() > deadline:
            pytest.fail(f"the stuck exiftool (pid {pid}) outlived its worker")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(") ", 1)[1][:1]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_the_pool_returns_exactly_one_result_per_input_for_fifty_mixed_files(tmp_path, mp3):
    paths, expect = [], {}
    for i in range(50):
        kind = i % 7
        if kind == 0:
            p = tmp_path / f"{i:02d}_a1111.png"
            p.write_bytes(png_bytes(A1111, shade=i))
            expect[p.name] = "ai"
        elif kind == 1:
            p = tmp_path / f"{i:02d}_plain.png"
            p.write_bytes(png_bytes(shade=i))
            expect[p.name] = "unknown"
        elif kind == 2:
            p = tmp_path / f"{i:02d}_empty.png"
            p.write_bytes(b"")
            expect[p.name] = "unreadable"
        elif kind == 3:
            p = tmp_path / f"{i:02d}_cut.png"
            p.write_bytes(png_bytes(shade=i)[:-20])
            expect[p.name] = "unreadable"
        elif kind == 4:
            p = tmp_path / f"{i:02d}_missing.png"  # listed, then gone before it is read
            expect[p.name] = "unreadable"
        elif kind == 5:
            p = tmp_path / f"{i:02d}_score.mp3"
            p.write_bytes(mp3.read_bytes())
            expect[p.name] = "ai"
        else:
            p = tmp_path / f"{i:02d}_garbage.mov"
            p.write_bytes(random.Random(i).randbytes(4096))
            expect[p.name] = "unreadable"
        paths.append(str(p))

    with ReaderPool(ReadSettings(), workers=3, timeout_s=30) as pool:
        results = list(pool.read_many(paths))

    assert len(results) == 50
    assert sorted(r.path for r in results) == sorted(paths)
    assert {Path(r.path).name: r.verdict for r in results} == expect


def test_an_upgrade_under_a_running_pool_stops_it_with_a_clear_error_instead_of_blaming_files(tmp_path):
    from aiprov.isolation import CodeChanged, ReaderPool
    from aiprov.reader import ReadSettings

    img = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(img)
    pool = ReaderPool(ReadSettings(), workers=1)
    pool._stamp = "code-of-an-older-aiprov"  # what an upgrade on disk looks like to the workers
    try:
        with pytest.raises(CodeChanged, match="restart"):
            list(pool.read_many([str(img)] * 3))
    finally:
        pool.close()
