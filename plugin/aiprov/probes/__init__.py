"""Evidence sources, cheapest first. Each module is one source with one interface:

    NAME: str
    wants(ctx: ProbeContext) -> bool   # is this source worth asking for this file?
    read(ctx: ProbeContext) -> None    # add Evidence (and C2PA facts) to ctx.inspection

A probe gets the already-walked container (`ctx.meta`) rather than the file's
first bytes, so no file is opened twice for its header. Adding a source is
adding a module here and a test file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..containers import Metadata
from ..model import AI_VERDICTS, Inspection


@dataclass
class ProbeContext:
    path: str  # as shown to the user
    fspath: bytes  # as given to the OS (any bytes a name can hold)
    meta: Metadata
    inspection: Inspection
    tools: Any  # reader.Tools: the long-lived helpers of this worker process
    settings: Any  # reader.ReadSettings
    problems: list[str] = field(default_factory=list)  # the readers' own failures

    @property
    def decided(self) -> bool:
        """True once some evidence is decisive, so optional costly probes can stop."""
        return any(e.weight >= 1.0 and e.implies in AI_VERDICTS for e in self.inspection.evidence)


def registered():
    """The probes in the order they run."""
    from . import c2pa_manifest, container_text, exiftool_tags, ffprobe_tags, stealth, xmp

    return [container_text, xmp, c2pa_manifest, ffprobe_tags, exiftool_tags, stealth]
