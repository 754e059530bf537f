"""Video and audio container tags through ffprobe (encoder, comment, QuickTime keys).

ffprobe is run per file with a time limit and an argument list (no shell);
the path is given as `file:` so names with a colon or a leading dash are not
read as protocols or options.
"""

from __future__ import annotations

import json
import os
import subprocess

from ..markers import text_evidence

NAME = "ffprobe"

AV_FORMATS = {"bmff", "avi", "matroska", "mxf", "ogg", "flac", "aiff", "mpegts", "mpegps", "aac"}
TIMEOUT_S = 30


def wants(ctx) -> bool:
    if ctx.meta.format not in AV_FORMATS:
        return False
    mt = ctx.meta.media_type or ""
    return not mt.startswith("image/")


def ffprobe_json(fspath: bytes, timeout: float = TIMEOUT_S) -> dict:
    """ffprobe's view of a file; raises RuntimeError with ffprobe's own words."""
    cmd = [b"ffprobe", b"-v", b"error", b"-print_format", b"json", b"-show_format", b"-show_streams",
           b"file:" + os.path.abspath(fspath)]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"ffprobe exited with {proc.returncode}")
    return json.loads(proc.stdout or b"{}")


def read(ctx) -> None:
    try:
        info = ffprobe_json(ctx.fspath)
    except FileNotFoundError:
        ctx.problems.append("ffprobe is not installed: video/audio tags were not read (apt-get install ffmpeg)")
        return
    except subprocess.TimeoutExpired:
        ctx.problems.append(f"ffprobe did not answer within {TIMEOUT_S} s")
        return
    except (RuntimeError, ValueError) as exc:
        ctx.problems.append(f"ffprobe could not read the file: {exc}")
        return
    fmt = info.get("format") or {}
    for key, value in (fmt.get("tags") or {}).items():
        ctx.inspection.evidence.extend(text_evidence("ffprobe", f"format:{key}", str(value)))
    for stream in info.get("streams") or []:
        idx = stream.get("index", 0)
        for key, value in (stream.get("tags") or {}).items():
            if key in ("language", "creation_time", "timecode", "vendor_id"):
                continue
            ctx.inspection.evidence.extend(text_evidence("ffprobe", f"stream{idx}:{key}", str(value)))
