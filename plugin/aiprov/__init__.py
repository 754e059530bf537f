"""aiprov: provenance for film and TV post-production.

Generative-AI material is temporary by default: it does not belong in the
final deliverables unless its use was approved in writing. aiprov reads what
files say about their origin, keeps their history, and enforces that rule.

The Python API (api.py) mirrors the command line:

    import aiprov
    aiprov.inspect_file("shot.exr").verdict

This module only re-exports. The API is loaded on first use, so that the reader
processes, which import this package, start without the ledger and the CLI.
"""

from .version import __version__

__all__ = ["__version__", "inspect_file", "register"]


def __getattr__(name: str):
    if name in ("inspect_file", "register"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'aiprov' has no attribute {name!r}")
