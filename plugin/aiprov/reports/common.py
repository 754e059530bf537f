"""What several renderers share: the terminal console, short source types, HTML page parts."""

from __future__ import annotations

import html
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from rich.console import Console

# Rich styles of the verdicts in terminal output.
STYLE = {"ai": "bold red", "ai-composite": "bold magenta", "not-ai": "green", "no-ai-declared": "cyan",
         "unknown": "yellow", "unreadable": "bold red"}
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def console(out: TextIO) -> Console:
    """A console on `out`. A report written to a file never carries colour codes, even when the
    environment forces colour (FORCE_COLOR) for the terminal."""
    return Console(file=out, highlight=False, soft_wrap=True, no_color=out is not sys.stdout)


def short_dst(uri: str | None) -> str | None:
    """An IPTC digital source type as people say it (`trainedAlgorithmicMedia`)."""
    return uri[len(IPTC):] if uri and uri.startswith(IPTC) else uri


escape = html.escape


def html_head(title: str, css: str) -> list[str]:
    """The opening of a self-contained page: its title doubles as the heading."""
    return [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
            f"<style>{css}</style></head><body><h1>{escape(title)}</h1>"]


@contextmanager
def progress_bar(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A transient bar on stderr for a long scan, or None where nobody would see it."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("scanning", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scan", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total or None)
