"""What a file's name says it is, checked against what its bytes are.

aiprov identifies a file by its first bytes (containers.walk), never by its
name, so a JPEG saved as .png is read as the JPEG it is. The name matters when
the bytes are not the media it promises: a text file or a server's error page
saved as shot.mp4, a RIFF file that is not WAVE under mix.wav, a symlink from
poster.jpg to a system file. Nothing in such a file can be checked, so it is
`unreadable`, and the reason says what the bytes really are.

The extensions in CLAIMS are the ones aiprov *claims*: it knows those formats
well enough to say whether the bytes are one (each walker checks its format's
own structure). Any other name (.pdf, .txt, .psd, none) is left to exiftool.
"""

from __future__ import annotations

from dataclasses import dataclass

from .containers import Metadata

# extension -> the format (containers' Metadata.format) a file with that name must be
CLAIMS = {
    b".png": "png", b".apng": "png",
    b".jpg": "jpeg", b".jpeg": "jpeg", b".jpe": "jpeg", b".jfif": "jpeg",
    b".webp": "webp",
    b".wav": "wav", b".bwf": "wav",
    b".avi": "avi",
    b".tif": "tiff", b".tiff": "tiff", b".dng": "tiff",
    b".mp4": "bmff", b".m4v": "bmff", b".m4a": "bmff", b".mov": "bmff", b".qt": "bmff", b".3gp": "bmff",
    b".heic": "bmff", b".heif": "bmff", b".avif": "bmff",
    b".exr": "exr",
    b".dpx": "dpx",
    b".mp3": "mp3", b".aac": "aac",
    b".gif": "gif",
    b".mkv": "matroska", b".mka": "matroska", b".webm": "matroska",
    b".mxf": "mxf",
    b".flac": "flac",
    b".ogg": "ogg", b".oga": "ogg", b".ogv": "ogg", b".opus": "ogg",
    b".aif": "aiff", b".aiff": "aiff", b".aifc": "aiff",
    b".jp2": "jp2",
    b".bmp": "bmp",
    b".mts": "mpegts", b".m2ts": "mpegts",
    b".mpg": "mpegps", b".mpeg": "mpegps",
}
WORDS = {
    "png": "a PNG image", "jpeg": "a JPEG image", "webp": "a WebP image", "wav": "a WAV file",
    "avi": "an AVI file", "tiff": "a TIFF image", "bmff": "an MP4/QuickTime (ISO BMFF) file",
    "exr": "an OpenEXR image", "dpx": "a DPX image", "mp3": "MPEG audio (MP3)", "aac": "AAC audio (ADTS)",
    "gif": "a GIF image", "matroska": "a Matroska/WebM file", "mxf": "an MXF file", "flac": "a FLAC file",
    "ogg": "an Ogg file", "aiff": "an AIFF file", "jp2": "a JPEG 2000 image", "bmp": "a BMP image",
    "mpegts": "an MPEG transport stream", "mpegps": "an MPEG program stream", "psd": "a Photoshop document",
    "pdf": "a PDF document",
}
NOT_MEDIA = {"pdf"}
# What the RIFF and IFF forms of the claimed formats are called, for "a RIFF file of type 'garb', not WAVE".
FORM_NAMES = {"wav": "WAVE", "webp": "WEBP", "avi": "AVI", "aiff": "AIFF"}
# Common things that end up under a media name: archives, executables, databases.
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive"), (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"), (b"BZh", "bzip2-compressed data"), (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"), (b"\x7fELF", "a Linux program (ELF)"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
QUOTED = 40  # characters of text shown from the file's start


@dataclass(frozen=True)
class NameCheck:
    """The verdict on a name: a problem makes the file unreadable, a warning is only shown."""

    problem: str | None = None
    warning: str | None = None


AGREES = NameCheck()


def extension(fspath: bytes) -> bytes:
    """The name's extension as os.path.splitext gives it (".MP4", or b"" for ".hidden"), without its cost."""
    name = fspath[fspath.rfind(b"/") + 1 :]
    dot = name.rfind(b".")
    return name[dot:] if dot > 0 and name[:dot].strip(b".") else b""


def check(fspath: bytes, meta: Metadata) -> NameCheck:
    # This runs on every file: the common case (a claimed name holding its format) makes nothing new.
    ext = extension(fspath)
    claimed = CLAIMS.get(ext.lower())
    if claimed is None or meta.format == claimed:
        return AGREES
    named = "named " + ext.decode("ascii")
    if meta.format == "unknown":
        return NameCheck(problem=f"{named}, but its bytes are {describe(meta.head, claimed)}")
    what = WORDS.get(meta.format, f"{meta.format} data")
    if meta.format == "bmff" and (meta.media_type or "").startswith("image/"):
        what = "a HEIF/AVIF image"
    if meta.format in NOT_MEDIA:
        return NameCheck(problem=f"{named}, but its bytes are {what}, not media")
    return NameCheck(warning=f"{named}, but its bytes are {what}: read as that (rename it to match?)")


def describe(head: bytes, claimed: str) -> str:
    """What bytes no walker recognised look like, in words."""
    if not head.strip(b"\x00"):
        return "all zeros where its header belongs (space reserved for a copy or render that never wrote it?)"
    if head[:4] in (b"RIFF", b"RF64", b"BW64", b"FORM"):
        family = "an IFF" if head[:4] == b"FORM" else "a RIFF"
        form = head[8:12].decode("latin-1")
        wanted = FORM_NAMES.get(claimed)
        return f"{family} file of type {form!r}" + (f", not {wanted}" if wanted else "")
    for sig, words in SIGNATURES:
        if head.startswith(sig):
            return words
    text = _as_text(head)
    if text is not None:
        start = text.lstrip().lower()
        kind = ("an HTML page" if start.startswith(("<!doctype html", "<html")) else
                "XML text" if start.startswith("<?xml") else "plain text")
        words = " ".join(text.split())
        if not words:
            return "blank text (only spaces and line breaks)"
        return f'{kind} ("{words[:QUOTED]}…")' if len(words) > QUOTED else f'{kind} ("{words}")'
    return f"no media format aiprov knows (binary data beginning {head[:8].hex(' ')})"


def _as_text(head: bytes) -> str | None:
    """The head as text, when it is UTF-8 (or UTF-16 with its byte-order mark) without control characters."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="ignore")
    else:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:  # a character cut by the end of the head is fine
                return None
            text = head[: exc.start].decode("utf-8")
    text = text.removeprefix("\ufeff")
    if any(c < " " and c not in "\t\n\r\f\v" or c == "\x7f" for c in text):
        return None
    return text
