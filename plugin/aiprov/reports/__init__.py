"""Every output aiprov shows or writes, in one place: `render(result, fmt, output)`.

One module per kind of result, each with a table of renderers by format
(`RENDERERS = {"text": ..., "json": ...}`). A renderer writes one document to
a text stream and decides nothing: the library made the result, and the
result knows its exit code. A module may also say a line or two to stderr
around the document (`notes_before`, `notes_after`): what a person at the
terminal must not miss while the document itself goes to a file or a pipe.

The table is found by the result's type, named here rather than imported, so
that `aiprov inspect` does not pay for loading the ledger and the scanner.
"""

from __future__ import annotations

import importlib
import io
import sys
from typing import Any

from ..errors import AiprovError

# result type (module under aiprov, class) -> (reports module, its table of renderers)
TABLES = {
    "pipeline.InspectResult": ("inspect", "RENDERERS"),
    "scanning.ScanResult": ("scan", "RENDERERS"),
    "lookup.LookupResult": ("lookup", "RENDERERS"),
    "timeline.TimelineReport": ("timeline", "RENDERERS"),
    "mhl.MhlVerification": ("mhl", "VERIFY_RENDERERS"),
    "mhl.SealResult": ("mhl", "SEAL_RENDERERS"),
    "disclosure.DisclosureReport": ("disclosure", "RENDERERS"),
    "watch.DaemonStatus": ("status", "RENDERERS"),
    "ledger.info.LedgerInfo": ("ledger_info", "RENDERERS"),
    "approvals.ApprovalList": ("approvals", "RENDERERS"),
    "desk.accounts.UserList": ("users", "RENDERERS"),
}
ROOT = __name__.rsplit(".", 1)[0]


class UnknownFormat(AiprovError):
    """A format asked of a result that has no renderer for it."""

    exit_code = 2


def _table(result: Any):
    for cls in type(result).__mro__:
        key = f"{cls.__module__.removeprefix(ROOT + '.')}.{cls.__qualname__}"
        if key in TABLES:
            name, table = TABLES[key]
            module = importlib.import_module(f".{name}", __name__)
            return module, getattr(module, table)
    raise TypeError(f"aiprov has no report for a {type(result).__qualname__}")


def render(result: Any, fmt: str = "text", output: str | None = None, **options) -> None:
    """Write `result` as `fmt` to the file `output`, or to stdout; `options` go to the renderer
    (verbose=True, ...). The same document either way, ending its last line (CSV rows end in
    CRLF, as the CSV standard has them)."""
    module, table = _table(result)
    if fmt not in table:
        raise UnknownFormat(f"there is no {fmt} output for this report; it can be: {', '.join(table)}")
    for line in getattr(module, "notes_before", _no_notes)(result, output=output, **options):
        print(f"aiprov: {line}", file=sys.stderr, flush=True)
    if output:  # the whole document first: a renderer that fails leaves no half-written report behind
        document = io.StringIO(newline="")
        table[fmt](result, document, **options)
        with open(output, "w", encoding="utf-8", newline="" if fmt == "csv" else None) as fh:
            fh.write(document.getvalue())
    else:
        table[fmt](result, sys.stdout, **options)
        sys.stdout.flush()
    for line in getattr(module, "notes_after", _no_notes)(result, output=output, **options):
        print(f"aiprov: {line}", file=sys.stderr, flush=True)


def _no_notes(result, **options) -> list[str]:
    return []
