"""The errors aiprov raises on purpose, each with a message meant for a person.

The CLI turns these, and the errors of the OS and the databases that need no
more words (for_people), into messages and exit codes in one place, so a
delivery script can rely on: 0 clean, 1 findings, 2 usage or config error,
3 the ledger could not be used.
"""

from __future__ import annotations

import os
import sqlite3


class AiprovError(Exception):
    """Base class: str(error) is the whole message shown to the user."""

    exit_code = 2


class UsageError(AiprovError):
    """What was asked cannot be done as asked: an argument is missing, or names the wrong thing."""

    exit_code = 2


class UnreadableMedia(AiprovError):
    """A file could not be read well enough to say anything about it."""

    exit_code = 1


class ConfigError(AiprovError):
    """The production config is missing a key, has a wrong value or bad TOML."""

    exit_code = 2


class LedgerError(AiprovError):
    """The ledger database could not be opened, migrated or written."""

    exit_code = 3


class NoLedger(AiprovError):
    """A command that only reads found no ledger where it looked, and must not make one."""

    exit_code = 2

    def __init__(self, where: str):
        super().__init__(f"no ledger at {where}: scan first, or pass --ledger "
                         "(aiprov inspect reads a file's own provenance without a ledger)")


class LedgerLocked(LedgerError):
    """Another process held the ledger longer than we were willing to wait."""


class NotInLedger(AiprovError):
    """A lookup named something the ledger has never seen."""

    exit_code = 1


class LedgerUnavailable(LedgerError):
    """The ledger's server cannot be reached (restarted, network down). Nothing from the step
    was written; the daemon keeps its queue and reconnects."""


class LedgerConflict(LedgerError):
    """Two writers (on a shared PostgreSQL ledger) locked the same rows in opposite orders;
    the database aborted one. Running the step again succeeds."""


def for_people(exc: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit code for an error aiprov can explain; None for a bug, which
    keeps its traceback."""
    from .names import display_path

    if isinstance(exc, AiprovError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):  # a path that cannot be used: say which
        where = display_path(os.fsencode(exc.filename)) if isinstance(exc.filename, (str, bytes)) else "a file"
        return f"{where}: {exc.strerror or exc}", 2
    if isinstance(exc, sqlite3.Error):  # anything the ledger did not explain itself
        return f"the ledger could not be used: {exc}", 3
    if type(exc).__module__.startswith("psycopg"):
        return f"the shared ledger could not be used: {str(exc).strip()}", 3
    return None
