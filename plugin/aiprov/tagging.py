"""Writing provenance into files' metadata: sidecar XMP, in-place XMP, C2PA.

Never damage a deliverable. The default is a sidecar (NAME.EXT.xmp) beside
the file: the deliverable's bytes and checksums do not change, and exiftool,
Bridge and Resolve read it. Writing in place happens only when asked, and
only for formats whose decoded content aiprov can compare before and after:
the write goes to a temporary copy in the same folder, the copy's decoded
pixels (Pillow) or audio/video frames (ffmpeg framemd5) must equal the
original's, and only then is it renamed over the original in one step, with
the original's mode and times. Anything else leaves the original untouched.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from typing import Callable
from xml.sax.saxutils import escape

from .containers import walk_path
from .errors import AiprovError
from .markers import IPTC_DST
from .names import display_path

AIPROV_NS = "http://ns.aiprov.org/provenance/1.0/"
TEMP_MARK = b".aiprov-tmp-"
PILLOW_FORMATS = {"jpeg", "png", "tiff", "webp"}
FFMPEG_FORMATS = {"bmff"}
TIMEOUT_S = 300


class TagRefused(AiprovError):
    """aiprov will not write this tag (format it cannot verify, read-only file, finals without consent)."""

    exit_code = 1


class VerifyFailed(AiprovError):
    """The written copy did not decode to the same pixels or samples: the original was kept."""

    exit_code = 1


@dataclass
class TagPlan:
    """What aiprov writes: the IPTC code, the tool, and its own record of the file."""

    digital_source_type: str  # full IPTC URI
    creator_tool: str | None
    content_id: str  # at registration
    status: str  # temporary | approved-for-final
    approval_reference: str | None
    ledger_id: str
    tool_version: str | None = None
    registered_at: str | None = None

    def aiprov_fields(self) -> dict[str, str]:
        fields = {"ContentId": self.content_id, "Status": self.status, "LedgerId": self.ledger_id}
        if self.approval_reference:
            fields["ApprovalReference"] = self.approval_reference
        if self.creator_tool:
            fields["Tool"] = self.creator_tool
        if self.tool_version:
            fields["ToolVersion"] = self.tool_version
        if self.registered_at:
            fields["RegisteredAt"] = self.registered_at
        return fields


def exiftool_config() -> str:
    return str(resources.files("aiprov") / "data" / "aiprov.exiftool.config")


def sidecar_xmp(plan: TagPlan) -> bytes:
    """A standalone XMP packet (what Adobe tools write as a .xmp sidecar)."""
    props = [f'   <Iptc4xmpExt:DigitalSourceType>{escape(plan.digital_source_type)}</Iptc4xmpExt:DigitalSourceType>']
    if plan.creator_tool:
        props.append(f"   <xmp:CreatorTool>{escape(plan.creator_tool)}</xmp:CreatorTool>")
    props += [f"   <aiprov:{k}>{escape(v)}</aiprov:{k}>" for k, v in plan.aiprov_fields().items()]
    body = "\n".join(props)
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="aiprov">\n'
            f' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f'  <rdf:Description rdf:about=""\n'
            f'    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
            f'    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
            f'    xmlns:aiprov="{AIPROV_NS}">\n{body}\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n'
            f'<?xpacket end="w"?>\n').encode("utf-8")


def temp_path(beside: bytes) -> bytes:
    """A hidden temporary name in the same folder (so the final rename is atomic), carrying our pid
    so that a later run can tell a copy left by a killed process from one still being written."""
    folder, name = os.path.split(os.path.abspath(beside))
    ext = os.path.splitext(name)[1].decode("ascii", "ignore").replace("\n", "")[:10].encode()
    return os.path.join(folder, b".tag" + TEMP_MARK + str(os.getpid()).encode() + b"-" + os.urandom(4).hex().encode() + ext)


def _atomic_write(path: bytes, data: bytes) -> None:
    tmp = temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sidecar_path(fspath: bytes) -> bytes:
    """NAME.EXT.xmp, or NAME.xmp when the name is too long for that (both are read back)."""
    folder, name = os.path.split(fspath)
    if len(name) + 4 <= 255:
        return fspath + b".xmp"
    short = os.path.splitext(name)[0] + b".xmp"
    if len(short) > 255:
        raise TagRefused(f"{display_path(fspath)}: the name is too long for a sidecar beside it (255 bytes at most)")
    return os.path.join(folder, short)


def write_sidecar(fspath: bytes, plan: TagPlan) -> bytes:
    """The sidecar beside the file; the file itself is not opened for writing."""
    side = sidecar_path(fspath)
    try:
        _atomic_write(side, sidecar_xmp(plan))
    except PermissionError as exc:
        raise TagRefused(f"{display_path(side)}: cannot write the sidecar (the folder is not writable: {exc.strerror})")
    except OSError as exc:
        raise TagRefused(f"{display_path(side)}: cannot write the sidecar: {exc.strerror}")
    return side


# --- in place ----------------------------------------------------------------

def decoded_digest(fspath: bytes, fmt: str) -> str:
    """A digest of what a viewer or player gets out of the file: pixels, or frames and samples."""
    if fmt in PILLOW_FORMATS:
        from PIL import Image, ImageSequence

        h = hashlib.sha256()
        with Image.open(fspath) as im:
            for frame in ImageSequence.Iterator(im):
                h.update(f"{frame.mode}{frame.size}".encode())
                h.update(frame.tobytes())
        return h.hexdigest()
    cmd = [b"ffmpeg", b"-v", b"error", b"-nostdin", b"-i", b"file:" + os.path.abspath(fspath), b"-map", b"0:v?",
           b"-map", b"0:a?", b"-f", b"framemd5", b"-"]
    proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise VerifyFailed(f"{display_path(fspath)}: ffmpeg could not decode it to verify: "
                           f"{proc.stderr.decode('utf-8', 'replace').strip()[-300:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln and not ln.startswith(b"#")]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def clean_stale_temps(folder: bytes) -> list[bytes]:
    """Remove temporary copies left by an aiprov process that died mid-write (kill -9)."""
    removed = []
    for tmp in glob.glob(os.path.join(glob.escape(folder), b".*" + TEMP_MARK + b"*")):
        pid = tmp.rsplit(TEMP_MARK, 1)[-1].split(b"-", 1)[0]
        alive = pid.isdigit() and _alive(int(pid))
        if not alive:
            os.unlink(tmp)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def in_place(fspath: bytes, write: Callable[[bytes], None], *, after_temp_written: Callable[[bytes], None] | None = None
             ) -> None:
    """Apply `write` to a temporary copy, verify decoded content is unchanged, then rename it over fspath.

    The original is untouched until the final rename; if anything fails (or the
    process is killed) the temporary copy is removed, now or by the next run.
    """
    fspath = os.path.abspath(fspath)
    st = os.stat(fspath)
    if not os.access(fspath, os.W_OK) or not (st.st_mode & 0o222):
        raise TagRefused(f"{display_path(fspath)} is read-only (mode {st.st_mode & 0o777:04o}): aiprov will not write "
                         "into a protected file. Use the sidecar (the default), or make it writable first.")
    fmt = walk_path(fspath).format
    if fmt not in PILLOW_FORMATS | FFMPEG_FORMATS:
        raise TagRefused(f"{display_path(fspath)}: aiprov cannot verify that writing into a {fmt} file leaves its "
                         "pixels or samples unchanged, so it will not write into it. Use --sidecar (the default).")
    clean_stale_temps(os.path.dirname(fspath))
    tmp = temp_path(fspath)
    try:
        before = decoded_digest(fspath, fmt)
        shutil.copyfile(fspath, tmp)
        write(tmp)
        if after_temp_written:
            after_temp_written(tmp)
        after = decoded_digest(tmp, fmt)
        if after != before:
            raise VerifyFailed(f"{display_path(fspath)}: after writing the metadata the decoded content differed; "
                               "the original was kept unchanged")
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, fspath)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def exiftool_writer(plan: TagPlan, exiftool: str = "exiftool") -> Callable[[bytes], None]:
    def write(target: bytes) -> None:
        args = [exiftool.encode(), b"-config", exiftool_config().encode(), b"-overwrite_original", b"-q", b"-m",
                f"-XMP-iptcExt:DigitalSourceType={plan.digital_source_type}".encode()]
        if plan.creator_tool:
            args.append(f"-XMP-xmp:CreatorTool={plan.creator_tool}".encode())
        args += [f"-XMP-aiprov:{k}={v}".encode() for k, v in plan.aiprov_fields().items()]
        args.append(target)  # absolute: never read as an option
        proc = subprocess.run(args, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise TagRefused(f"exiftool could not write the metadata: "
                             f"{proc.stderr.decode('utf-8', 'replace').strip() or proc.returncode}")
    return write


def c2pa_writer(plan: TagPlan, cert: str, key: str, parents: list[tuple[str, bytes]], alg: str = "es256",
                tool_version: str | None = None) -> Callable[[bytes], None]:
    """Sign a C2PA manifest into the file: c2pa.created with the IPTC code, parents as ingredients."""

    def write(target: bytes) -> None:
        import json

        import c2pa

        from .version import __version__

        mime = _mime(target)
        agent = {"name": plan.creator_tool or "unknown generator"}
        if tool_version:
            agent["version"] = tool_version
        actions = [{"action": "c2pa.created", "digitalSourceType": plan.digital_source_type, "softwareAgent": agent}]
        manifest = {"claim_generator_info": [{"name": "aiprov", "version": __version__}],
                    "title": os.path.basename(display_path(target)),
                    "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}]}
        with open(cert, "rb") as fh:
            cert_pem = fh.read()
        with open(key, "rb") as fh:
            key_pem = fh.read()
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg.encode(), cert_pem, key_pem, None))
        builder = c2pa.Builder(json.dumps(manifest))
        try:
            for title, parent in parents:
                with open(parent, "rb") as ph:
                    builder.add_ingredient({"title": title, "relationship": "inputTo"}, _mime(parent), ph)
            signed = target + b".signed"
            try:
                with open(target, "rb") as src, open(signed, "wb") as dst:
                    builder.sign(signer, mime, src, dst)
                os.replace(signed, target)
            finally:
                if os.path.exists(signed):
                    os.unlink(signed)
        finally:
            builder.close()
            signer.close()

    return write


def _mime(fspath: bytes) -> str:
    meta = walk_path(fspath)
    if not meta.media_type:
        raise TagRefused(f"{display_path(fspath)}: unknown media type; C2PA cannot sign it")
    return meta.media_type


def dst_uri(composite: bool) -> str:
    return IPTC_DST + ("compositeWithTrainedAlgorithmicMedia" if composite else "trainedAlgorithmicMedia")


# --- what the ledger knows, written into files ----------------------------------

@dataclass
class Tagged:
    path: str
    mode: str  # sidecar | in-place | c2pa
    written: str  # the sidecar's path, or the file's own
    content_id: str
    new_content_id: str | None = None  # in place: the bytes changed (the pixels did not)


def plan_for(ledger, insp) -> TagPlan:
    from .model import AI_VERDICTS

    regs = ledger.registrations.of(insp.content_id)
    if not regs and insp.verdict not in AI_VERDICTS:
        raise TagRefused(f"{insp.path}: nothing to tag: the ledger has no registration for it and the file does not "
                         "say it is AI. Register it first: aiprov register FILE --tool NAME")
    approvals = ledger.approvals.of(insp.content_id)
    reg = regs[0] if regs else None
    composite = bool(reg["composite"]) if reg else insp.verdict == "ai-composite"
    return TagPlan(digital_source_type=dst_uri(composite),
                   creator_tool=(reg["tool"] if reg else insp.generator),
                   content_id=insp.content_id,
                   status="approved-for-final" if approvals else "temporary",
                   approval_reference=(approvals[-1]["reference"] or f"approval #{approvals[-1]['id']}") if approvals else None,
                   ledger_id=ledger.ledger_id(),
                   tool_version=reg["tool_version"] if reg else None,
                   registered_at=reg["created"] if reg else None)


def tag_files(paths, ledger, config, *, mode: str = "sidecar", cert: str | None = None, key: str | None = None,
              alg: str = "es256", allow_finals: bool = False,
              after_temp_written: Callable[[bytes], None] | None = None) -> list[Tagged]:
    """Write what the ledger knows about each file into it (or beside it).

    Each file is judged first as `lookup` judges it (its registrations and recorded knowledge
    applied); a file written in place is new bytes, recorded and judged as `scan` would."""
    from .checking import Checker
    from .walk import entry_for

    out = []
    with Checker(config, ledger, workers=1) as checker:
        for p in paths:
            fspath = os.path.abspath(os.fsencode(p))
            insp = checker.look([fspath])[0].inspection
            if not insp.content_id:
                raise TagRefused(f"{insp.path}: cannot be read, so it cannot be tagged ({insp.error})")
            plan = plan_for(ledger, insp)
            zone = config.zone_of(fspath)
            if mode == "sidecar":
                side = write_sidecar(fspath, plan)
                ledger.event("tagged", insp.content_id, insp.path, {"mode": "sidecar", "sidecar": display_path(side)})
                out.append(Tagged(insp.path, mode, display_path(side), insp.content_id))
                continue
            if zone == "finals" and not allow_finals:
                raise TagRefused(f"{insp.path} is in a finals zone, where a deliverable's bytes and checksums must "
                                 "not change: aiprov writes a sidecar there (the default), or in place only with "
                                 "--allow-finals")
            if mode == "c2pa":
                if not (cert and key):
                    raise TagRefused("--c2pa needs --cert and --key (PEM files)")
                parents = []
                for edge in ledger.lineage.parents(insp.content_id):
                    for pid in edge["parent_ids"]:
                        live = [l for l in ledger.locations.of(pid, include_gone=False) if os.path.exists(l.path_raw)]
                        if live:
                            parents.append((os.path.basename(live[0].path), live[0].path_raw))
                writer = c2pa_writer(plan, cert, key, parents, alg, plan.tool_version)
            else:
                writer = exiftool_writer(plan)
            in_place(fspath, writer, after_temp_written=after_temp_written)
            read = checker.read([fspath])
            new = read[fspath]
            with ledger.transaction():
                _carry_over(ledger, insp, new, mode)
            checker.check([entry_for(fspath)], already_read=read)
            out.append(Tagged(insp.path, mode, insp.path, insp.content_id, new.content_id))
    return out


def _carry_over(ledger, old, new, mode: str) -> None:
    """The tagged file is new bytes with the same pixels: it keeps the old content's registrations and
    approvals (recorded before the new content is, so it is judged with them)."""
    for r in ledger.registrations.of(old.content_id):
        if not ledger.registrations.of(new.content_id):
            ledger.registrations.add(new.content_id, r["tool"], r["tool_version"], r["prompt"],
                                     f"tagged copy ({mode}) of {old.content_id}", r["status"], bool(r["composite"]),
                                     new.path)
    for a in ledger.approvals.of(old.content_id):
        ledger.approvals.add(new.content_id, a["approved_by"], f"carried over from approval #{a['id']} (metadata-only "
                             f"change, decoded content verified identical): {a['reason']}", a["reference"],
                             a["categories"], a["answers"], new.path)
    ledger.lineage.add(new.content_id, old.content_id, "tagged-version",
                       f"metadata written ({mode}); pixels/samples identical")
    ledger.event("tagged", new.content_id, new.path, {"mode": mode, "previous": old.content_id})
