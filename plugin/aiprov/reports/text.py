"""Terminal output for people: the verdict first, then why."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..model import AI_VERDICTS, Inspection

STYLE = {"ai": "bold red", "ai-composite": "bold magenta", "not-ai": "green", "no-ai-declared": "cyan",
         "unknown": "yellow", "unreadable": "bold red"}
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def short_dst(uri: str | None) -> str | None:
    return uri[len(IPTC):] if uri and uri.startswith(IPTC) else uri


def print_inspection(console: Console, insp: Inspection, verbose: bool = False) -> None:
    verdict = f"[{STYLE.get(insp.verdict, '')}]{insp.verdict:<14}[/]"
    extra = []
    if insp.generator:
        extra.append(f"generator: {escape(insp.generator)}"
                     + (f", named by {escape(insp.generator_source)}" if insp.generator_source else ""))
    if insp.digital_source_type:
        extra.append(f"source type: {short_dst(insp.digital_source_type)}")
    if insp.c2pa.present:
        trust = {True: "trusted", False: "untrusted signer", None: "trust unknown"}[insp.c2pa.trusted]
        extra.append(f"C2PA: {insp.c2pa.integrity or 'unreadable'}, {trust}")
    console.print(f"{verdict} {escape(insp.path)}" + (f"  [dim]({'; '.join(extra)})[/]" if extra else ""),
                  highlight=False, soft_wrap=True)
    if insp.reason:
        console.print(f"    [dim]why:[/] {escape(insp.reason)}", highlight=False, soft_wrap=True)
    for w in insp.warnings:
        console.print(f"    [yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    shown = insp.evidence if verbose else [e for e in insp.evidence if e.weight > 0]
    for e in shown:
        console.print(f"    [dim]{e.source}[/] {escape(e.field)} = {escape(e.value)} [dim](weight {e.weight:g})[/]",
                      highlight=False, soft_wrap=True)
    for ingr in insp.c2pa.ingredients:
        console.print(f"    [dim]ingredient[/] {escape(str(ingr.title))} ({ingr.relationship})"
                      + (f" declares {short_dst(ingr.digital_source_type)}" if ingr.digital_source_type else ""),
                      highlight=False, soft_wrap=True)


def print_scan(console: Console, result, verbose: bool = False) -> None:
    """Findings first (what must be fixed), frame sequences on one line, then a summary."""
    from ..sequences import group

    s = result.summary()
    for given, real in result.root_links.items():
        console.print(f"[dim]{escape(given)} is a link: checked {escape(real)}, where it leads[/]",
                      highlight=False, soft_wrap=True)
    flagged = [fr for fr in result.files if fr.findings or verbose]
    outcome = lambda fr: (fr.zone, fr.inspection.verdict, tuple((f.rule, f.severity) for f in fr.findings))  # noqa: E731
    for run in group(flagged, lambda fr: fr.inspection.path, outcome):
        fr = run.items[0]
        i = fr.inspection
        frames = f", {run.frames} frames" if run.frames > 1 else ""
        for f in fr.findings:
            style = "bold red" if f.severity == "error" else "yellow"
            console.print(f"[{style}]{f.severity.upper():<7}[/] [bold]{f.rule}[/]  {escape(run.label)}  "
                          f"[dim]({fr.zone}{frames})[/]", highlight=False, soft_wrap=True)
            console.print(f"         {escape(f.message)}", highlight=False, soft_wrap=True)
        if not fr.findings:
            console.print(f"[green]ok     [/] {escape(run.label)}  [dim]({fr.zone}, {i.verdict}{frames})[/]",
                          highlight=False, soft_wrap=True)
    verdicts = ", ".join(f"{n} {v}" for v, n in s["verdicts"].items())
    older = f" ({s['older_rules']} recorded under older rules)" if s.get("older_rules") else ""
    console.print(f"\n[bold]{s['files']} files[/] ({verdicts}); read {s['read']}{older}, unchanged {s['reused']}, "
                  f"moved {s['moved']}, gone {s['gone']}; {s['seconds']:.1f} s", highlight=False)
    if s["findings"]["error"]:
        console.print(f"[bold red]{s['findings']['error']} error(s)[/], {s['findings']['warning']} warning(s): "
                      "not ready to deliver.", highlight=False)
    else:
        console.print(f"[bold green]No errors[/] ({s['findings']['warning']} warning(s)): no unapproved AI "
                      "material in finals.", highlight=False)


def print_lookup(console: Console, answer: dict) -> None:
    i = answer["inspection"]
    console.print(f"[bold]{escape(answer['path'])}[/]", highlight=False, soft_wrap=True)
    console.print(f"  content id  {answer['content_id'] or '-'}" + ("" if answer["known"] else "  [yellow](not in the ledger)[/]"),
                  highlight=False)
    style = STYLE.get(i["verdict"], "")
    extra = ", ".join(x for x in (i["generator"], short_dst(i["digital_source_type"])) if x)
    console.print(f"  verdict     [{style}]{i['verdict']}[/]" + (f" ({escape(extra)})" if extra else ""), highlight=False)
    if i["reason"]:
        console.print(f"  why         {escape(i['reason'])}", highlight=False, soft_wrap=True)
    for e in i["evidence"]:
        if e["weight"] > 0:
            console.print(f"  evidence    {e['source']} {escape(e['field'])} = {escape(e['value'])}", highlight=False,
                          soft_wrap=True)
    for a in answer["approvals"]:
        state = f"[red]revoked {a['revoked_at']}[/]" if a["revoked_at"] else "[green]active[/]"
        console.print(f"  approval    #{a['id']} by {escape(a['approved_by'])} on {a['created']}: "
                      f"{escape(a['reason'])} ({state})", highlight=False, soft_wrap=True)
    if not answer["approvals"] and i["verdict"] in AI_VERDICTS:
        console.print("  approval    [red]none[/]: temporary by default, not for final deliverables", highlight=False)
    for loc in answer["locations"]:
        console.print(f"  path        {escape(loc['where'])}  [dim]({loc['zone']}{', gone' if loc['gone'] else ''})[/]",
                      highlight=False, soft_wrap=True)
    lin = answer["lineage"]
    for p in lin["parents"]:
        targets = "; ".join(escape(f"{', '.join(a['paths']) or a['content_id']} [{a['verdict']}"
                                   + (", approved]" if a["approved"] else "]")) for a in p["assets"]) \
            or f"{escape(str(p['ref']))} (not in the ledger)"
        console.print(f"  parent      {p['kind']}: {targets}  [dim]{escape(p['reason'] or '')}[/]", highlight=False,
                      soft_wrap=True)
    for c in lin["children"]:
        console.print(f"  child       {c['kind']}: " + escape(f"{', '.join(c['paths']) or c['content_id']} [{c['verdict']}]")
                      + f"  [dim]{escape(c['reason'] or '')}[/]", highlight=False, soft_wrap=True)
    for e in answer["events"]:
        console.print(f"  {e['at'][:19]} {e['kind']:<10} {escape(e['where'] or '')}", highlight=False, soft_wrap=True)
