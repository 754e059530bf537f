"""`aiprov ledger info`: the ledger in a few lines, every host's daemon included."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..ledger.info import LedgerInfo


def text(info: LedgerInfo, out: TextIO, **_) -> None:
    out.write(f"{info.backend} ledger {info.ledger} (id {info.ledger_id or 'not given yet'}), schema {info.schema}\n")
    out.write("  " + ", ".join(f"{n:,} {t}" for t, n in info.rows.items() if n) + "\n")
    for h in info.hosts:
        out.write(f"  host {h['host']}: {h['live']:,} live location(s), last seen {h['last_seen']}\n")
    for d in info.daemons:
        out.write(f"  daemon on {d['host']}: pid {d['pid']}, started {d['started']}, last heartbeat {d['heartbeat']}\n")


def to_json(info: LedgerInfo, out: TextIO, **_) -> None:
    out.write(json.dumps(info.to_dict(), indent=2) + "\n")


RENDERERS = {"text": text, "json": to_json}
