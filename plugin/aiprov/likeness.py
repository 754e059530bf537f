"""Lineage that survives laundering: perceptual near-duplicates of AI material.

An AI still re-saved as JPEG, resized, cropped or stripped of its metadata, or
a temp AI shot re-encoded and cut into a conformed master, carries no marker
any more. What it still carries is its picture. So aiprov fingerprints:

* every AI asset it records (a *source*: registered, declared or marked), and
* every non-AI still or clip in a finals zone (a *query*),

and links a query to a source by a `near-duplicate` lineage edge saying how it
matched: a hash within the threshold (graded, converted, resized, cropped up to 5%
a side, flopped, boxed), local features placing the source inside the frame (a
comp, a reframe, a title over much of it), or, for clips and frame sequences
(printed as shots), which frames. The policy then treats the file as derived from
AI: a `derived-from-ai` finding in finals unless an approval covers the source or
the file. Working material that is not AI is not fingerprinted: it cannot be
laundered AI in a deliverable. A source's print carries every hypothesis (~30 ms,
once); a finals still's only what it is searched with (~3 ms).

Fingerprints are computed in the isolated reader workers (they decode pixels);
matching runs in the parent against the ledger's stored prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .model import AI_VERDICTS, Inspection

STILL, CLIP = "still", "clip"
# Sources are sampled densely so every sample of a master finds the frame it was cut from.
SOURCE_INTERVAL_S = 0.5
FFMPEG_STILL_FORMATS = {"image/x-exr", "image/x-dpx"}  # Pillow cannot decode these; ffmpeg can


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
    stored: bytes  # what the ledger keeps (a still's fingerprint blob; a clip's sampled frames)
    quality: int = 0


def fingerprint_file(fspath: bytes, media_type: str | None, source: bool = False,
                     crop_guesses: bool = True) -> Print | None:
    """The perceptual print of one file (runs inside a reader worker). None: nothing to print.

    An AI source gets everything that lets a laundered copy find it (crop and flop
    hypotheses, local features of both orientations: ~30 ms, once per source); finals
    material only what it is searched with (two hashes and its local features: ~2 ms).
    """
    from . import localfeatures as lf
    from .fingerprints import WORK_SIZE, fingerprint_luma, load_luma
    from .videoprints import clip_fingerprint

    kind = kind_of(media_type)
    if kind == STILL:
        work = lf.SOURCE_SIDE if source else WORK_SIZE
        if media_type in FFMPEG_STILL_FORMATS:
            from .ffpictures import ffmpeg_luma

            luma = ffmpeg_luma(fspath, media_type, work)
        else:
            with open(fspath, "rb") as fh:
                luma = load_luma(fh, work_size=work)
        fp = fingerprint_luma(luma, crops=source and crop_guesses, features=True)
        if fp is None:
            return None
        return Print(STILL, fp.to_blob(), fp.quality)
    if kind == CLIP:
        cp = clip_fingerprint(os.fsdecode(fspath), SOURCE_INTERVAL_S, flops=source)
        return Print(CLIP, cp.to_blob()) if cp.frames else None
    return None


def still_reason(distance: int) -> str:
    return f"looks like it (perceptual hash: {distance} of 256 bits differ)"


def part_reason(placement) -> str:
    return f"part of this picture is it: {placement.describe()}"


class _Stills:
    """Stills on record, searchable two ways: their hashes (whole pictures, crops, flops) in
    one index, their local features' descriptors in another (parts of pictures)."""

    def __init__(self):
        from .fpindex import FingerprintIndex

        self.hashes = FingerprintIndex()
        self.descriptors = FingerprintIndex()
        self.features: dict[int, tuple] = {}

    def add(self, row_id: int, fp) -> None:
        import numpy as np  # here: an unchanged rescan prints nothing and never needs it

        hashes = fp.stored
        self.hashes.add_many([row_id] * len(hashes), np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, 32))
        if fp.features:
            self.features[row_id] = fp.features
            desc = np.concatenate([f.descriptors for f in fp.features])
            self.descriptors.add_many(np.full(desc.shape[0], row_id, np.int64), desc)

    def find(self, fp, hashes, searching_from_source: bool = False) -> dict[int, str]:
        """Rows this still looks like, each with why: a hash within the threshold, else
        local features that place the one picture inside the other."""
        from . import localfeatures as lf
        from .fingerprints import MATCH_THRESHOLD

        found: dict[int, str] = {}
        for key, dist in self.hashes.query_many(list(hashes), MATCH_THRESHOLD):
            found[key] = still_reason(dist)
        if not fp.features or not self.features:
            return found
        keys = [k for k in self.features if k not in found]
        if len(keys) > lf.MAX_CANDIDATES:
            # many pictures on record: check the ones sharing the most descriptors with this one
            votes: dict[int, int] = {}
            for f in fp.features:
                for key, n in self.descriptors.votes(f.descriptors, lf.VOTE_DISTANCE).items():
                    votes[key] = max(votes.get(key, 0), n)
            keys = sorted((k for k in votes if k not in found), key=lambda k: -votes[k])[:lf.MAX_CANDIDATES]
        for key in keys:
            best = None
            for mine in fp.features:
                for theirs in self.features[key]:
                    # the source placed in the query frame (or, for a reframe, the frame in it)
                    src, qry = (mine, theirs) if searching_from_source else (theirs, mine)
                    placed = lf.place(src, qry)
                    if placed and (best is None or placed.inliers > best.inliers):
                        best = placed
            if best is not None:
                found[key] = part_reason(best)
        return found


class Likeness:
    """Matches new prints against the ledger's and records near-duplicate edges."""

    def __init__(self, ledger):
        self.ledger = ledger
        self._sources: _Stills | None = None  # AI stills, loaded on first use
        self._finals: _Stills | None = None   # the other stills on record, loaded when a new source needs them

    def _load(self, ai: bool) -> _Stills:
        from .fingerprints import Fingerprint

        out = _Stills()
        for row_id, _, blob in self.ledger.prints.of_kind(STILL, ai=ai):
            try:
                out.add(row_id, Fingerprint.from_blob(blob))
            except ValueError:
                continue  # a print this version cannot read: it is made again when its file is next read
        return out

    def _source_stills(self) -> _Stills:
        if self._sources is None:
            self._sources = self._load(ai=True)
        return self._sources

    def record(self, insp: Inspection, zone: str, p: Print) -> None:
        """Store the print and link the file to what it looks like."""
        from .fingerprints import Fingerprint

        row_id = self.ledger.prints.put(insp.content_id, p.kind, p.stored, p.quality)
        is_source = insp.verdict in AI_VERDICTS
        if p.kind == STILL:
            fp = Fingerprint.from_blob(p.stored, p.quality)
            if is_source:
                if self._sources is not None:
                    self._sources.add(row_id, fp)
                if self._finals is None:
                    self._finals = self._load(ai=False)
                for key, reason in self._finals.find(fp, fp.stored, searching_from_source=True).items():
                    self._link(self.ledger.prints.owner(key), insp.content_id, reason)
            else:
                if self._finals is not None:
                    self._finals.add(row_id, fp)
                for parent, reason in self._still_sources_of(fp):
                    self._link(insp.content_id, parent, reason)
        else:
            self._match_clip(insp, p, is_source)

    def sources_of(self, insp: Inspection, p: Print) -> list[tuple[str, str]]:
        """The AI sources a file that is not AI looks like, as (content id, why), recording nothing:
        what `look` (lookup, timeline, pyblish) needs for a file the ledger has never seen."""
        from .fingerprints import Fingerprint

        if p.kind == STILL:
            return self._still_sources_of(Fingerprint.from_blob(p.stored, p.quality))
        return [(source, reason) for target, source, reason in self._clip_matches(insp, p, is_source=False)]

    def _still_sources_of(self, fp) -> list[tuple[str, str]]:
        out = []
        for key, reason in self._source_stills().find(fp, fp.own).items():
            owner = self.ledger.prints.owner(key)
            if owner:
                out.append((owner, reason))
        return out

    def _match_clip(self, insp: Inspection, p: Print, is_source: bool) -> None:
        for target, source, reason in self._clip_matches(insp, p, is_source):
            self._link(target, source, reason)

    def _clip_matches(self, insp: Inspection, p: Print, is_source: bool) -> list[tuple[str, str, str]]:
        """(the clip that holds the frames, the AI clip they come from, why) for each match."""
        from .videoprints import ClipPrint, match_clip_any_way

        mine = ClipPrint.from_blob(p.stored)
        out = []
        for _, cid, blob in self.ledger.prints.of_kind(CLIP, ai=not is_source):
            if cid == insp.content_id:
                continue
            other = ClipPrint.from_blob(blob)
            source, target = (mine, other) if is_source else (other, mine)
            target_cid, source_cid = (cid, insp.content_id) if is_source else (insp.content_id, cid)
            segments, mirrored = match_clip_any_way(source, target)
            if segments:
                fps = target.fps or 24.0
                ranges = ", ".join(f"{a}-{b}" for a, b in (s.timecodes(fps) for s in segments))
                how = " mirrored" if mirrored else ""
                out.append((target_cid, source_cid,
                            f"frames {ranges} of this file match it{how} (sampled-frame perceptual hashes)"))
        return out

    def _link(self, child: str | None, parent: str | None, reason: str) -> None:
        if not child or not parent or child == parent:
            return
        self.ledger.lineage.add(child, parent, "near-duplicate", reason)
        self.ledger.event("near-duplicate", child, None, {"of": parent, "reason": reason})


# --------------------------------------------------------------------------------------
# frame sequences in finals: shots, printed like clips

# Image sequences carry no frame rate aiprov can rely on; timecodes count at 24 fps.
SEQUENCE_FPS = 24.0
# A sampled frame a second: decoding one 4K half-float EXR frame with grain costs ~0.7 s of
# CPU, so half-second samples could not print a 4K shot at 2x realtime on two cores; a second
# still places a shot's ends within half a second, and finds AI clips of 3 s or more.
SEQUENCE_INTERVAL_S = 1.0
MIN_SHOT_FRAMES = 8           # fewer numbered frames are printed one by one, as stills


@dataclass
class Shot:
    """A run of numbered frames in finals (an EXR or DPX render of a shot): printed by sampled frames."""

    label: str                                   # "finals/sh010.[1001-1240].exr"
    frames: list[tuple[int, Inspection]]         # (frame number, the frame), in order

    @property
    def step(self) -> int:
        return max(1, int(round(SEQUENCE_INTERVAL_S * SEQUENCE_FPS)))

    def sampled(self) -> list[int]:
        """Indices of the frames printed: every `step`-th, and the last."""
        idx = list(range(0, len(self.frames), self.step))
        if idx[-1] != len(self.frames) - 1:
            idx.append(len(self.frames) - 1)
        return idx

    def time_of(self, index: int) -> float:
        return index / SEQUENCE_FPS

    def frame_range(self, lo: int, hi: int) -> str:
        """Frames [lo, hi] (indices) as the frame numbers and timecodes a finding shows."""
        from .videoprints import timecode

        a, b = self.frames[lo][0], self.frames[hi][0]
        return (f"frames {a}-{b} of {self.label} ({timecode(self.time_of(lo), SEQUENCE_FPS)}-"
                f"{timecode(self.time_of(hi + 1), SEQUENCE_FPS)} at {SEQUENCE_FPS:g} fps)")


def shots_among(files: list[Inspection]) -> tuple[list[Shot], list[Inspection]]:
    """Numbered stills that form runs of MIN_SHOT_FRAMES or more, and the rest."""
    from .sequences import FRAME, group

    stills = [i for i in files if kind_of(i.media_type) == STILL]
    others = [i for i in files if kind_of(i.media_type) != STILL]
    shots, singles = [], list(others)
    for run in group(stills, lambda i: os.fsdecode(i.fspath)):
        if run.frames >= MIN_SHOT_FRAMES:
            numbered = [(int(FRAME.match(os.path.basename(os.fsdecode(i.fspath)))["frame"]), i) for i in run.items]
            shots.append(Shot(run.label, sorted(numbered, key=lambda f: f[0])))
        else:
            singles.extend(run.items)
    return shots, singles


class Finals:
    """Prints finals material that is not AI and finds what it looks like: single files one by
    one, frame sequences as shots (sampled frames, segments with frame ranges)."""

    def __init__(self, likeness: Likeness, read_many):
        self.likeness = likeness
        self.ledger = likeness.ledger
        self.read_many = read_many   # paths -> Inspections carrying prints (the isolated readers)

    def _wanted(self, files: list[Inspection]) -> tuple[list[Shot], list[Inspection]]:
        has = {kind: self.ledger.prints.has_sources(kind) for kind in (STILL, CLIP)}
        shots, singles = shots_among(files) if (has[STILL] or has[CLIP]) else ([], [])
        return shots, [i for i in singles if has[kind_of(i.media_type)]]

    def record(self, files: list[Inspection], zone: str) -> None:
        shots, singles = self._wanted(files)
        todo = {i.fspath: i for i in {i.content_id: i for i in singles}.values()}   # once per content
        for got in self.read_many(list(todo)) if todo else ():
            insp = todo[got.fspath]
            if got.likeness is not None:
                self.likeness.record(insp, zone, got.likeness)
            else:  # flat, featureless or undecodable: remember that, so it is not tried on every scan
                self.ledger.prints.put(insp.content_id, kind_of(insp.media_type), b"", 0)
        for shot, prints in self._print_shots(shots):
            for i, p in prints.items():
                insp = shot.frames[i][1]
                self.ledger.prints.put(insp.content_id, STILL, p.stored if p else b"", p.quality if p else 0)
            sampled = set(prints)
            for i, (_, insp) in enumerate(shot.frames):   # frames between the samples: covered by them
                if i not in sampled:
                    self.ledger.prints.put(insp.content_id, STILL, b"", 0)
            for cid, links in self._shot_links(shot, prints).items():
                for parent, why in links:
                    self.likeness._link(cid, parent, why)

    def look(self, files: list[Inspection]) -> dict[str, list[tuple[str, str]]]:
        """The AI sources each file looks like (content id -> [(source, why)]), recording nothing."""
        shots, singles = self._wanted(files)
        todo = {i.fspath: i for i in {i.content_id: i for i in singles}.values()}   # once per content
        found: dict[str, list[tuple[str, str]]] = {}
        for got in self.read_many(list(todo)) if todo else ():
            insp = todo[got.fspath]
            if got.likeness is not None:
                found[insp.content_id] = self.likeness.sources_of(insp, got.likeness)
        for shot, prints in self._print_shots(shots):
            for cid, links in self._shot_links(shot, prints).items():
                found.setdefault(cid, []).extend(links)
        return found

    def _print_shots(self, shots: list[Shot]):
        """Each shot with its sampled frames' prints ({frame index: Print or None}); every
        shot's samples go to the readers together, so they are decoded in parallel."""
        if not shots:
            return []
        where = {}
        for s, shot in enumerate(shots):
            for i in shot.sampled():
                where[shot.frames[i][1].fspath] = (s, i)
        prints: list[dict[int, Print | None]] = [{} for _ in shots]
        for got in self.read_many(list(where)):
            s, i = where[got.fspath]
            prints[s][i] = got.likeness if got.likeness is not None and got.likeness.kind == STILL else None
        return list(zip(shots, prints))

    def _shot_links(self, shot: Shot, prints: dict[int, Print | None]) -> dict[str, list[tuple[str, str]]]:
        """Content id of each frame -> [(AI source, why)]: still sources matched by sampled frames
        (a run of matching samples covers the frames between them), clip sources by segments."""
        from .fingerprints import Fingerprint
        from .videoprints import ClipPrint, match_clip_any_way

        links: dict[str, list[tuple[str, str]]] = {}
        half = shot.step // 2
        n = len(shot.frames)
        by_source: dict[str, list[tuple[int, str]]] = {}
        for i, p in sorted(prints.items()):
            if p is None:
                continue
            for parent, why in self.likeness._still_sources_of(Fingerprint.from_blob(p.stored, p.quality)):
                by_source.setdefault(parent, []).append((i, why))
        for parent, hits in by_source.items():
            runs: list[list[tuple[int, str]]] = []
            for i, why in hits:
                if runs and i - runs[-1][-1][0] <= shot.step:
                    runs[-1].append((i, why))
                else:
                    runs.append([(i, why)])
            for run in runs:
                lo, hi = max(0, run[0][0] - half), min(n - 1, run[-1][0] + half)
                why = f"{shot.frame_range(lo, hi)} look like it ({len(run)} sampled frames; {run[0][1]})"
                for j in range(lo, hi + 1):
                    links.setdefault(shot.frames[j][1].content_id, []).append((parent, why))
        sampled = [(shot.time_of(i), Fingerprint.from_blob(p.stored).bits) for i, p in sorted(prints.items()) if p]
        if sampled and self.ledger.prints.has_sources(CLIP):
            mine = ClipPrint(frames=sampled, duration=n / SEQUENCE_FPS, fps=SEQUENCE_FPS,
                             interval_s=SEQUENCE_INTERVAL_S)
            for _, cid, blob in self.ledger.prints.of_kind(CLIP, ai=True):
                segments, mirrored = match_clip_any_way(ClipPrint.from_blob(blob), mine)
                for seg in segments:
                    lo = max(0, int(round(seg.target_in * SEQUENCE_FPS)))
                    hi = min(n - 1, int(round(seg.target_out * SEQUENCE_FPS)) - 1)
                    how = " mirrored" if mirrored else ""
                    why = f"{shot.frame_range(lo, hi)} match it{how} (sampled-frame perceptual hashes)"
                    for j in range(lo, hi + 1):
                        links.setdefault(shot.frames[j][1].content_id, []).append((cid, why))
        return links
