"""What the ledger's topics share: the clock they stamp rows with, and SQL fragments."""

from __future__ import annotations

from datetime import datetime, timezone

from ..model import AI_VERDICTS


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


IN_CHUNK = 500  # values in one "IN (...)": well under both databases' limits on parameters
AI_VERDICTS_SQL = "(" + ", ".join(f"'{v}'" for v in AI_VERDICTS) + ")"  # the verdicts policy treats as AI
