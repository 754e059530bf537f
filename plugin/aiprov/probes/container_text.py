"""Text fields found by the native walkers: PNG chunks, EXIF, RIFF INFO, EXR/DPX headers."""

from __future__ import annotations

from ..markers import text_evidence

NAME = "container"

SOURCE_BY_PREFIX = {"tEXt": "png-text", "zTXt": "png-text", "iTXt": "png-text", "EXIF": "exif",
                    "RIFF-INFO": "riff-info", "BWF": "bwf", "iXML": "ixml", "EXR": "exr-header",
                    "DPX": "dpx-header", "JPEG": "jpeg-comment", "IPTC": "iptc-iim"}


def wants(ctx) -> bool:
    return bool(ctx.meta.text)


def read(ctx) -> None:
    for field, value in ctx.meta.text:
        source = SOURCE_BY_PREFIX.get(field.split(":", 1)[0], "container")
        ctx.inspection.evidence.extend(text_evidence(source, field, value))
