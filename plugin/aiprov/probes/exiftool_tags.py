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


# User-defined ID3 frames (TXXX, WXXX) and their kin carry their own name: exiftool shows it in
# brackets before the value, "(AI_GENERATOR) Suno v4", so every such frame has the same tag name.
USER_DEFINED = {"UserDefinedText", "UserDefinedURL"}


def _named(group: str, name: str, value: str) -> tuple[str, str, str]:
    """(field, tag name, value) with exiftool's copy number taken out (-G1:4 names the second and
    later tags of the same name "Copy1", "Copy2": without it exiftool keeps only the last one) and
    a user-defined frame's own name made part of the field."""
    copy, _, bare = name.partition(":")
    name = bare if bare and copy.startswith("Copy") else name
    if name in USER_DEFINED and value.startswith("(") and ") " in value:
        own, value = value[1:].split(") ", 1)
        return f"{group}:{name}:{own}", own, value
    return f"{group}:{name}", name, value


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
        key, name, value = _named(group, name, value)
        if name.lower() == "digitalsourcetype":
            ev = dst_evidence("exiftool", key, value)
            if ev:
                ctx.inspection.evidence.append(ev)
        else:
            ctx.inspection.evidence.extend(text_evidence("exiftool", key, value))
