"""The command line: parse, call the library, render. No logic lives here.

Exit codes, for delivery scripts: 0 nothing wrong, 1 findings (or files that
are AI / unreadable, for `inspect --fail-on`), 2 usage or config error,
3 the ledger could not be used.
"""

from __future__ import annotations

import json
import os
import sys

import click
from rich.console import Console

from . import __version__
from .errors import AiprovError
from .pipeline import inspect_paths
from .reader import ReadSettings
from .reports.text import print_inspection


def _console(stream=None) -> Console:
    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)


def _paths(paths: tuple[str, ...]) -> list[bytes]:
    # click gives str with surrogate escapes for undecodable bytes; the OS wants the bytes back.
    return [os.fsencode(p) for p in paths]


class AiprovGroup(click.Group):
    """Turns aiprov's own errors into one-line messages and their exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AiprovError as exc:
            click.echo(f"aiprov: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=AiprovGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aiprov")
def main() -> None:
    """aiprov: keep temporary generative-AI material out of final deliverables.

    Reads provenance (C2PA, IPTC digital source type, generator markers,
    sidecars), records every file's history in a ledger, and flags AI
    material that reached a finals zone without a written approval.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file (schemas/inspect.schema.json).")
@click.option("-v", "--verbose", is_flag=True, help="Show every piece of evidence, not only what decided the verdict.")
@click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
@click.option("--timeout", "timeout_s", type=float, default=60.0, show_default=True, help="Seconds allowed per file before it is declared unreadable.")
@click.option("--network/--no-network", default=False, show_default=True, help="Let C2PA fetch remote manifests and OCSP.")
@click.option("--trust-anchors", type=click.Path(exists=True, dir_okay=False), help="PEM file of C2PA trust anchors.")
@click.option("--fail-on", type=click.Choice(["never", "ai", "ai-or-unreadable"]), default="never", show_default=True,
              help="Exit 1 when a file is AI (or unreadable).")
def inspect(paths, as_json, verbose, workers, timeout_s, network, trust_anchors, fail_on):
    """Read the provenance of files (folders are searched) and say whether they are AI.

    Reads only: nothing is written anywhere, the ledger included.
    """
    settings = ReadSettings(network=network, trust_anchors=trust_anchors)
    results = []
    console = _console()
    missing = [p for p in _paths(paths) if not os.path.lexists(p)]
    for p in missing:
        click.echo(f"aiprov: {os.fsdecode(p)}: no such file or folder", err=True)
    if missing and len(missing) == len(paths):
        sys.exit(2)
    present = [p for p in _paths(paths) if os.path.lexists(p)]
    for insp in inspect_paths(present, settings, workers=workers, timeout_s=timeout_s):
        results.append(insp)
        if not as_json:
            print_inspection(console, insp, verbose)
    if as_json:
        results.sort(key=lambda r: r.path)
        click.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
    bad = {"never": (), "ai": ("ai", "ai-composite"), "ai-or-unreadable": ("ai", "ai-composite", "unreadable")}[fail_on]
    if any(r.verdict in bad for r in results) or missing:
        sys.exit(1)
