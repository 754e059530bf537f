"""Everything the native walkers do not understand, through one exiftool process.

PyExifTool keeps exiftool running (-stay_open), one process per worker. It
can wait forever on a stuck exiftool (sylikc/pyexiftool#95): the worker's time
limit covers that, and a killed worker takes its exiftool with it (they share
a process group). exiftool reads its arguments one per line, so a path with a
newline or bytes that are not UTF-8 is read through a safely named symlink.
"""

from __future__ import annotations


from ..markers import dst_evidence, text_evidence

NAME = "exiftool"

SKIP_GROUPS = {"System", "File", "Composite", "ExifTool"}


# Formats exiftool has no reader for (it answers "Unknown file type"): ffprobe reads their tags.
NOT_READ = {"aac"}


def wants(ctx) -> bool:
    if ctx.meta.format in NOT_READ:
        return False
    return not ctx.meta.complete and ctx.meta.format != "bmff" or (
        ctx.meta.format == "bmff" and (ctx.meta.media_type or "").startswith("image/"))


def read(ctx) -> None:
    try:
        tags = ctx.tools.exiftool_read(ctx.fspath)
    except FileNotFoundError:
        ctx.problems.append("exiftool is not installed (apt-get install libimage-exiftool-perl)")
        return
    except Exception as exc:  # PyExifTool raises several unrelated classes
        ctx.problems.append(f"exiftool failed: {exc}")
        return
    error = tags.get("ExifTool:Error")
    if error:
        ctx.problems.append(f"exiftool: {error}")
    if ctx.meta.format == "unknown":
        mime = tags.get("File:MIMEType")
        if mime and not error:
            ctx.inspection.media_type = str(mime)
            ctx.meta.media_type = str(mime)
    for key, value in tags.items():
        group, _, name = key.partition(":")
        if group in SKIP_GROUPS or not name or isinstance(value, (int, float)):
            continue
        value = value if isinstance(value, str) else str(value)
        if name.lower() == "digitalsourcetype":
            ev = dst_evidence("exiftool", key, value, trustworthy=False)
            if ev:
                ctx.inspection.evidence.append(ev)
        else:
            ctx.inspection.evidence.extend(text_evidence("exiftool", key, value))
