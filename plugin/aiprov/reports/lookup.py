"""`aiprov lookup`: one file's verdict, approvals, paths, lineage and history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from rich.markup import escape

from ..model import AI_VERDICTS
from .common import STYLE, console, short_dst

if TYPE_CHECKING:
    from ..lookup import LookupResult


def text(result: LookupResult, out: TextIO, **_) -> None:
    con = console(out)
    i = result.inspection
    con.print(f"[bold]{escape(result.path)}[/]", highlight=False, soft_wrap=True)
    con.print(f"  content id  {result.content_id or '-'}" + ("" if result.known else "  [yellow](not in the ledger)[/]"),
              highlight=False)
    extra = ", ".join(x for x in (i.generator, short_dst(i.digital_source_type)) if x)
    con.print(f"  verdict     [{STYLE.get(i.verdict, '')}]{i.verdict}[/]" + (f" ({escape(extra)})" if extra else ""),
              highlight=False)
    if i.reason:
        con.print(f"  why         {escape(i.reason)}", highlight=False, soft_wrap=True)
    for e in i.evidence:
        if e.weight > 0:
            con.print(f"  evidence    {e.source} {escape(e.field)} = {escape(e.value)}", highlight=False,
                      soft_wrap=True)
    for a in result.approvals:
        state = f"[red]revoked {a['revoked_at']}[/]" if a["revoked_at"] else "[green]active[/]"
        con.print(f"  approval    #{a['id']} by {escape(a['approved_by'])} on {a['created']}: "
                  f"{escape(a['reason'])} ({state})", highlight=False, soft_wrap=True)
    if not result.approvals and i.verdict in AI_VERDICTS:
        con.print("  approval    [red]none[/]: temporary by default, not for final deliverables", highlight=False)
    for loc in result.locations:
        con.print(f"  path        {escape(loc['where'])}  [dim]({loc['zone']}{', gone' if loc['gone'] else ''})[/]",
                  highlight=False, soft_wrap=True)
    for p in result.parents:
        targets = "; ".join(escape(f"{', '.join(a['paths']) or a['content_id']} [{a['verdict']}"
                                   + (", approved]" if a["approved"] else "]")) for a in p["assets"]) \
            or f"{escape(str(p['ref']))} (not in the ledger)"
        con.print(f"  parent      {p['kind']}: {targets}  [dim]{escape(p['reason'] or '')}[/]", highlight=False,
                  soft_wrap=True)
    for c in result.children:
        con.print(f"  child       {c['kind']}: " + escape(f"{', '.join(c['paths']) or c['content_id']} [{c['verdict']}]")
                  + f"  [dim]{escape(c['reason'] or '')}[/]", highlight=False, soft_wrap=True)
    for e in result.events:
        con.print(f"  {e['at'][:19]} {e['kind']:<10} {escape(e['where'] or '')}", highlight=False, soft_wrap=True)


def to_json(result: LookupResult, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n")


RENDERERS = {"text": text, "json": to_json}
