"""`aiprov inspect`: each file's verdict first, then why (text), or schemas/inspect.schema.json."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape

from .common import STYLE, console, short_dst

if TYPE_CHECKING:
    from ..model import Inspection
    from ..pipeline import InspectResult


def print_inspection(con: Console, insp: Inspection, verbose: bool = False) -> None:
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
    con.print(f"{verdict} {escape(insp.path)}" + (f"  [dim]({'; '.join(extra)})[/]" if extra else ""),
              highlight=False, soft_wrap=True)
    if insp.reason:
        con.print(f"    [dim]why:[/] {escape(insp.reason)}", highlight=False, soft_wrap=True)
    for w in insp.warnings:
        con.print(f"    [yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    shown = insp.evidence if verbose else [e for e in insp.evidence if e.weight > 0]
    for e in shown:
        con.print(f"    [dim]{e.source}[/] {escape(e.field)} = {escape(e.value)} [dim](weight {e.weight:g})[/]",
                  highlight=False, soft_wrap=True)
    for ingr in insp.c2pa.ingredients:
        con.print(f"    [dim]ingredient[/] {escape(str(ingr.title))} ({ingr.relationship})"
                  + (f" declares {short_dst(ingr.digital_source_type)}" if ingr.digital_source_type else ""),
                  highlight=False, soft_wrap=True)


def text(result: InspectResult, out: TextIO, *, verbose: bool = False, **_) -> None:
    """Each file as soon as its reader finishes."""
    con = console(out)
    for insp in result.arrivals():
        print_inspection(con, insp, verbose)


def to_json(result: InspectResult, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_list(), indent=2, ensure_ascii=False) + "\n")


def notes_before(result: InspectResult, **_) -> list[str]:
    return [f"{p}: no such file or folder" for p in result.missing]


RENDERERS = {"text": text, "json": to_json}
