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


def register(path, *, tool, tool_version=None, prompt=None, parents=(), note=None, final_candidate=False,
             composite=False, ledger=None, config=None):
    """Record that `path` is AI output of `tool`, right after generation (pipelines call this).

    The ledger is found as on the command line: `ledger`, else AIPROV_LEDGER, else the
    production config's, else .aiprov/ledger.db under the production root.
    """
    import os

    from . import config as config_mod
    from .ledger import Ledger
    from .registration import FINAL_CANDIDATE, TEMPORARY, register_files

    paths = [os.fsencode(p) for p in ([path] if isinstance(path, (str, bytes, os.PathLike)) else path)]
    cfg = config_mod.for_paths(paths, config, no_config_zone="working")
    with Ledger(cfg.ledger_path(os.fspath(ledger) if ledger else None)) as db:
        return register_files(paths, db, tool=tool, tool_version=tool_version, prompt=prompt, parents=parents,
                              note=note, status=FINAL_CANDIDATE if final_candidate else TEMPORARY,
                              composite=composite, zone_of=cfg.zone_of, likeness=cfg.likeness)
