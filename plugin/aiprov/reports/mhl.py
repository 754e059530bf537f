"""ASC MHL: `aiprov mhl verify` (the history against the bytes and the ledger) and `aiprov seal`."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..mhl import MhlVerification, SealResult


def verify_text(result: MhlVerification, out: TextIO, *, verbose: bool = False, **_) -> None:
    """The newest generation, then the files that do not hold (every file with verbose), then counts."""
    gens = result.generations
    out.write(f"ASC MHL history of {result.root}: {len(gens)} generation(s), newest {gens[-1]['file']}"
              f" ({gens[-1]['created']}, {gens[-1]['tool']})\n" if gens else f"{result.root}: no generation\n")
    for f in result.files:
        if verbose or f.status != "ok":
            out.write(f"{f.status.upper() if f.status != 'ok' else 'ok':<16} {f.path}: {f.message}\n")
    s = result.summary()
    counts = ", ".join(f"{n} {k}" for k, n in s["by_status"].items())
    out.write(f"{s['files']} file(s): {counts}; {s['matching_ledger']} match the ledger's content ids\n")


def verify_json(result: MhlVerification, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")


def seal_text(result: SealResult, out: TextIO, **_) -> None:
    s = result.scan.summary()
    out.write(f"scan: {s['files']} file(s), 0 error findings\n"
              f"sealed {result.root}: generation {result.generation} ({result.mhl_file}), "
              f"{result.files} file(s) hashed (xxh128)\n"
              f"comment: {result.comment}\n")


def notes_after(result: MhlVerification | SealResult, **_) -> list[str]:
    """A seal that raced a change to the delivery says so, whatever happens to stdout."""
    from ..mhl import SealResult

    if not isinstance(result, SealResult) or not result.changed_while_sealing:
        return []
    root = shlex.quote(result.root)
    return ["these files changed between the scan and the MHL, so the generation records bytes that were not "
            f"checked: {', '.join(result.changed_while_sealing)}; run: aiprov scan {root} && aiprov mhl verify {root}"]


VERIFY_RENDERERS = {"text": verify_text, "json": verify_json}
SEAL_RENDERERS = {"text": seal_text}
