"""Small real files and a way to run the real `aiprov` command, for the end-to-end tests."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin

from aiprov.reader import ReadSettings, Tools, read_file

from .conftest import SAMPLES

AI_STILL = SAMPLES / "stills" / "ai_iptc_xmp.jpg"
CAMERA_STILL = SAMPLES / "stills" / "camera_original.jpg"


FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def ffmpeg(*args, timeout: float = 300) -> None:
    """Make a test file with the real ffmpeg (arguments as a list, never a shell)."""
    subprocess.run([*FFMPEG, *map(str, args)], check=True, capture_output=True, timeout=timeout)


def read(path, tools: Tools, settings: ReadSettings | None = None):
    """Read one file in this process, as a reader worker does."""
    return read_file(path if isinstance(path, bytes) else str(path), settings or ReadSettings(), tools)


def aiprov(*args, cwd=None, env=None, input=None) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would (no shell)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "aiprov.cli", *map(os.fsencode, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, input=input, timeout=300)


# Root reads everything; without these two capabilities it is held to file modes like any user.
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def held_to_file_modes() -> list[str]:
    """The command prefix that makes aiprov obey file modes, as an ordinary user's aiprov does:
    nothing for an ordinary user, setpriv without the read-anything capabilities for root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        raise AssertionError("running as root without setpriv (util-linux): cannot test unreadable files")
    return NO_DAC


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


def photo(seed: int, w: int = 480, h: int = 320) -> Image.Image:
    """A photo-like picture: gradient, soft texture, shapes, blur, grain. One per seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ang = rng.uniform(0, 2 * np.pi)
    t = ((np.cos(ang) * xx / w + np.sin(ang) * yy / h) + 1.5) / 3
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    coarse = rng.normal(0, 1, (int(rng.integers(3, 12)), int(rng.integers(3, 12))))
    tex = np.asarray(Image.fromarray(((coarse * 50) + 128).clip(0, 255).astype(np.uint8))
                     .resize((w, h), Image.BICUBIC), np.float32) - 128
    img += tex[..., None] * rng.uniform(0.3, 0.9, 3)
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(3, 12))):
        x0, y0 = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h
        r = rng.uniform(0.04, 0.3) * h
        col = tuple(int(v) for v in rng.uniform(0, 255, 3))
        k = rng.integers(0, 3)
        if k == 0:
            d.ellipse([x0 - r, y0 - r, x0 + r, y0 + r * rng.uniform(.5, 1.5)], fill=col)
        elif k == 1:
            d.rectangle([x0 - r, y0 - r * 0.6, x0 + r * rng.uniform(.5, 2), y0 + r], fill=col)
        else:
            d.polygon([(x0, y0), (x0 + rng.uniform(-2, 2) * r, y0 + rng.uniform(-2, 2) * r),
                       (x0 + rng.uniform(-2, 2) * r, y0 + rng.uniform(-2, 2) * r)], fill=col)
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2)))
    arr = np.asarray(im, np.float32) + rng.normal(0, 4, (h, w, 1))
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def fake_tool(path: Path, body: str, interpreter: str = "/bin/sh") -> str:
    """An executable standing in for a tool that cannot be made to fail here (a stuck or crashing exiftool)."""
    path.write_text(f"#!{interpreter}\n" + body + "\n")
    path.chmod(path.stat().st_mode | 0o100)
    return str(path)


def schema_validator(name: str):
    """A validator for one of aiprov's JSON Schemas, resolving their references to each other offline."""
    import json

    import jsonschema
    from referencing import Registry, Resource

    from .conftest import REPO

    schemas = [json.loads(p.read_text()) for p in (REPO / "schemas").glob("*.json")]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    schema = next(s for s in schemas if s["$id"].endswith("/" + name))
    return jsonschema.Draft202012Validator(schema, registry=registry)


class WatchProcess:
    """`aiprov watch ARGS...` running for real as a subprocess, its output in `log_path`.

    Waits for its first reconcile, as its status() reports it (a daemon that does not start
    is killed, not left running after the test); `what` names it in timeout messages.
    """

    def __init__(self, args: list[str], log_path: Path, what: str = "the daemon", env: dict | None = None):
        self.what = what
        self.log = open(log_path, "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "watch", *args], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        try:
            self.wait_until(lambda: self.status().get("last_reconcile"), 60, f"{what} to start")
        except BaseException:
            self.proc.kill()
            self.proc.wait(60)
            self.log.close()
            raise

    def status(self) -> dict:
        raise NotImplementedError

    def wait_until(self, check: Callable[[], object], timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise AssertionError(f"timed out waiting for {what}; log of {self.what}:\n{self.log.read()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(60)
        self.log.close()
        return code


class FileOpens:
    """Opens of regular files in a tree, as the kernel reports them (inotify IN_OPEN), whichever
    process opens them: what a rescan's own counters claim, seen from outside.

    The kernel queues an event as each open happens, so once the opener has returned, take()
    has them all. Its queue holds fs.inotify.max_queued_events; past that it says "overflow"
    (reported as `overflowed`: at least that many opens happened).
    """

    IN_OPEN, IN_Q_OVERFLOW, IN_ISDIR = 0x20, 0x4000, 0x40000000

    def __init__(self, root: Path):
        import ctypes

        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.folders: dict[int, bytes] = {}
        for folder, _, _ in os.walk(os.fsencode(root)):
            wd = self._libc.inotify_add_watch(self.fd, folder, self.IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch", folder)
            self.folders[wd] = folder

    def take(self) -> tuple[list[bytes], bool]:
        """(the files opened since the last call, in order; whether the kernel's queue overflowed)."""
        import struct

        opened, overflowed = [], False
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return opened, overflowed
            pos = 0
            while pos < len(data):
                wd, mask, _, size = struct.unpack_from("iIII", data, pos)
                name = data[pos + 16:pos + 16 + size].rstrip(b"\0")
                pos += 16 + size
                if mask & self.IN_Q_OVERFLOW:
                    overflowed = True
                elif mask & self.IN_OPEN and not mask & self.IN_ISDIR and name:
                    opened.append(os.path.join(self.folders[wd], name))

    def close(self) -> None:
        os.close(self.fd)
