"""Image sequences: thousands of frames shown as one line.

A render lands as shot010_plate.1001.exr ... shot010_plate.1096.exr. The ledger
keeps every frame (each has its own bytes and verdict); people want to read
"shot010_plate.[1001-1096].exr, 96 frames". Frames group when they share the
folder, the name around the frame number, the number's padding, and the same
outcome (verdict, findings); a gap splits the range.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable, Generic, Iterable, TypeVar

T = TypeVar("T")
FRAME = re.compile(r"^(?P<head>.*?)(?P<frame>\d{3,9})(?P<tail>\.[A-Za-z0-9]+)$")


@dataclass
class Run(Generic[T]):
    items: list[T]
    label: str  # "dir/name.[1001-1096].exr" or the single path

    @property
    def frames(self) -> int:
        return len(self.items)


def group(items: Iterable[T], path_of: Callable[[T], str], key_of: Callable[[T], object] = lambda _: None) -> list[Run[T]]:
    """Consecutive frames with the same name pattern and the same key become one Run; the rest stay single."""
    buckets: dict[tuple, list[tuple[int, T]]] = {}
    singles: list[Run[T]] = []
    for item in items:
        path = path_of(item)
        folder, name = os.path.split(path)
        m = FRAME.match(name)
        if not m:
            singles.append(Run([item], path))
            continue
        k = (folder, m["head"], len(m["frame"]), m["tail"], key_of(item))
        buckets.setdefault(k, []).append((int(m["frame"]), item))
    runs = list(singles)
    for (folder, head, pad, tail, _), frames in buckets.items():
        frames.sort(key=lambda f: f[0])
        start = 0
        for i in range(1, len(frames) + 1):
            if i == len(frames) or frames[i][0] != frames[i - 1][0] + 1:
                chunk = frames[start:i]
                first, last = chunk[0][0], chunk[-1][0]
                if len(chunk) == 1:
                    label = os.path.join(folder, f"{head}{first:0{pad}d}{tail}")
                else:
                    label = os.path.join(folder, f"{head}[{first:0{pad}d}-{last:0{pad}d}]{tail}")
                runs.append(Run([item for _, item in chunk], label))
                start = i
    runs.sort(key=lambda r: r.label)
    return runs
