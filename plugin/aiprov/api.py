"""The Python API for pipelines: the same calls the command line makes.

    import aiprov
    aiprov.inspect_file("shot.exr").verdict
    aiprov.register("renders/gen_0001.png", tool="ComfyUI", parents=["plates/bg_v003.exr"])
"""

from __future__ import annotations

import os

from . import config as config_mod
from .ledger import Ledger
from .model import Inspection
from .pipeline import inspect_paths
from .reader import ReadSettings
from .registration import FINAL_CANDIDATE, TEMPORARY, Registered, register_files


def inspect_file(path: str | bytes, settings: ReadSettings | None = None) -> Inspection:
    """One file, read in an isolated worker: what it declares about its origin, and the verdict."""
    return next(inspect_paths([path], settings, workers=1))


def register(path, *, tool, tool_version=None, prompt=None, parents=(), note=None, final_candidate=False,
             composite=False, ledger=None, config=None) -> list[Registered]:
    """Record that `path` (or each of a list of paths) is AI output of `tool`, right after generation.

    The ledger is found as on the command line: `ledger`, else AIPROV_LEDGER, else the
    production config's, else .aiprov/ledger.db under the production root.
    """
    paths = [os.fsencode(p) for p in ([path] if isinstance(path, (str, bytes, os.PathLike)) else path)]
    cfg = config_mod.for_paths(paths, config, no_config_zone="working")
    with Ledger(cfg.ledger_path(os.fspath(ledger) if ledger else None)) as db:
        return register_files(paths, db, cfg, tool=tool, tool_version=tool_version, prompt=prompt, parents=parents,
                              note=note, status=FINAL_CANDIDATE if final_candidate else TEMPORARY,
                              composite=composite)
