"""Reading one file: walk its container, hold it to its name's claim, ask the probes, classify.

This is what runs inside an isolated worker (isolation.py). `Tools` holds the
worker's long-lived helpers (one exiftool process, one c2pa context), created
on first use, so a worker that never meets a MOV never starts exiftool.
"""

from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import dataclass

import xxhash

from . import claims, containers
from .classify import classify
from .compscripts import is_script
from .identify import EMPTY_CONTENT_ID, content_id_of_stream
from .model import TAMPERED, UNCHECKED_MANIFEST, UNKNOWN, UNREADABLE, Inspection
from .names import display_path
from .probes import ProbeContext, registered
from .probes.stealth import MAX_PIXELS

# Files up to this size are read into memory once, hashed and walked there (small stills, sidecars,
# scripts); larger ones are walked on disk and hashed streaming.
WHOLE_READ = 1024 * 1024


@dataclass(frozen=True)
class ReadSettings:
    want_content_id: bool = False
    network: bool = False  # C2PA remote manifests and OCSP; off: editorial storage is often offline
    trust_anchors: str | None = None  # PEM file of C2PA trust anchors
    exiftool: str = "exiftool"
    task: str = "inspect"  # or "fingerprint": the perceptual print only (likeness.py)
    crop_guesses: bool = True  # fingerprint task: crop and flop hypotheses of AI source stills
    source_prints: bool = False  # fingerprint task: print AI sources (everything a copy may match)


class Tools:
    """Per-process helpers; never shared between threads or processes."""

    def __init__(self, settings: ReadSettings):
        self.settings = settings
        self._exiftool = None
        self._c2pa_context = None
        self._alias_dir: str | None = None
        self._alias_count = 0

    def c2pa_context(self):
        if self._c2pa_context is None:
            from .probes.c2pa_manifest import make_context

            self._c2pa_context = make_context(self.settings)
        return self._c2pa_context

    def _safe_name(self, fspath: bytes) -> str:
        """A path exiftool's line-based argument protocol can carry."""
        full = os.path.abspath(fspath)
        try:
            text = full.decode("utf-8")
            if "\n" not in text and "\r" not in text:
                return text
        except UnicodeDecodeError:
            pass
        if self._alias_dir is None:
            import tempfile

            self._alias_dir = tempfile.mkdtemp(prefix="aiprov-alias-")
        # exiftool decides the format by extension too, so keep it, but only its plain characters;
        # a fresh name per file so a stale alias can never answer for another file.
        ext = re.sub(r"[^A-Za-z0-9.]", "", os.fsdecode(os.path.splitext(full)[1]))[:12]
        self._alias_count += 1
        alias = os.path.join(self._alias_dir, f"file{self._alias_count}{ext}")
        for old in os.listdir(self._alias_dir):
            os.unlink(os.path.join(self._alias_dir, old))
        os.symlink(full, alias)
        return alias

    def exiftool_read(self, fspath: bytes) -> dict:
        import exiftool

        if self._exiftool is None:
            self._exiftool = exiftool.ExifToolHelper(
                executable=self.settings.exiftool,
                common_args=["-G1:4", "-a", "-n", "-charset", "filename=utf8", "-api", "largefilesupport=1"],
                check_execute=False,
            )
        result = self._exiftool.get_metadata(self._safe_name(fspath))
        return result[0] if result else {}

    def close(self) -> None:
        if self._exiftool is not None:
            try:
                self._exiftool.terminate()
            except Exception:
                pass
            self._exiftool = None
        if self._alias_dir:
            for name in os.listdir(self._alias_dir):
                os.unlink(os.path.join(self._alias_dir, name))
            os.rmdir(self._alias_dir)
            self._alias_dir = None


def not_a_file(mode: int) -> str:
    """What a path that is not a regular file is, in words."""
    for test, words in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISDIR, "a folder")):
        if test(mode):
            return words
    return "not a regular file"


def special(mode: int) -> bool:
    """A FIFO, socket or device: never media, and never "still being written" (opening a FIFO blocks)."""
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def _unreadable(insp: Inspection, reason: str) -> Inspection:
    insp.verdict = UNREADABLE
    insp.error = reason
    insp.reason = reason
    return insp


def _read_error(insp: Inspection, exc: OSError) -> Inspection:
    if isinstance(exc, FileNotFoundError):
        return _unreadable(insp, "file disappeared while being read (moved or deleted)")
    if isinstance(exc, PermissionError):
        return _unreadable(insp, "permission denied: aiprov cannot read this file (check its mode and owner)")
    return _unreadable(insp, f"read error: {exc.strerror or exc}")


def _link_note(fspath: bytes) -> str:
    """Where a symlink leads, for a reason about its bytes: often the whole explanation."""
    try:
        target = os.readlink(fspath)
    except OSError:
        return ""
    return f": it is a symbolic link to {display_path(target)}"


def fingerprint(fspath: bytes, insp: Inspection, settings: ReadSettings) -> Inspection:
    """The perceptual print of a file (decodes pixels, so it runs isolated like every reader)."""
    from .likeness import fingerprint_file

    try:
        insp.media_type = containers.walk_path(fspath).media_type
        insp.likeness = fingerprint_file(fspath, insp.media_type, source=settings.source_prints,
                                         crop_guesses=settings.crop_guesses)
    except Exception as exc:  # a print is an extra: failing to make one is reported, never fatal
        insp.error = f"no perceptual fingerprint: {type(exc).__name__}: {exc}"
    return insp


SCRIPT_MEDIA_TYPES = {"Nuke": "text/x-nuke-script", "Fusion": "text/x-fusion-comp"}


def _read_script(fspath: bytes, fh, insp: Inspection) -> None:
    """A comp script's lineage (compscripts/): read here, isolated, because a script is untrusted text."""
    from .compscripts import MAX_BYTES, read_script

    try:
        fh.seek(0)
        report = read_script(fspath, fh.read(MAX_BYTES + 1))
    except OSError as exc:
        insp.warnings.append(f"the script's lineage could not be read: {exc.strerror or exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a script aiprov cannot follow is reported, the file still judged
        insp.warnings.append(f"the script's lineage could not be read ({type(exc).__name__}: {exc}); "
                             "its renders are not linked to what it reads")
        return
    if report is None:
        return
    insp.script = report
    insp.media_type = SCRIPT_MEDIA_TYPES[report.app]
    insp.warnings += report.problems
    insp.warnings += [f"{u.node}: the {u.knob} path {u.why}: {u.value}" for u in report.unresolved]


def read_file(fspath: bytes | str, settings: ReadSettings, tools: Tools) -> Inspection:
    fspath = os.fsencode(fspath)
    if settings.task == "fingerprint":
        return fingerprint(fspath, Inspection(path=display_path(fspath), fspath=fspath), settings)
    insp = Inspection(path=display_path(fspath), fspath=fspath)
    try:
        st = os.stat(fspath)
    except FileNotFoundError:
        return _unreadable(insp, "file disappeared before it could be read (moved or deleted)")
    except OSError as exc:
        return _unreadable(insp, f"cannot stat the file: {exc.strerror}")
    if not stat.S_ISREG(st.st_mode):
        return _unreadable(insp, f"{not_a_file(st.st_mode)}, not a file: it holds no media to check and cannot "
                                 "be delivered")
    insp.size = st.st_size
    if st.st_size == 0:
        if settings.want_content_id:
            insp.content_id = EMPTY_CONTENT_ID
        return _unreadable(insp, "the file is empty (0 bytes): an interrupted copy or render?")
    try:
        fh = open(fspath, "rb")
    except OSError as exc:
        return _read_error(insp, exc)
    with fh:
        try:
            data = fh.read(WHOLE_READ + 1) if settings.want_content_id and st.st_size <= WHOLE_READ else None
            if data is not None and len(data) <= WHOLE_READ:
                # A small file is read once: hashed whole, and walked in memory (the walk's
                # many small reads and seeks cost more than the bytes when they are syscalls).
                insp.content_id = xxhash.xxh3_128(data).hexdigest()
                fh = io.BytesIO(data)
                meta = containers.walk(fh, len(data))
            else:  # large, or grown past the limit since its stat: walked on disk, hashed streaming
                fh.seek(0)
                meta = containers.walk(fh, st.st_size)
                if settings.want_content_id:
                    fh.seek(0)
                    insp.content_id = content_id_of_stream(fh)
        except OSError as exc:
            return _read_error(insp, exc)
        insp.media_type = meta.media_type
        claim = claims.check(fspath, meta)
        if claim.warning:
            insp.warnings.append(claim.warning)
        if meta.format == "unknown" and is_script(fspath):
            _read_script(fspath, fh, insp)
        ctx = ProbeContext(path=insp.path, fspath=fspath, meta=meta, inspection=insp, tools=tools, settings=settings)
        # The walk's handle stays open for the probes: stealth decodes pixels from it rather than
        # reopening the file (and it is the same file even if the path was renamed meanwhile).
        ctx.fh = fh
        for probe in registered():
            if probe.wants(ctx):
                probe.read(ctx)
    try:
        after = os.stat(fspath)
        if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
            ctx.problems.append("the file changed while it was being read (still being written?)")
    except FileNotFoundError:
        ctx.problems.append("the file disappeared while it was being read")
    if claim.problem:
        ctx.problems.insert(0, claim.problem + _link_note(fspath))
    elif meta.format == "unknown" and insp.media_type is None:
        ctx.problems.append("not a media format aiprov or exiftool recognises (wrong extension, or not media?)")
    if meta.width and meta.height and meta.width * meta.height > MAX_PIXELS:
        # A decompression bomb, or a frame far beyond any deliverable: never decoded.
        insp.warnings.append(f"{meta.width}x{meta.height} pixels is over aiprov's decode limit "
                             f"({MAX_PIXELS // 1_000_000} MP): the pixels were not decoded (no stealth-metadata check)")
    # A manifest that says nothing about this file is no provenance, alone: one that could not be
    # read or checked, and one that no longer matches the file (copied in from another image, or
    # the file altered after signing). Neither may make an otherwise bare file not-ai.
    unchecked = insp.c2pa.present and insp.c2pa.integrity in UNCHECKED_MANIFEST
    forged = insp.c2pa.present and insp.c2pa.integrity == TAMPERED
    void = unchecked or forged
    has_metadata = bool(meta.text or meta.xmp or (insp.c2pa.present and not void)
                        or [e for e in insp.evidence if not (void and e.source == "c2pa")])
    insp = classify(insp, meta.problems + ctx.problems, has_metadata)
    if insp.script is not None and insp.verdict not in (UNREADABLE,) and not insp.evidence:
        insp.reason = f"{insp.script.summary()}; what it renders from what is recorded as lineage"
    if insp.verdict == UNKNOWN and unchecked:
        insp.reason = (f"its C2PA manifest cannot be read or checked: {insp.c2pa.error}; "
                       "nothing readable says AI or where the file came from")
    elif insp.verdict == UNKNOWN and forged:
        insp.reason = ("its only provenance, a C2PA manifest, no longer matches the file (copied from another "
                       "file, or the file was altered after signing): nothing says AI, nothing says where it came from")
    return insp
