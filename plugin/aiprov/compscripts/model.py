"""What a comp script says it reads and renders, as plain data (it crosses the reader's process boundary).

A script is read for its lineage only: which files each render node writes, and
which files feed it through the node graph. A path aiprov could not work out
without running the script's own code is kept as an `Unresolved` with the words
why, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A file-reading node upstream of a render node, and the file(s) it reads."""

    node: str  # full name, "Group1.Read3"
    node_class: str  # Read, DeepRead, ReadGeo2, Loader, ...
    path: str  # absolute, as resolved; a sequence keeps its frame token ("plate.####.exr")
    key: str  # what the ledger matches files against (frames.key_of)
    first: int | None = None  # the frames it reads, when the script says
    last: int | None = None


@dataclass(frozen=True)
class Unresolved:
    """A path the script builds in a way aiprov does not evaluate."""

    node: str
    knob: str
    value: str  # as written in the script
    why: str  # in words


@dataclass
class Render:
    """One output of a render node (a Write, DeepWrite, WriteGeo, Saver; one per stereo view)."""

    node: str
    node_class: str
    path: str
    key: str
    sources: list[Source] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)  # upstream inputs whose path is not known
    disabled: bool = False


@dataclass
class ScriptReport:
    """A comp script as aiprov reads it."""

    app: str  # "Nuke", "Fusion"
    version: str | None = None  # the app version that saved it, as the script says
    renders: list[Render] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)  # every file-reading node, upstream of a render or not
    unresolved: list[Unresolved] = field(default_factory=list)  # every path not worked out (renders' and sources')
    problems: list[str] = field(default_factory=list)  # why parts of the script could not be read

    def summary(self) -> str:
        what = f"{self.app} {'comp' if self.app == 'Fusion' else 'script'}" + (
            f" ({self.app} {self.version})" if self.version else "")
        writers = len({r.node for r in self.renders})
        parts = [f"{writers} render node{'s' * (writers != 1)}",
                 f"{len(self.sources)} file-reading node{'s' * (len(self.sources) != 1)}"]
        if self.unresolved:
            parts.append(f"{len(self.unresolved)} path{'s' * (len(self.unresolved) != 1)} not worked out")
        return f"{what}: " + ", ".join(parts)
