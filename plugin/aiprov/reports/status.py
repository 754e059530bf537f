"""`aiprov status`: this host's daemon, what it watches, and how it is keeping up."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..watch import DaemonStatus


def text(result: DaemonStatus, out: TextIO, **_) -> None:
    st = result.status
    if st is None:
        out.write(f"no aiprov watch is running on {result.ledger}\n")
        return
    last = st.get("last_reconcile")
    out.write(f"aiprov watch running, pid {st.get('pid')}, ledger {result.ledger}\n")
    for r in st.get("roots", []):
        out.write(f"  watching {r['path']} ({r['observer']})\n")
    out.write(f"  queue {st.get('queue_depth', 0)}, processed {st.get('processed', 0)}, findings {st.get('findings', 0)}, "
              f"hooks run {st.get('hooks_run', 0)} ({st.get('hooks_failed', 0)} failed)\n")
    out.write("  last reconcile: "
              f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(last)) if last else 'running or not yet'}\n")
    for e in st.get("errors", []):
        out.write(f"  error: {e}\n")


def to_json(result: DaemonStatus, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_dict(), indent=2) + "\n")


RENDERERS = {"text": text, "json": to_json}
