"""`aiprov ledger info`: which database, which schema, how much it holds, and who writes to it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LedgerInfo:
    backend: str  # sqlite / postgresql
    ledger: str  # where it is, never with a password
    ledger_id: str | None
    schema: int
    this_host: str
    rows: dict[str, int] = field(default_factory=dict)  # by table
    hosts: list[dict] = field(default_factory=list)  # host, live (locations), last_seen
    daemons: list[dict] = field(default_factory=list)  # host, pid, started, heartbeat
    exit_code = 0

    def to_dict(self) -> dict:
        return asdict(self)


def describe(ledger) -> LedgerInfo:
    return LedgerInfo(**ledger.hosts.describe())
