"""aiprov: provenance for film and TV post-production.

Generative-AI material is temporary by default: it does not belong in the
final deliverables unless its use was approved in writing. aiprov reads what
files say about their origin, keeps their history, and enforces that rule.

The Python API mirrors the command line:

    from aiprov import inspect_file
    inspect_file("shot.exr").verdict
"""

__version__ = "0.1.0"


def inspect_file(path, settings=None):
    from .pipeline import inspect_file as _inspect_file

    return _inspect_file(path, settings)
