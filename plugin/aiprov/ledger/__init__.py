"""The provenance ledger: SQLite for one machine, PostgreSQL for a facility (see store.py)."""

from .backends import is_url, redact
from .locations import Location
from .sql import now
from .store import Ledger, default_host_id, read_only_or_empty

__all__ = ["Ledger", "Location", "default_host_id", "is_url", "now", "read_only_or_empty", "redact"]
