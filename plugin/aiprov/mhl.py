"""ASC MHL: check a delivery's hash history against its bytes and the ledger; seal a checked delivery.

aiprov's content id is xxh3-128 of a file's bytes, the hash ASC MHL calls
`xxh128` (both lowercase hex). So an MHL generation made by a DIT, a lab or
`aiprov seal` names the same content ids the ledger keeps, and the two can be
held against each other without reading anything twice.

The `ascmhl` command line (the ASC's reference implementation) is run as a
subprocess with an argument list, never imported: it pins click 8.1, which
cannot be installed beside the click 8.3 aiprov is built with, so it lives in
its own environment (`pipx install ascmhl`). It is found as AIPROV_ASCMHL, else
`ascmhl` on PATH, else beside the running Python.

`verify`: `ascmhl info` loads the history and checks its chain (a manifest
altered or removed after it was written is refused); aiprov then reads the
hashes the generations recorded (ASC MHL v2.0 XML), hashes every file, and
reports files whose bytes no longer match, files the history lists that are
gone, files it does not list, and files whose MHL hash disagrees with the
content the ledger recorded at that path. Each verified file gets an
`mhl-verified` event in the ledger (`mhl-mismatch` when its bytes disagree),
so `aiprov lookup` shows the checks in its history.

`seal`: scans the delivery (the pre-delivery gate) and, only when that finds
no error (and an existing history still holds), runs
`ascmhl create -h xxh128` with a `<comment>` naming aiprov and what it checked.
The ledger's `.aiprov/` folder is always left out of the MHL (`-i .aiprov`),
since a ledger keeps changing after the seal.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from .version import __version__
from .errors import AiprovError
from .identify import content_id
from .ledger import Ledger, is_url
from .model import AI_VERDICTS
from .names import display_path

XXH128 = "xxh128"
HASH_FORMATS = ("xxh128", "md5", "sha1", "xxh64", "xxh3", "c4")  # what ASC MHL v2.0 records
ASCMHL_FOLDER = "ascmhl"
CHAIN_FILE = "ascmhl_chain.xml"
DEFAULT_IGNORE = [".DS_Store", "ascmhl", "ascmhl/"]  # what ascmhl itself always ignores
AIPROV_IGNORE = [".aiprov"]  # the ledger's folder, when it lives inside the delivery
INFO_TIMEOUT_S = 600

OK = "ok"
MISMATCH = "mismatch"  # the bytes no longer match the hash the history recorded
MISSING = "missing"  # the history lists the file; it is not there
NEW = "new"  # the file is there; no generation lists it
LEDGER_MISMATCH = "ledger-mismatch"  # the MHL hash is not the content the ledger recorded at this path
PROBLEMS = (MISMATCH, MISSING, NEW, LEDGER_MISMATCH)


class MhlError(AiprovError):
    """The delivery has no usable ASC MHL history, or sealing it was refused."""

    exit_code = 1


# --- the ascmhl command line -------------------------------------------------------


def ascmhl_executable() -> str:
    candidates = [os.environ.get("AIPROV_ASCMHL"), shutil.which("ascmhl"),
                  os.path.join(os.path.dirname(sys.executable), "ascmhl")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise AiprovError("the ascmhl command line is needed for ASC MHL and was not found. Install it in its own "
                      "environment (pipx install ascmhl), or name it with AIPROV_ASCMHL=/path/to/ascmhl")


def run_ascmhl(args: list[str], timeout: float | None = None) -> subprocess.CompletedProcess:
    argv = [ascmhl_executable(), *args]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise MhlError(f"ascmhl {' '.join(args[:1])} did not finish within {timeout:g} s") from exc
    except OSError as exc:
        raise AiprovError(f"cannot run {argv[0]}: {exc}") from exc


def _ascmhl_message(proc: subprocess.CompletedProcess) -> str:
    lines = [l.strip() for l in (proc.stderr + "\n" + proc.stdout).splitlines()
             if l.strip() and "pip3 install -U ascmhl" not in l]
    errors = [l for l in lines if l.lower().startswith("error")] or lines
    return "; ".join(errors[-3:]) or f"exit status {proc.returncode}"


# --- reading a history (ASC MHL v2.0 XML) -------------------------------------------


@dataclass
class Generation:
    number: int
    file: str  # absolute path of the .mhl manifest
    root: str  # the folder this history describes
    created: str | None = None
    tool: str | None = None
    host: str | None = None
    authors: list[dict] = field(default_factory=list)
    location: str | None = None
    comment: str | None = None
    process: str | None = None
    ignore: list[str] = field(default_factory=list)
    # relative path -> [(format, hash, action)], and renames: new relative path -> previous one
    hashes: dict[str, list[tuple[str, str, str | None]]] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)


def _tag(el) -> str:
    return el.tag.split("}", 1)[-1]


def read_generation(path: str, number: int, root: str) -> Generation:
    try:
        tree = ET.parse(path)
    except (ET.ParseError, OSError) as exc:
        raise MhlError(f"{path}: not a readable ASC MHL manifest: {exc}") from exc
    g = Generation(number=number, file=path, root=root)
    for el in tree.getroot():
        tag = _tag(el)
        if tag == "creatorinfo":
            for c in el:
                t = _tag(c)
                if t == "creationdate":
                    g.created = c.text
                elif t == "tool":
                    g.tool = f"{c.text} {c.get('version')}" if c.get("version") else c.text
                elif t == "hostname":
                    g.host = c.text
                elif t == "author":
                    g.authors.append({"name": c.text, "role": c.get("role")})
                elif t == "location":
                    g.location = c.text
                elif t == "comment":
                    g.comment = c.text
        elif tag == "processinfo":
            for c in el:
                if _tag(c) == "process":
                    g.process = c.text
                elif _tag(c) == "ignore":
                    g.ignore = [p.text for p in c if _tag(p) == "pattern" and p.text]
        elif tag == "hashes":
            for h in el:
                if _tag(h) != "hash":
                    continue  # directory hashes: aiprov checks the files themselves
                rel, entries, prev = None, [], None
                for c in h:
                    t = _tag(c)
                    if t == "path":
                        rel = (c.text or "").strip()
                    elif t == "previousPath":
                        prev = (c.text or "").strip()
                    elif t in HASH_FORMATS and c.text:
                        entries.append((t, c.text.strip(), c.get("action")))
                if rel:
                    g.hashes[rel] = entries
                    if prev:
                        g.previous[rel] = prev
    return g


def _read_one_history(root: str) -> list[Generation]:
    folder = os.path.join(root, ASCMHL_FOLDER)
    chain = os.path.join(folder, CHAIN_FILE)
    gens = []
    try:
        for el in ET.parse(chain).getroot():
            if _tag(el) != "hashlist":
                continue
            name = next((c.text for c in el if _tag(c) == "path"), None)
            if name:
                gens.append(read_generation(os.path.join(folder, name), int(el.get("sequencenr") or 0), root))
    except (ET.ParseError, OSError) as exc:
        raise MhlError(f"{chain}: the chain file cannot be read: {exc}") from exc
    return sorted(gens, key=lambda g: g.number)


def read_history(root: str) -> list[Generation]:
    """Every generation of the history at root and of the histories nested below it, oldest first per history."""
    out = _read_one_history(root)
    for folder, dirs, _ in os.walk(root):
        if folder != root and ASCMHL_FOLDER in dirs:
            out += read_history(folder)
            dirs.clear()  # a nested history describes everything below it
        else:
            dirs[:] = [d for d in dirs if d != ASCMHL_FOLDER]
    return out


def _ignored(rel: str, patterns: list[str]) -> bool:
    """gitignore-like: a pattern without a slash matches any path component, one with a slash the path."""
    parts = rel.split("/")
    for pattern in patterns:
        p = pattern.rstrip("/")
        if not p:
            continue
        if "/" in p:
            p = p.lstrip("/")
            if fnmatch.fnmatchcase(rel, p) or rel.startswith(p + "/"):
                return True
        elif any(fnmatch.fnmatchcase(part, p) for part in parts):
            return True
    return False


@dataclass
class Recorded:
    hash_format: str
    hash: str
    generation: int
    manifest: str


def recorded_hashes(generations: list[Generation]) -> dict[str, Recorded]:
    """Absolute path -> the hash the history first recorded for it (xxh128 when it has one), renames followed."""
    out: dict[str, Recorded] = {}
    for g in generations:  # oldest first within each history
        for rel, entries in g.hashes.items():
            path = os.path.normpath(os.path.join(g.root, rel))
            if rel in g.previous:
                old = os.path.normpath(os.path.join(g.root, g.previous[rel]))
                if old in out:
                    out.setdefault(path, out.pop(old))
            best = next((e for e in entries if e[0] == XXH128), entries[0] if entries else None)
            if best is None:
                continue
            have = out.get(path)
            if have is None or (have.hash_format != XXH128 and best[0] == XXH128):
                out[path] = Recorded(best[0], best[1], g.number, g.file)
    return out


def hash_file(path: str, fmt: str) -> str | None:
    """The bytes in an ASC MHL hash format (None for c4, which aiprov does not compute)."""
    import hashlib

    import xxhash

    if fmt == XXH128:
        return content_id(path)
    make = {"md5": hashlib.md5, "sha1": hashlib.sha1, "xxh64": xxhash.xxh64, "xxh3": xxhash.xxh3_64}.get(fmt)
    if make is None:
        return None
    h = make()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(4 * 1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()


# --- verify -------------------------------------------------------------------------


@dataclass
class MhlFile:
    path: str  # relative to the delivery root
    status: str
    message: str
    hash_format: str | None = None
    mhl_hash: str | None = None  # the hash the history first recorded
    file_hash: str | None = None  # the bytes, hashed in the same format
    content_id: str | None = None  # the bytes' xxh128: aiprov's content id
    ledger_content_id: str | None = None  # what the ledger recorded for this path, if it has seen it
    generation: int | None = None  # the generation that first recorded the file
    verdict: str | None = None  # what the ledger knows about this content, if anything
    approved: bool | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MhlVerification:
    root: str
    ledger: str
    generations: list[dict] = field(default_factory=list)
    files: list[MhlFile] = field(default_factory=list)

    @property
    def problems(self) -> list[MhlFile]:
        return [f for f in self.files if f.status in PROBLEMS]

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def summary(self) -> dict:
        return {"files": len(self.files), "generations": len(self.generations),
                "by_status": dict(sorted(Counter(f.status for f in self.files).items())),
                "matching_ledger": sum(1 for f in self.files if f.ledger_content_id and
                                       f.ledger_content_id == f.mhl_hash),
                "exit_code": self.exit_code}

    def to_dict(self) -> dict:
        return {"aiprov": __version__, "root": self.root, "ledger": self.ledger,
                "summary": self.summary(), "generations": self.generations,
                "files": [f.to_dict() for f in self.files]}


def has_history(root: str | os.PathLike) -> bool:
    return os.path.isdir(os.path.join(os.fspath(root), ASCMHL_FOLDER))


def check_chain(root: str) -> None:
    """`ascmhl info`: the history loads and every manifest matches the chain; MhlError otherwise."""
    if not has_history(root):
        raise MhlError(f"{root}: no ASC MHL history (no ascmhl/ folder). "
                       f"After checking it, create one with: aiprov seal {root}")
    proc = run_ascmhl(["info", root], timeout=INFO_TIMEOUT_S)
    if proc.returncode != 0:
        raise MhlError(f"{root}: the ASC MHL history cannot be trusted: {_ascmhl_message(proc)} "
                       "(a manifest was altered or removed after it was written)")


def verify(root: str | os.PathLike, ledger: Ledger, *, record: bool = True) -> MhlVerification:
    """Check every file of the delivery against its MHL history and the ledger."""
    root = os.path.abspath(os.fspath(root))
    check_chain(root)
    generations = read_history(root)
    if not generations:
        raise MhlError(f"{root}: the ascmhl/ folder holds no generation")
    result = MhlVerification(root=root, ledger=ledger.path, generations=[
        {"generation": g.number, "file": os.path.relpath(g.file, root), "created": g.created, "tool": g.tool,
         "host": g.host, "authors": g.authors, "location": g.location, "comment": g.comment, "process": g.process}
        for g in generations])
    newest_of_root = [g for g in generations if g.root == root]
    patterns = DEFAULT_IGNORE + AIPROV_IGNORE + (newest_of_root[-1].ignore if newest_of_root else [])
    expected = recorded_hashes(generations)
    seen = set()
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = sorted(d for d in dirs if not _ignored(os.path.normpath(os.path.join(rel_folder, d)).replace(os.sep, "/"),
                                                         patterns))
        for name in sorted(files):
            path = os.path.normpath(os.path.join(folder, name))
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if _ignored(rel, patterns) or os.path.islink(path):
                continue
            seen.add(path)
            result.files.append(_check_file(path, rel, expected.get(path), ledger))
    for path in sorted(set(expected) - seen):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if _ignored(rel, patterns) or os.path.lexists(path):
            continue
        r = expected[path]
        result.files.append(MhlFile(path=rel, status=MISSING, message=f"listed by generation {r.generation}, not there",
                                    hash_format=r.hash_format, mhl_hash=r.hash, generation=r.generation))
    result.files.sort(key=lambda f: f.path)
    if record:
        _record(ledger, result)
    return result


def _check_file(path: str, rel: str, recorded: Recorded | None, ledger: Ledger) -> MhlFile:
    cid = content_id(path)
    f = MhlFile(path=rel, status=OK, message="", content_id=cid)
    loc = ledger.locations.get(os.fsencode(path))
    if loc and not loc.gone:
        f.ledger_content_id = loc.content_id
    if recorded is None:
        f.status, f.message = NEW, "not in any MHL generation: added after the last seal"
    else:
        f.hash_format, f.mhl_hash, f.generation = recorded.hash_format, recorded.hash, recorded.generation
        f.file_hash = hash_file(path, recorded.hash_format)
        if f.file_hash is None:
            f.message = f"recorded only as {recorded.hash_format}, which aiprov does not compute: not checked"
        elif f.file_hash != f.mhl_hash:
            f.status = MISMATCH
            f.message = (f"the bytes changed since generation {f.generation}: {f.hash_format} {f.file_hash}, "
                         f"the MHL recorded {f.mhl_hash}")
            if f.ledger_content_id and f.ledger_content_id not in (f.mhl_hash, cid):
                f.message += f"; the ledger recorded yet another content, {f.ledger_content_id}"
        elif f.hash_format != XXH128:
            f.message = f"matches its {f.hash_format} (no xxh128 in the MHL to hold against the ledger)"
        elif f.ledger_content_id and f.ledger_content_id != f.mhl_hash:
            f.status = LEDGER_MISMATCH
            f.message = (f"the ledger recorded content {f.ledger_content_id} at this path, the MHL says {f.mhl_hash}: "
                         "the file changed after aiprov last saw it; run aiprov scan on it")
        else:
            f.message = "matches the MHL" + (" and the ledger" if f.ledger_content_id else
                                             " (this path is not in the ledger)")
    known = ledger.assets.get(cid)
    if known:
        f.verdict = known["verdict"]
        f.approved = bool(ledger.approvals.of(cid))
    return f


def _record(ledger: Ledger, result: MhlVerification) -> None:
    newest = result.generations[-1]["file"] if result.generations else None
    with ledger.transaction():
        for f in result.files:
            where = display_path(os.fsencode(os.path.join(result.root, f.path)))
            if f.status in (OK, LEDGER_MISMATCH) and f.hash_format == XXH128:
                ledger.event("mhl-verified", f.mhl_hash, where,
                             {"root": result.root, "generation": f.generation, "mhl": newest, "hash_format": XXH128,
                              "ledger": "agrees" if f.ledger_content_id == f.mhl_hash else
                              ("disagrees" if f.ledger_content_id else "path not recorded")})
            elif f.status == MISMATCH:
                ledger.event("mhl-mismatch", f.content_id, where,
                             {"root": result.root, "generation": f.generation, "mhl_hash": f.mhl_hash,
                              "hash_format": f.hash_format, "file_hash": f.file_hash})


# --- seal ---------------------------------------------------------------------------


@dataclass
class SealResult:
    root: str
    generation: int
    mhl_file: str  # relative to the root
    files: int
    comment: str
    scan: object  # the ScanResult of the gate that allowed the seal
    changed_while_sealing: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when the generation records bytes the scan did not check."""
        return 1 if self.changed_while_sealing else 0


def seal_comment(scan_result, ledger_id: str | None) -> str:
    s = scan_result.summary()
    verdicts = ", ".join(f"{n} {v}" for v, n in s["verdicts"].items()) or "no files"
    ai = sum(n for v, n in s["verdicts"].items() if v in AI_VERDICTS)
    return (f"Checked by aiprov {__version__} before sealing: {s['files']} files scanned for generative-AI "
            f"provenance ({verdicts}); 0 error findings, so no unapproved AI material in finals"
            + (f" ({ai} AI file(s) approved in writing for final use)" if ai else "")
            + (f". Ledger {ledger_id}." if ledger_id else "."))


@contextmanager
def ledger_kept_only_if_sealed(target):
    """Where `seal` should record: the ledger itself when it exists, else a new one made aside and
    put in place only once the delivery is sealed. A seal that refuses writes nothing anywhere,
    and without a config the new ledger's place is inside the delivery (DIR/.aiprov)."""
    if is_url(target) or os.path.exists(target):
        yield target
        return
    aside = tempfile.mkdtemp(prefix="aiprov-seal-")
    try:
        work = os.path.join(aside, "ledger.db")
        yield work
        os.makedirs(os.path.dirname(os.fspath(target)), exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                shutil.move(work + suffix, os.fspath(target) + suffix)
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def seal(root: str | os.PathLike, config, ledger: Ledger, *, author: str | None = None, role: str | None = None,
         location: str | None = None, comment: str | None = None, workers: int | None = None) -> SealResult:
    """Scan the delivery; if it is clean (and its existing MHL history still holds), write an MHL generation."""
    from .scanning import scan

    root = os.path.abspath(os.fspath(root))
    ascmhl_executable()  # before the scan: fail early when it is not installed
    result = scan([os.fsencode(root)], config, ledger, workers=workers)
    if result.errors:
        lines = [f"  {f.path}: {f.rule}: {f.message}" for f in result.errors]
        raise MhlError(f"refusing to seal {root}: the scan found {len(result.errors)} error finding(s), so it must "
                       "not be delivered as it is. Nothing was written to the delivery.\n" + "\n".join(lines))
    before = {g.file for g in read_history(root)} if has_history(root) else set()
    if before:
        check = verify(root, ledger, record=False)
        broken = [f for f in check.files if f.status in (MISMATCH, MISSING)]
        if broken:
            lines = [f"  {f.path}: {f.status}: {f.message}" for f in broken]
            raise MhlError(f"refusing to seal {root}: its ASC MHL history no longer holds for {len(broken)} file(s), "
                           "and a new generation would hide that. Nothing was written to the delivery. "
                           f"See: aiprov mhl verify {root}\n" + "\n".join(lines))
    note = seal_comment(result, ledger.ledger_id())
    if comment:
        note = f"{comment} -- {note}"
    args = ["create", "-h", XXH128, "--comment", note]
    for ignore in AIPROV_IGNORE:
        args += ["-i", ignore]
    for flag, value in (("--author_name", author), ("--author_role", role), ("--location", location)):
        if value:
            args += [flag, value]
    proc = run_ascmhl([*args, root])
    if proc.returncode != 0:
        raise MhlError(f"ascmhl could not seal {root}: {_ascmhl_message(proc)}")
    new = [g for g in read_history(root) if g.file not in before and g.root == root]
    if not new:
        raise MhlError(f"ascmhl reported success but wrote no new generation in {root}/{ASCMHL_FOLDER}")
    newest = max(new, key=lambda g: g.number)
    # ascmhl hashed the files again: anything that changed between the scan and now is not what was checked
    scanned = {os.path.normpath(os.fsdecode(fr.inspection.fspath) if fr.inspection.fspath else fr.inspection.path):
               fr.inspection.content_id for fr in result.files}
    changed, files = [], 0
    with ledger.transaction():
        for rel, entries in newest.hashes.items():
            files += 1
            value = next((h for fmt, h, _ in entries if fmt == XXH128), None)
            path = os.path.normpath(os.path.join(root, rel))
            if value is None:
                continue
            if path in scanned and scanned[path] != value:
                changed.append(rel)
                continue
            ledger.event("mhl-sealed", value, display_path(os.fsencode(path)),
                         {"root": root, "generation": newest.number, "mhl": os.path.relpath(newest.file, root)})
    return SealResult(root=root, generation=newest.number, mhl_file=os.path.relpath(newest.file, root),
                      files=files, comment=note, scan=result, changed_while_sealing=changed)
