"""`aiprov timeline`: which cuts of an edit use AI material, and where they sit in the cut.

An edit (.otio natively; EDL, FCP 7 XML and others when their OpenTimelineIO
adapter plug-ins are installed) names the media its clips come from. Each
clip's media reference is resolved to a file (file:// URLs and plain paths,
relative ones against the edit's folder; an image sequence to the frames the
cut uses), looked up in the ledger by path and content, and read when the
ledger does not know it. Every clip in an edit is treated as finals-bound:
the edit is what gets conformed.

A cut is a problem when it uses AI material without an approval for final
use, or material derived from unapproved AI (lineage in the ledger). Media
that cannot be found or read is listed as "cannot check".
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import asdict, dataclass, field

from .version import __version__
from .checking import Checker
from .config import Config
from .ledger import Ledger, read_only_or_empty
from .model import AI_VERDICTS, UNREADABLE
from .policy import FINALS

# What a cut's approval status can be.
APPROVED = "approved"
UNAPPROVED = "unapproved"
DERIVED = "derived-from-unapproved-ai"
NOT_NEEDED = "not needed"
CANNOT_CHECK = "cannot check"
FLAGGED = "flagged"  # another error finding of the gate (a C2PA manifest that no longer matches, ...)

# Verdicts for media that was not read.
MISSING = "missing"  # the reference names a file that is not there
NO_MEDIA = "no-media"  # the clip has no media reference (or a generator / missing reference)
NOT_LOCAL = "not-local"  # an http:// or other non-file URL

VERDICT_RANK = {"ai": 0, "ai-composite": 1, UNREADABLE: 2, MISSING: 3, NOT_LOCAL: 4, NO_MEDIA: 5, "unknown": 6,
                "no-ai-declared": 7, "not-ai": 8}


@dataclass
class Cut:
    """One clip of the edit, where it sits, and what its media is."""

    track: str
    track_kind: str  # "Video" / "Audio"
    clip: str
    record_in: str  # timecode HH:MM:SS:FF at the timeline rate, including the timeline's start timecode
    record_out: str  # exclusive, as in an EDL: record_in + duration
    start_seconds: float  # from the start of the timeline
    end_seconds: float
    duration_frames: int
    media: str | None  # the reference as written in the edit
    file: str | None  # the resolved file (for an image sequence: its first used frame)
    verdict: str
    generator: str | None = None
    content_id: str | None = None
    approval: str = NOT_NEEDED
    approvals: list[dict] = field(default_factory=list)  # id, by, reference, created
    reason: str | None = None
    frames: int | None = None  # image sequences: how many frame files the cut uses
    enabled: bool = True
    findings: list[dict] = field(default_factory=list)  # the gate's findings on the file that speaks for the cut

    @property
    def uses_ai(self) -> bool:
        return self.verdict in AI_VERDICTS or self.approval == DERIVED

    @property
    def problem(self) -> bool:
        """It uses AI (or AI-derived) material with no approval for final use, or the gate has
        another error finding on its media."""
        return self.enabled and self.approval in (UNAPPROVED, DERIVED, FLAGGED)

    @property
    def unchecked(self) -> bool:
        return self.enabled and self.approval == CANNOT_CHECK

    def to_dict(self) -> dict:
        return {**asdict(self), "uses_ai": self.uses_ai, "problem": self.problem}


@dataclass
class TimelineReport:
    edit: str
    name: str | None
    rate: float
    start_timecode: str
    ledger: str
    cuts: list[Cut] = field(default_factory=list)
    no_ledger_at: str | None = None  # where the ledger was looked for, when there was none

    @property
    def ai_cuts(self) -> list[Cut]:
        return [c for c in self.cuts if c.uses_ai]

    @property
    def problems(self) -> list[Cut]:
        return [c for c in self.cuts if c.problem]

    @property
    def unchecked(self) -> list[Cut]:
        return [c for c in self.cuts if c.unchecked]

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.problems or (strict and self.unchecked) else 0

    def to_dict(self) -> dict:
        return {"aiprov": __version__, "edit": self.edit, "name": self.name, "rate": self.rate,
                "start_timecode": self.start_timecode, "ledger": self.ledger,
                "summary": {"cuts": len(self.cuts), "ai": len(self.ai_cuts), "unapproved": len(self.problems),
                            "cannot_check": len(self.unchecked), "exit_code": self.exit_code()},
                "cuts": [c.to_dict() for c in self.cuts]}


def resolve_url(url: str | None, base_dir: str) -> tuple[str | None, str | None]:
    """(local path, None) or (None, why not) for a media reference's target URL."""
    if not url:
        return None, NO_MEDIA
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            # file://server/share/x: a UNC path; mounted shares appear as //server/share on POSIX
            path = "//" + parsed.netloc + urllib.parse.unquote(parsed.path)
        else:
            path = urllib.parse.unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:  # a single letter is a Windows drive, not a scheme
        return None, NOT_LOCAL
    else:
        path = url
    path = os.path.expanduser(path)
    if not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    return os.path.normpath(path), None


def _sequence_files(ref, clip, base_dir: str) -> tuple[list[str], str | None]:
    """The frame files of an image sequence that this cut uses."""
    try:
        rng = clip.trimmed_range()
        first = ref.frame_for_time(rng.start_time)
        last = ref.frame_for_time(rng.end_time_inclusive())
    except Exception:  # a range outside the sequence: check every frame
        try:
            first, last = ref.start_frame, ref.end_frame()
        except Exception:  # no available range either: nothing says which files it is
            return [], NO_MEDIA
    files = []
    for frame in range(first, last + 1):
        url = ref.target_url_for_image_number(frame - ref.start_frame)
        path, why = resolve_url(url, base_dir)
        if path is None:
            return [], why
        files.append(path)
    return files, None


def _track_of(item):
    import opentimelineio as otio

    parent = item.parent()
    while parent is not None and not isinstance(parent, otio.schema.Track):
        parent = parent.parent()
    return parent


def read_edit(edit: str, rate: float | None = None):
    """The timeline in an edit file, through whichever OpenTimelineIO adapter reads its format."""
    import opentimelineio as otio

    from .errors import AiprovError

    kwargs = {}
    if rate and edit.lower().endswith(".edl"):
        kwargs["rate"] = rate
    try:
        result = otio.adapters.read_from_file(edit, **kwargs)
    except otio.exceptions.NoKnownAdapterForExtensionError:
        known = ", ".join(sorted(otio.adapters.suffixes_with_defined_adapters(read=True)))
        raise AiprovError(f"{edit}: OpenTimelineIO has no adapter for this kind of file (it reads: {known}). "
                          "EDL: pip install otio-cmx3600-adapter; FCP 7 XML: pip install otio-fcp-adapter")
    except Exception as exc:
        raise AiprovError(f"{edit}: OpenTimelineIO could not read it: {type(exc).__name__}: {exc}")
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline)) or \
            [c for c in result if isinstance(c, otio.schema.Timeline)]
        if not timelines:
            raise AiprovError(f"{edit}: holds no timeline")
        result = timelines[0]
    if not isinstance(result, otio.schema.Timeline):
        raise AiprovError(f"{edit}: holds a {type(result).__name__}, not a timeline")
    return result


def _timeline_rate(tl) -> float:
    if tl.global_start_time is not None:
        return tl.global_start_time.rate
    for clip in tl.find_clips():
        try:
            return clip.trimmed_range().duration.rate
        except Exception:
            continue
    return 24.0


# What a cut's status is, from the findings the policy draws for its media in a finals zone:
# the gate's rules, unchanged, so an edit and a scan of the same files cannot disagree.
STATUS_OF_RULE = {"ai-in-finals": UNAPPROVED, "derived-from-ai": DERIVED, "unreadable-in-finals": CANNOT_CHECK}
STATUS_RANK = {UNAPPROVED: 0, DERIVED: 1, FLAGGED: 2, CANNOT_CHECK: 3, APPROVED: 4, NOT_NEEDED: 5}


def cut_status(checked) -> tuple[str, str | None]:
    """(status, note) of one media file of a cut, from its findings (checking.Checked)."""
    errors = [f for f in checked.findings if f.severity == "error"]
    if errors:
        statuses = [STATUS_OF_RULE.get(f.rule, FLAGGED) for f in errors]
        status = min(statuses, key=STATUS_RANK.__getitem__)
        return status, errors[statuses.index(status)].message
    if checked.inspection.verdict in AI_VERDICTS and checked.approved:
        return APPROVED, None
    return NOT_NEEDED, None


def check_edit(edit: str | os.PathLike, config: Config, ledger_target: str | os.PathLike, *,
               rate: float | None = None, workers: int | None = None) -> TimelineReport:
    """`aiprov timeline`: the edit checked against the ledger at `ledger_target`, which it only
    reads. Without a ledger there, from the files alone: no approval or lineage is known."""
    with read_only_or_empty(ledger_target) as (ledger, there):
        report = check_timeline(edit, ledger, config, rate=rate, workers=workers)
    if not there:
        report.no_ledger_at = str(ledger_target)
    return report


def check_timeline(edit: str | os.PathLike, ledger: Ledger, config: Config, *,
                   rate: float | None = None, workers: int | None = None) -> TimelineReport:
    """Every clip of the edit's timeline with its place in the cut and what its media is."""
    import opentimelineio as otio

    edit = os.path.abspath(os.fspath(edit))
    base_dir = os.path.dirname(edit)
    tl = read_edit(edit, rate)
    tl_rate = _timeline_rate(tl)
    zero = otio.opentime.RationalTime(0, tl_rate)
    # `origin` is the point of the top-level stack where the programme starts. An EDL read by the
    # cmx_3600 adapter has no start time: its tracks are trimmed to start at minus the first record
    # timecode, so the stack's own time is the record timecode and the programme starts there.
    origin = zero
    if tl.global_start_time is not None:
        start = tl.global_start_time.rescaled_to(tl_rate)
    else:
        trims = [t.source_range.start_time.rescaled_to(tl_rate) for t in tl.tracks
                 if isinstance(t, otio.schema.Track) and t.source_range is not None]
        if trims and min(trims) < zero:
            origin = zero - min(trims)
        start = origin

    def timecode(t) -> str:
        """The record timecode of a point given relative to the programme start."""
        return otio.opentime.to_timecode((start + t).rescaled_to(tl_rate), tl_rate)

    # tracks without a name (FCP XML, some EDLs) are called as an editor would: V1, V2, A1...
    labels, counts = {}, {}
    for track in (t for t in tl.tracks if isinstance(t, otio.schema.Track)):
        letter = "A" if track.kind == otio.schema.TrackKind.Audio else "V"
        counts[letter] = counts.get(letter, 0) + 1
        labels[id(track)] = track.name or f"{letter}{counts[letter]}"

    pending = []  # (clip, track, range, media, paths, why)
    for clip in tl.find_clips():
        track = _track_of(clip)
        try:
            rng = clip.transformed_time_range(clip.trimmed_range(), tl.tracks)
        except Exception:
            rng = clip.range_in_parent()
        ref = clip.media_reference
        media, paths, why = None, [], None
        if isinstance(ref, otio.schema.ExternalReference):
            media = ref.target_url
            path, why = resolve_url(ref.target_url, base_dir)
            paths = [path] if path else []
        elif isinstance(ref, otio.schema.ImageSequenceReference):
            media = ref.abstract_target_url("#")
            paths, why = _sequence_files(ref, clip, base_dir)
            if not paths and not why:
                why = NO_MEDIA
        else:
            why = NO_MEDIA
        pending.append((clip, track, rng, media, paths, why))

    wanted = [os.fsencode(p) for *_, paths, _ in pending for p in paths if os.path.lexists(p)]
    with Checker(config, ledger, workers=workers) as checker:
        # every cut is finals-bound: the edit is what gets conformed
        found = {c.inspection.fspath: c for c in checker.look(wanted, zone=FINALS)}

    report = TimelineReport(edit=edit, name=tl.name or None, rate=float(tl_rate), start_timecode=timecode(
        otio.opentime.RationalTime(0, tl_rate)), ledger=ledger.path)
    for clip, track, rng, media, paths, why in pending:
        start_t = rng.start_time.rescaled_to(tl_rate) - origin
        end_t = rng.end_time_exclusive().rescaled_to(tl_rate) - origin
        cut = Cut(track=labels.get(id(track), track.name if track is not None else "") or "",
                  track_kind=track.kind if track is not None else "",
                  clip=clip.name or "", record_in=timecode(start_t), record_out=timecode(end_t),
                  start_seconds=round(start_t.to_seconds(), 6), end_seconds=round(end_t.to_seconds(), 6),
                  duration_frames=int(round(end_t.value - start_t.value)), media=media,
                  file=paths[0] if paths else None, verdict=why or NO_MEDIA, enabled=bool(clip.enabled),
                  frames=len(paths) if isinstance(clip.media_reference, otio.schema.ImageSequenceReference) else None)
        if why:
            cut.approval, cut.reason = CANNOT_CHECK, {NO_MEDIA: "the clip has no media reference",
                                                      NOT_LOCAL: f"not a local file: {media}"}.get(why, why)
            report.cuts.append(cut)
            continue
        results = [(p, found.get(os.path.abspath(os.fsencode(p)))) for p in paths]
        missing = [p for p, c in results if c is None]
        if missing:
            cut.verdict, cut.approval = MISSING, CANNOT_CHECK
            cut.file = missing[0]
            cut.reason = f"no such file: {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            report.cuts.append(cut)
            continue
        # the worst frame speaks for the cut: an unapproved AI frame beats an approved one
        graded = [(p, c, *cut_status(c)) for p, c in results]
        p, c, status, note = min(graded, key=lambda g: (STATUS_RANK[g[2]], VERDICT_RANK.get(g[1].inspection.verdict, 9)))
        insp = c.inspection
        cut.file, cut.verdict, cut.generator, cut.content_id = p, insp.verdict, insp.generator, insp.content_id
        cut.approval, cut.reason = status, note or insp.reason
        cut.approvals = [{"id": a["id"], "by": a["approved_by"], "reference": a["reference"], "created": a["created"]}
                         for a in c.approvals]
        cut.findings = [f.to_dict() for f in c.findings]
        report.cuts.append(cut)
    report.cuts.sort(key=lambda c: (c.start_seconds, c.track_kind, c.track))
    return report
