"""The HTML report opens in a real browser: what a supervisor forwards to the studio."""

from __future__ import annotations

import shutil
import subprocess

from PIL import Image

from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_html_report_renders_in_headless_chromium_with_the_flagged_thumbnail(tmp_path):
    assert CHROMIUM, "Debian's chromium is not installed: run `make system-deps` (apt-get install chromium)"
    d = tmp_path / "DELIVERY"
    copy(AI_STILL, d / "poster.jpg")
    copy(CAMERA_STILL, d / "camera.jpg")
    report = tmp_path / "report.html"
    assert aiprov("scan", d, "--ledger", tmp_path / "l.db", "--format", "html", "-o", report).returncode == 1
    profile = tmp_path / "profile"
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert "ai-in-finals" in dom.stdout and "poster.jpg" in dom.stdout
    assert dom.stdout.count("<img") == 1  # a thumbnail for the one flagged still
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1200,900",
                    report.as_uri()], capture_output=True, timeout=120)
    with Image.open(shot) as im:
        assert im.size == (1200, 900)
        colors = im.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colors is None or len(colors) > 50  # rendered content, not a blank page
