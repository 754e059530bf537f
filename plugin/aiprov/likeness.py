"""Lineage that survives laundering: perceptual near-duplicates of AI material.

An AI still re-saved as JPEG, resized, cropped or stripped of its metadata, or
a temp AI shot re-encoded and cut into a conformed master, carries no marker
any more. What it still carries is its picture. So aiprov fingerprints:

* every AI asset it records (a *source*: registered, declared or marked), and
* every non-AI still or clip in a finals zone (a *query*),

and links a query to a source within the match threshold by a `near-duplicate`
lineage edge saying how close it is (and, for clips, where in the file). The
policy then treats the file as derived from AI: a `derived-from-ai` finding in
finals unless an approval covers the source or the file. Working material that
is not AI is not fingerprinted: it cannot be laundered AI in a deliverable,
and fingerprinting costs ~25 ms a still.

Fingerprints are computed in the isolated reader workers (they decode pixels);
matching runs in the parent against the ledger's stored prints.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

import numpy as np

from .model import AI_VERDICTS, Inspection

STILL, CLIP = "still", "clip"
# Sources are sampled densely so every sample of a master finds the frame it was cut from.
SOURCE_INTERVAL_S = 0.5
FFMPEG_STILL_FORMATS = {"image/x-exr", "image/x-dpx"}  # Pillow cannot decode these; ffmpeg can
TIMEOUT_S = 120


def kind_of(media_type: str | None) -> str | None:
    if not media_type:
        return None
    if media_type.startswith("image/"):
        return STILL
    if media_type.startswith("video/"):
        return CLIP
    return None


@dataclass
class Print:
    kind: str
    stored: bytes  # what the ledger keeps (a still's hashes; a clip's sampled frames)
    queries: bytes = b""  # extra hashes to search with (a still's crop guesses); never stored
    quality: int = 0


def _ffmpeg_rgb(fspath: bytes, side: int = 256) -> np.ndarray:
    """First picture of anything ffmpeg decodes (EXR, DPX), as 8-bit RGB squeezed to side x side
    (the hash works on a 64x64 reduction of the whole picture anyway)."""
    cmd = [b"ffmpeg", b"-v", b"error", b"-nostdin", b"-i", b"file:" + os.path.abspath(fspath), b"-frames:v", b"1",
           b"-vf", f"scale={side}:{side}".encode(), b"-f", b"rawvideo", b"-pix_fmt", b"rgb24", b"-"]
    proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    if proc.returncode != 0 or len(proc.stdout) != side * side * 3:
        raise ValueError(proc.stderr.decode("utf-8", "replace").strip()[-200:] or "ffmpeg could not decode it")
    return np.frombuffer(proc.stdout, dtype=np.uint8).reshape(side, side, 3)


def fingerprint_file(fspath: bytes, media_type: str | None, crop_guesses: bool = True) -> Print | None:
    """The perceptual print of one file (runs inside a reader worker). None: nothing to print."""
    from .fingerprints import fingerprint_array, still_fingerprint
    from .videoprints import clip_fingerprint

    kind = kind_of(media_type)
    if kind == STILL:
        if media_type in FFMPEG_STILL_FORMATS:
            fp = fingerprint_array(_ffmpeg_rgb(fspath), probes=crop_guesses)
        else:
            with open(fspath, "rb") as fh:
                fp = still_fingerprint(fh, probes=crop_guesses)
        if fp is None:
            return None
        return Print(STILL, fp.to_blob(), b"".join(fp.queries), fp.quality)
    if kind == CLIP:
        cp = clip_fingerprint(os.fsdecode(fspath), SOURCE_INTERVAL_S)
        return Print(CLIP, cp.to_blob()) if cp.frames else None
    return None


def still_reason(distance: int) -> str:
    return f"looks like it (perceptual hash: {distance} of 256 bits differ)"


class Likeness:
    """Matches new prints against the ledger's and records near-duplicate edges."""

    def __init__(self, ledger):
        self.ledger = ledger
        self._sources = None  # FingerprintIndex of AI stills, built on first use

    def _source_index(self):
        from .fpindex import FingerprintIndex

        if self._sources is None:
            self._sources = FingerprintIndex.from_rows(
                (row_id, blob) for row_id, _, blob in self.ledger.prints.of_kind(STILL, ai=True))
        return self._sources

    def record(self, insp: Inspection, zone: str, p: Print) -> None:
        """Store the print and link the file to what it looks like."""
        from .fingerprints import MATCH_THRESHOLD

        row_id = self.ledger.prints.put(insp.content_id, p.kind, p.stored, p.quality)
        is_source = insp.verdict in AI_VERDICTS
        if p.kind == STILL:
            if is_source:
                if self._sources is not None:
                    self._sources.add_many([row_id] * (len(p.stored) // 32),
                                           np.frombuffer(p.stored, np.uint8).reshape(-1, 32))
                self._match_new_source_still(insp, p, MATCH_THRESHOLD)
            else:
                for parent, reason in self._still_sources_of(p):
                    self._link(insp.content_id, parent, reason)
        else:
            self._match_clip(insp, p, is_source)

    def sources_of(self, insp: Inspection, p: Print) -> list[tuple[str, str]]:
        """The AI sources a file that is not AI looks like, as (content id, why), recording nothing:
        what `look` (lookup, timeline, pyblish) needs for a file the ledger has never seen."""
        if p.kind == STILL:
            return self._still_sources_of(p)
        return [(source, reason) for target, source, reason in self._clip_matches(insp, p, is_source=False)]

    def _still_sources_of(self, p: Print) -> list[tuple[str, str]]:
        from .fingerprints import MATCH_THRESHOLD

        hashes = [p.stored[i:i + 32] for i in range(0, len(p.stored), 32)]
        hashes += [p.queries[i:i + 32] for i in range(0, len(p.queries), 32)]
        best: dict[int, int] = {}
        for key, dist in self._source_index().query_many(hashes, MATCH_THRESHOLD):
            best[key] = min(dist, best.get(key, 999))
        out = []
        for key, dist in best.items():
            owner = self.ledger.prints.owner(key)
            if owner:
                out.append((owner, still_reason(dist)))
        return out

    def _match_new_source_still(self, insp: Inspection, p: Print, threshold: int) -> None:
        """A new AI source: finals stills already on record may be copies of it."""
        from .fpindex import FingerprintIndex

        rows = self.ledger.prints.of_kind(STILL, ai=False)
        if not rows:
            return
        index = FingerprintIndex.from_rows((row_id, blob) for row_id, _, blob in rows)
        hashes = [p.stored[i:i + 32] for i in range(0, len(p.stored), 32)]
        best: dict[int, int] = {}
        for key, dist in index.query_many(hashes, threshold):
            best[key] = min(dist, best.get(key, 999))
        for key, dist in best.items():
            self._link(self.ledger.prints.owner(key), insp.content_id, still_reason(dist))

    def _match_clip(self, insp: Inspection, p: Print, is_source: bool) -> None:
        for target, source, reason in self._clip_matches(insp, p, is_source):
            self._link(target, source, reason)

    def _clip_matches(self, insp: Inspection, p: Print, is_source: bool) -> list[tuple[str, str, str]]:
        """(the clip that holds the frames, the AI clip they come from, why) for each match."""
        from .videoprints import ClipPrint, match_clip

        mine = ClipPrint.from_blob(p.stored)
        out = []
        for _, cid, blob in self.ledger.prints.of_kind(CLIP, ai=not is_source):
            if cid == insp.content_id:
                continue
            other = ClipPrint.from_blob(blob)
            source, target = (mine, other) if is_source else (other, mine)
            target_cid, source_cid = (cid, insp.content_id) if is_source else (insp.content_id, cid)
            segments = match_clip(source, target)
            if segments:
                fps = target.fps or 24.0
                ranges = ", ".join(f"{a}-{b}" for a, b in (s.timecodes(fps) for s in segments))
                out.append((target_cid, source_cid,
                            f"frames {ranges} of this file match it (sampled-frame perceptual hashes)"))
        return out

    def _link(self, child: str | None, parent: str | None, reason: str) -> None:
        if not child or not parent or child == parent:
            return
        self.ledger.lineage.add(child, parent, "near-duplicate", reason)
        self.ledger.event("near-duplicate", child, None, {"of": parent, "reason": reason})
