"""Terminal output for people: the verdict first, then why."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ..model import Inspection

STYLE = {"ai": "bold red", "ai-composite": "bold magenta", "not-ai": "green", "unknown": "yellow",
         "unreadable": "bold red"}
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def short_dst(uri: str | None) -> str | None:
    return uri[len(IPTC):] if uri and uri.startswith(IPTC) else uri


def print_inspection(console: Console, insp: Inspection, verbose: bool = False) -> None:
    verdict = f"[{STYLE.get(insp.verdict, '')}]{insp.verdict:<12}[/]"
    extra = []
    if insp.generator:
        extra.append(f"generator: {escape(insp.generator)}")
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
