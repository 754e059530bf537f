"""What the desk's pages and API show, shaped from the ledger's answers (no HTML here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..ledger import Ledger
from ..ledger.desk import FindingFilter
from ..model import Evidence
from .folding import FoldedFindings

PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass
class FindingRow:
    """One line of the findings list: a file, or a run of a render's frames with the same finding."""

    label: str  # the path, or "dir/shot.[1001-1096].exr"
    host: str
    rule: str
    severity: str
    zone: str | None
    production: str | None
    verdict: str | None
    generator: str | None
    first_raised: str | None
    message: str
    content_id: str | None  # the first frame's (its page, its preview)
    content_ids: list[str]  # every frame's
    finding_ids: list[int]
    frames: tuple[int, int] | None = None  # first and last frame number of a run
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.finding_ids)

    def to_dict(self) -> dict:
        return {"path": self.label, "host": self.host, "rule": self.rule, "severity": self.severity,
                "zone": self.zone, "production": self.production, "verdict": self.verdict,
                "generator": self.generator, "first_raised": self.first_raised,
                "message": self.message, "content_id": self.content_id, "content_ids": self.content_ids,
                "finding_ids": self.finding_ids, "files": self.count,
                "frames": list(self.frames) if self.frames else None,
                "evidence": [e.to_dict() for e in self.evidence]}


@dataclass
class FindingsPage:
    filter: FindingFilter
    page: int
    per_page: int
    rows: list[FindingRow]
    total_rows: int  # lines (a run of frames is one)
    total_findings: int
    facets: dict[str, dict[str, int]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.per_page))

    def to_dict(self) -> dict:
        return {"page": self.page, "per_page": self.per_page, "pages": self.pages, "rows": self.total_rows,
                "findings": self.total_findings, "filter": {k: v for k, v in self.filter.__dict__.items() if v},
                "facets": self.facets, "items": [r.to_dict() for r in self.rows]}


def findings_page(ledger: Ledger, flt: FindingFilter, page: int = 1, per_page: int = PER_PAGE,
                  folded: FoldedFindings | None = None) -> FindingsPage:
    """One page of open findings passing the filter, a render's frames with the same finding on one line."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    folded = (folded or FoldedFindings()).get(ledger, flt)
    runs = folded.runs
    page = max(1, min(page, max(1, -(-len(runs) // per_page))))
    shown = runs[(page - 1) * per_page:page * per_page]
    firsts = [run.items[0] for run in shown]
    whole = ledger.desk.findings([f.id for f in firsts])
    evidence = ledger.desk.evidence([f.content_id for f in firsts if f.content_id])
    rows = []
    for run in shown:
        f = run.items[0]
        rows.append(FindingRow(
            label=run.label, host=f.host, rule=f.rule, severity=f.severity, zone=f.zone,
            production=f.production, verdict=f.verdict, generator=f.generator,
            first_raised=whole[f.id]["first_raised"], message=whole[f.id]["message"], content_id=f.content_id,
            content_ids=list(dict.fromkeys(i.content_id for i in run.items if i.content_id)),
            finding_ids=[i.id for i in run.items], frames=run.frames,
            evidence=[e for e in evidence.get(f.content_id, []) if e.weight > 0]
            or evidence.get(f.content_id, [])[:6]))
    return FindingsPage(flt, page, per_page, rows, len(runs), folded.total, folded.facets)


def short_path(path: str, keep: int = 3) -> str:
    """The last `keep` parts of a path, for a label where the whole path is shown beside it."""
    parts = path.split("/")
    return "/".join(parts[-keep:]) if len(parts) > keep else path


SAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str | None) -> str:
    """Control characters (a newline in a file name is legal) shown as escapes, never acted on."""
    return SAFE_TEXT.sub(lambda m: f"\\x{ord(m.group()):02x}", text or "")
