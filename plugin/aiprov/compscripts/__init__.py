"""Comp scripts: the lineage a facility's Nuke scripts and Fusion comps record.

aiprov reads a script (never runs it) for what each render node writes and which
files feed that node through the node graph; the ledger turns each input ->
render into a lineage edge (ledger/scripts.py). Called from the isolated reader:
a script is untrusted text like any file.
"""

from __future__ import annotations

import os

from .model import Render, ScriptReport, Source, Unresolved

__all__ = ["Render", "ScriptReport", "Source", "Unresolved", "SUFFIXES", "is_script", "read_script"]

# What the tools save. Autosaves and backups (.nk~, .nk.autosave, .autocomp) are not read:
# renders come from the saved script, and an autosave would only repeat it.
SUFFIXES = {b".nk": "nuke", b".comp": "fusion", b".setting": "fusion"}
MAX_BYTES = 256 * 1024 * 1024  # a 2,000-node Nuke script with heavy roto is ~50 MB


def is_script(name: bytes | str) -> bool:
    """Whether a file name is one a comp script is saved under (cheap: on every file's path)."""
    name = os.fsencode(name)
    dot = name.rfind(b".")
    return dot >= 0 and name[dot:].lower() in SUFFIXES


def read_script(fspath: bytes, data: bytes, environ: dict[str, str] | None = None) -> ScriptReport | None:
    """The script's lineage, or None when the file is not a script after all (a GLSL compute
    shader is a .comp too). Never raises on what the file holds."""
    kind = SUFFIXES.get(fspath[fspath.rfind(b"."):].lower())
    if kind is None:
        return None
    path = os.path.abspath(os.fsdecode(fspath))
    if len(data) > MAX_BYTES:
        return ScriptReport("Nuke" if kind == "nuke" else "Fusion",
                            problems=[f"the script is {len(data) // (1024 * 1024)} MB, more than aiprov reads "
                                      f"({MAX_BYTES // (1024 * 1024)} MB): its lineage was not read"])
    if b"\0" in data[:4096]:
        return None  # binary: not a script, whatever its name
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")  # a BOM some editors add
    try:
        if kind == "nuke":
            from .nuke import read_nuke

            return read_nuke(text, path, environ)
        from .fusion import read_fusion

        return read_fusion(text, path)
    except RecursionError:
        return ScriptReport("Nuke" if kind == "nuke" else "Fusion",
                            problems=["the script nests deeper than aiprov follows: its lineage was not read"])
