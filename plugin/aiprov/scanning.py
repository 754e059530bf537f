"""The pre-delivery gate: walk a delivery, judge every file, and say whether it may go.

Incremental by default (checking.py): a file whose size, mtime, inode and device
are what the ledger recorded is not opened; its recorded verdict is reused. A
rename is recognised by inode without reading, or by content id once read.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .checking import Checked, Checker, add_counts
from .config import Config
from .ledger import Ledger
from .model import Finding
from .names import display_path
from .version import __version__


@dataclass
class ScanResult:
    roots: list[str]
    production: str | None
    ledger: str
    started: float
    finished: float = 0.0
    root_links: dict[str, str] = field(default_factory=dict)  # a root given as a link -> where it led
    files: list[Checked] = field(default_factory=list)
    read: int = 0  # files opened and read this run
    reused: int = 0
    moved: int = 0
    gone: int = 0
    older_rules: int = 0  # of `read`: unchanged, but judged under older rules when recorded
    quiet: int = 0  # unchanged files with nothing noteworthy on record: counted, not listed in `files`
    # zone and verdict of every file checked, quiet ones included (from the ledger, in one question)
    counts: Counter = field(default_factory=Counter)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> dict:
        counts = self.counts or Counter((r.zone, r.inspection.verdict) for r in self.files)
        verdicts, zones = Counter(), Counter()
        for (zone, verdict), n in counts.items():
            verdicts[verdict] += n
            zones[zone] += n
        rules = Counter(f.rule for f in self.findings)
        return {
            "files": sum(counts.values()),
            "verdicts": dict(sorted(verdicts.items())),
            "zones": dict(sorted(zones.items())),
            "findings": {"error": len(self.errors), "warning": len(self.findings) - len(self.errors),
                         "by_rule": dict(sorted(rules.items()))},
            "read": self.read,
            "older_rules": self.older_rules,
            "reused": self.reused,
            "moved": self.moved,
            "gone": self.gone,
            "seconds": round(self.finished - self.started, 3),
            "exit_code": self.exit_code,
        }

    def to_dict(self) -> dict:
        return {"aiprov": __version__, "production": self.production, "roots": self.roots,
                "root_links": dict(self.root_links), "ledger": self.ledger,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
                "summary": self.summary(), "files": [f.to_dict() for f in self.files]}


def scan(paths: Iterable[bytes | str], config: Config, ledger: Ledger, *, workers: int | None = None,
         progress: Callable[[int, int], None] | None = None, every_file: bool = False) -> ScanResult:
    """Walk the paths and check every file: the pre-delivery gate.

    Unchanged files with nothing noteworthy on record are only counted (`quiet`); `files` holds
    the others, and every file when `every_file` (a report that lists them all asks for that)."""
    roots, links = followed_roots(paths)
    result = ScanResult(roots=[display_path(r) for r in roots], production=config.production, ledger=ledger.path,
                        started=time.time(), root_links=links)
    with Checker(config, ledger, workers=workers) as checker:
        tally = checker.check_tree(roots, on_batch=lambda t, batch: result.files.extend(batch), progress=progress)
    add_counts(result, tally)
    result.quiet = tally.quiet
    # a render judged again at the end of the walk (its script came later) is listed once, as judged last
    result.files = list({c.inspection.fspath: c for c in result.files}.values())
    result.counts = +(tally.counts + Counter((c.zone, c.inspection.verdict) for c in result.files))
    if tally.quiet:
        if every_file:
            listed = {c.inspection.fspath for c in result.files}
            result.files += [c for c in recorded_files(ledger, roots) if c.inspection.fspath not in listed]
    result.files.sort(key=lambda r: r.inspection.path)
    result.finished = time.time()
    return result


def recorded_files(ledger: Ledger, roots: list[bytes], chunk: int = 1000) -> Iterator[Checked]:
    """The live files under the roots as the ledger recorded them (a quiet file's line in a full report)."""
    for root in roots:
        rows = ledger.locations.stream_under(root)
        while True:
            part = [r for _, r in zip(range(chunk), rows)]
            if not part:
                break
            recorded = ledger.assets.inspections([r[6] for r in part if r[6]])
            for path_raw, _, _, _, _, zone, cid, _ in part:
                insp = recorded.get(cid)
                if insp is not None:
                    insp = dataclasses.replace(insp, path=display_path(path_raw), fspath=path_raw)
                    yield Checked(insp, zone, reused=True)


def followed_roots(paths: Iterable[bytes | str]) -> tuple[list[bytes], dict[str, str]]:
    """The folders to walk: a root given as a link to a folder (a NAS mount point often is) is
    followed, and walked where it leads, so that zones and recorded paths are the real ones.
    Returns the roots and, for the report, each link given -> where it led."""
    roots, links = [], {}
    for p in paths:
        given = os.path.abspath(os.fsencode(p))
        if os.path.islink(given) and os.path.isdir(given):
            real = os.path.realpath(given)
            links[display_path(given)] = display_path(real)
            roots.append(real)
        else:
            roots.append(given)
    return roots, links
