"""Small real files and a way to run the real `aiprov` command, for the end-to-end tests."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image, PngImagePlugin

from .conftest import SAMPLES

AI_STILL = SAMPLES / "stills" / "ai_iptc_xmp.jpg"
CAMERA_STILL = SAMPLES / "stills" / "camera_original.jpg"


def aiprov(*args, cwd=None, env=None, input=None) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would (no shell)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "aiprov.cli", *map(os.fsencode, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, input=input, timeout=300)


def png_bytes(seed: int, text: dict[str, str] | None = None, size=(16, 16)) -> bytes:
    """A small, distinct PNG (distinct pixels give distinct content ids)."""
    im = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed // 256) % 256))
    im.putpixel((0, 0), (seed % 256, (seed >> 8) % 256, (seed >> 16) % 256))
    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst
