"""The provenance ledger: SQLite for one machine, PostgreSQL for a facility (see store.py)."""

from .backends import is_url, redact
from .store import Ledger, Location, default_host_id, now

__all__ = ["Ledger", "Location", "default_host_id", "is_url", "now", "redact"]
