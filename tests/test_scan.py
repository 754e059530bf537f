"""The pre-delivery gate end to end: real files, the real command, and a real ledger.

Tests taking `ledger_target` run on both ledgers: a SQLite file and a PostgreSQL schema.
The ones about finding a SQLite file by folder (.aiprov/ledger.db) are SQLite's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from aiprov.config import Config
from aiprov.ledger import Ledger
from aiprov.scanning import scan

from .conftest import CORPUS, SAMPLES
from .helpers import AI_STILL, CAMERA_STILL, FileOpens, aiprov, copy, held_to_file_modes, png_bytes, schema_validator


@pytest.fixture
def delivery(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "stills" / "camera.jpg")
    return d


def ledger_arg(target):
    return ["--ledger", str(target)]


def test_ai_still_copied_into_finals_fails_the_gate_until_approved(tmp_path, delivery, ledger_target):
    first = aiprov("scan", delivery, *ledger_arg(ledger_target))
    assert first.returncode == 0, first.stdout + first.stderr
    copy(AI_STILL, delivery / "stills" / "poster.jpg")
    flagged = aiprov("scan", delivery, *ledger_arg(ledger_target))
    assert flagged.returncode == 1
    assert "ai-in-finals" in flagged.stdout and "poster.jpg" in flagged.stdout
    approved = aiprov("approve", delivery / "stills" / "poster.jpg", "--by", "Dana Whitfield",
                      "--reason", "poster insert approved by the studio", "--reference", "NH-42", *ledger_arg(ledger_target))
    assert approved.returncode == 0, approved.stderr
    assert aiprov("scan", delivery, *ledger_arg(ledger_target)).returncode == 0


def test_renamed_file_keeps_one_asset_and_both_paths(tmp_path, delivery, ledger_target):
    copy(AI_STILL, delivery / "poster.jpg")
    aiprov("scan", delivery, *ledger_arg(ledger_target))
    os.rename(delivery / "poster.jpg", delivery / "poster_v2.jpg")
    again = aiprov("scan", delivery, *ledger_arg(ledger_target), "--format", "json")
    report = json.loads(again.stdout)
    assert report["summary"]["moved"] == 1 and report["summary"]["read"] == 0
    answer = json.loads(aiprov("lookup", delivery / "poster_v2.jpg", "--json", *ledger_arg(ledger_target)).stdout)
    paths = {loc["path"]: loc["gone"] for loc in answer["locations"]}
    assert paths == {str(delivery / "poster.jpg"): True, str(delivery / "poster_v2.jpg"): False}
    assert "moved" in [e["kind"] for e in answer["events"]]
    with Ledger(ledger_target) as ledger:
        assert ledger._rows("SELECT count(*) AS n FROM assets WHERE verdict = 'ai'") == [{"n": 1}]


def test_approval_follows_the_content_to_a_renamed_copy(tmp_path, delivery, ledger_target):
    """The approval belongs to the bytes: a copy under another name in another folder is
    approved by the same record (who, which approval), raises no finding, and the approval
    itself is left as it was; an edited copy (new bytes, same AI metadata) is new content and
    is flagged until it has its own."""
    original = copy(AI_STILL, delivery / "a.jpg")
    done = aiprov("approve", original, "--by", "Dana", "--reason", "approved", "--reference", "NH-42",
                  *ledger_arg(ledger_target))
    assert done.returncode == 0, done.stderr
    before = json.loads(aiprov("approvals", "--json", "--all", *ledger_arg(ledger_target)).stdout)
    assert [(a["approved_by"], a["reference"], a["revoked_at"]) for a in before] == [("Dana", "NH-42", None)]
    renamed = copy(original, delivery / "sub" / "copy of a.jpg")

    r = aiprov("scan", delivery, *ledger_arg(ledger_target), "--format", "json")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    files = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert (files[str(renamed)]["verdict"], files[str(renamed)]["findings"]) == ("ai", [])
    assert files[str(original)]["findings"] == []
    answer = json.loads(aiprov("lookup", renamed, "--json", *ledger_arg(ledger_target)).stdout)
    assert answer["content_id"] == before[0]["content_id"]
    assert [(a["id"], a["approved_by"], a["revoked_at"]) for a in answer["approvals"]] == [(before[0]["id"], "Dana", None)]
    assert {(loc["path"], loc["gone"]) for loc in answer["locations"]} == {(str(original), False), (str(renamed), False)}
    assert json.loads(aiprov("approvals", "--json", "--all", *ledger_arg(ledger_target)).stdout) == before

    edited = copy(original, delivery / "sub" / "a_regrade.jpg")
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-Comment=regraded", str(edited)], check=True)
    r = aiprov("scan", delivery, *ledger_arg(ledger_target), "--format", "json")
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    files = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert files[str(edited)]["content_id"] != before[0]["content_id"]
    assert files[str(edited)]["verdict"] == "ai" and [x["rule"] for x in files[str(edited)]["findings"]] == ["ai-in-finals"]
    assert files[str(renamed)]["findings"] == [] and files[str(original)]["findings"] == []
    assert json.loads(aiprov("lookup", edited, "--json", *ledger_arg(ledger_target)).stdout)["approvals"] == []
    assert json.loads(aiprov("approvals", "--json", "--all", *ledger_arg(ledger_target)).stdout) == before


def test_revoked_approval_fails_the_gate_again_and_stays_on_record(tmp_path, delivery, ledger_target):
    copy(AI_STILL, delivery / "a.jpg")
    aiprov("approve", delivery / "a.jpg", "--by", "Dana", "--reason", "approved", *ledger_arg(ledger_target))
    assert aiprov("scan", delivery, *ledger_arg(ledger_target)).returncode == 0
    assert aiprov("revoke", "1", "--by", "Studio legal", "--reason", "rights unclear", *ledger_arg(ledger_target)).returncode == 0
    assert aiprov("scan", delivery, *ledger_arg(ledger_target)).returncode == 1
    listing = json.loads(aiprov("approvals", "--json", "--all", *ledger_arg(ledger_target)).stdout)
    assert listing[0]["revoked_by"] == "Studio legal" and listing[0]["approved_by"] == "Dana"


def test_approval_records_the_five_answers_and_categories_from_json(tmp_path, delivery, ledger_target):
    copy(AI_STILL, delivery / "a.jpg")
    spec = tmp_path / "approval.json"
    spec.write_text(json.dumps({"by": "Dana", "reason": "ok", "reference": "NH-7", "categories": ["talent-and-performance"],
                                "answers": {"copyright": "yes", "talent": "no"}}))
    assert aiprov("approve", delivery / "a.jpg", "--from-json", spec, *ledger_arg(ledger_target)).returncode == 0
    a = json.loads(aiprov("approvals", "--json", *ledger_arg(ledger_target)).stdout)[0]
    assert a["answers"] == {"copyright": "yes", "data_use": "unsure", "enterprise_environment": "unsure",
                            "final_use": "unsure", "talent": "no"}
    assert a["categories"] == ["talent-and-performance"] and a["reference"] == "NH-7"


def test_zero_byte_file_in_finals_is_unreadable_in_finals(tmp_path, delivery, ledger_target):
    (delivery / "render_0001.exr").write_bytes(b"")
    r = aiprov("scan", delivery, *ledger_arg(ledger_target), "--format", "json")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    rules = {f["rule"] for f in report["files"][0]["findings"]}
    assert report["files"][0]["verdict"] == "unreadable" and rules == {"unreadable-in-finals"}


def test_unlistable_folder_in_finals_is_a_finding_not_a_silent_skip(tmp_path, delivery):
    locked = delivery / "locked"
    locked.mkdir()
    copy(AI_STILL, locked / "hidden.jpg")
    locked.chmod(0)
    try:
        r = subprocess.run([*held_to_file_modes(), sys.executable, "-m", "aiprov.cli", "scan", str(delivery),
                            *map(str, ledger_arg(tmp_path / "ledger.db"))], capture_output=True, text=True, timeout=300)
        assert r.returncode == 1 and "cannot be listed" in r.stdout
    finally:
        locked.chmod(0o755)


def test_c2pa_ingredient_becomes_a_lineage_edge(tmp_path, ledger_target):
    d = tmp_path / "work"
    copy(CORPUS / "plain" / "A.jpg", d / "A.jpg")
    copy(CORPUS / "c2pa" / "CA.jpg", d / "CA.jpg")
    aiprov("scan", d, *ledger_arg(ledger_target))
    child = json.loads(aiprov("lookup", d / "CA.jpg", "--json", *ledger_arg(ledger_target)).stdout)
    parents = child["lineage"]["parents"]
    assert [p["kind"] for p in parents] == ["c2pa-ingredient"]
    assert parents[0]["assets"] and parents[0]["assets"][0]["paths"] == [str(d / "A.jpg")]
    parent = json.loads(aiprov("lookup", d / "A.jpg", "--json", *ledger_arg(ledger_target)).stdout)
    assert [c["paths"] for c in parent["lineage"]["children"]] == [[str(d / "CA.jpg")]]


def test_file_made_from_unapproved_ai_ingredient_is_derived_from_ai(tmp_path, ledger_target):
    # ai_c2pa_composite.png names camera_original.jpg as its parent; here the "parent" on
    # record is AI, so a non-AI child of an AI parent is flagged in finals.
    prod = tmp_path / "prod"
    (prod / "finals").mkdir(parents=True)
    (prod / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    copy(SAMPLES / "stills" / "ai_iptc_xmp.jpg", prod / "working" / "A.jpg")
    copy(CORPUS / "c2pa" / "CA.jpg", prod / "finals" / "CA.jpg")
    r = aiprov("scan", prod, "--format", "json", *ledger_arg(ledger_target))
    report = json.loads(r.stdout)
    by_name = {os.path.basename(f["path"]): f for f in report["files"]}
    assert [f["rule"] for f in by_name["CA.jpg"]["findings"]] == ["derived-from-ai"]
    assert by_name["A.jpg"]["findings"] == []  # AI in working is fine
    assert r.returncode == 1


def test_tampered_manifest_is_invalid_provenance_error_in_finals_warning_in_working(tmp_path, ledger_target):
    prod = tmp_path / "prod"
    (prod / "aiprov.toml").parent.mkdir(parents=True)
    (prod / "aiprov.toml").write_text('[zones]\nfinals = ["finals/**"]\n')
    copy(CORPUS / "c2pa" / "XCA.jpg", prod / "finals" / "XCA.jpg")
    copy(CORPUS / "c2pa" / "XCA.jpg", prod / "working" / "XCA.jpg")
    report = json.loads(aiprov("scan", prod, "--format", "json", *ledger_arg(ledger_target)).stdout)
    sev = {f["zone"]: f["severity"] for r in report["files"] for f in r["findings"] if f["rule"] == "invalid-provenance"}
    assert sev == {"finals": "error", "working": "warning"}


def test_ledger_location_follows_flag_env_config_then_default(tmp_path):
    prod = tmp_path / "prod"
    copy(CAMERA_STILL, prod / "a.jpg")
    aiprov("scan", prod)
    assert (prod / ".aiprov" / "ledger.db").exists()
    aiprov("scan", prod, env={"AIPROV_LEDGER": str(tmp_path / "env.db")})
    assert (tmp_path / "env.db").exists()
    (prod / "aiprov.toml").write_text('ledger = "state/prov.db"\n')
    aiprov("scan", prod)
    assert (prod / "state" / "prov.db").exists()
    aiprov("scan", prod, "--ledger", str(tmp_path / "flag.db"), env={"AIPROV_LEDGER": str(tmp_path / "env2.db")})
    assert (tmp_path / "flag.db").exists() and not (tmp_path / "env2.db").exists()


def test_rescan_of_unchanged_10000_files_opens_none_of_them(tmp_path, ledger_target):
    """Watched from outside by the kernel (inotify IN_OPEN on every folder of the tree, which
    sees opens by any process, the reader workers included): the first scan opens every file,
    the rescan of the unchanged tree opens none, and gives the same verdicts."""
    tree = tmp_path / "tree"
    frames = []
    for i in range(10_000):
        d = tree / f"reel{i % 10}" / f"shot{i % 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        frames.append(d / f"frame_{i:05d}.png")
        frames[-1].write_bytes(png_bytes(i))
    cfg = Config.delivery(tree)
    opens = FileOpens(tree)
    try:
        with Ledger(ledger_target) as ledger:
            first = scan([tree], cfg, ledger, workers=2)
            opened, overflowed = opens.take()
            assert first.read == 10_000 and len(first.files) == 10_000
            # The observer works: it saw the first scan open every file (or more opens than it can queue).
            assert overflowed or set(opened) == {os.fsencode(p) for p in frames}, (len(opened), overflowed)
            second = scan([tree], cfg, ledger, workers=2)
            opened, overflowed = opens.take()
    finally:
        opens.close()
    assert (opened, overflowed) == ([], False), f"the rescan opened {len(opened)} file(s): {opened[:5]}"
    assert (second.read, second.reused) == (0, 10_000)
    # nothing noteworthy on record: counted, not listed again, and the same verdicts in the summary
    assert second.quiet == 10_000 and second.files == []
    assert second.summary()["verdicts"] == first.summary()["verdicts"]


def test_changed_file_is_a_new_version_and_a_deleted_one_is_gone(tmp_path, ledger_target):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.png").write_bytes(png_bytes(1))
    (d / "b.png").write_bytes(png_bytes(2))
    cfg = Config.delivery(d)
    with Ledger(ledger_target) as ledger:
        scan([d], cfg, ledger)
        (d / "a.png").write_bytes(png_bytes(3, {"parameters": "x\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"}))
        (d / "b.png").unlink()
        r = scan([d], cfg, ledger)
        assert r.gone == 1 and [f.inspection.verdict for f in r.files] == ["ai"]
        cid = r.files[0].inspection.content_id
        assert "changed" in [e["kind"] for e in ledger.assets.history(cid)]


def test_report_formats_are_valid(tmp_path, delivery, ledger_target):
    """JSON against its schema; JUnit as a CI server reads it (a failure per error finding, its
    type the rule); CSV as a spreadsheet or a script reads it: its named columns, one row
    per finding (one row with no rule for a clean file), each row carrying its own file's path,
    zone, verdict, generator, source type and content id, and a name with a comma and quotes
    kept as one field."""
    import csv
    import io

    from .test_reliability import _app11_segments

    (delivery / "aiprov.toml").write_text('[zones]\nfinals = ["stills/**"]\nworking = ["working/**"]\n')
    camera = delivery / "stills" / "camera.jpg"
    poster = copy(AI_STILL, delivery / "stills" / 'poster, "final".jpg')
    tampered = copy(CORPUS / "c2pa" / "XCA.jpg", delivery / "working" / "XCA.jpg")
    forged = delivery / "stills" / "forged.jpg"  # AI, and a manifest copied in from another image
    ai = AI_STILL.read_bytes()
    forged.write_bytes(ai[:2] + b"".join(_app11_segments(tampered.read_bytes())) + ai[2:])
    out = {}
    for fmt in ("json", "junit", "csv", "html"):
        target = tmp_path / f"report.{fmt}"
        r = aiprov("scan", delivery, *ledger_arg(ledger_target), "--format", fmt, "-o", target)
        assert r.returncode == 1, r.stderr
        out[fmt] = target.read_text(encoding="utf-8")
    report = json.loads(out["json"])
    schema_validator("scan-report.schema.json").validate(report)
    ids = {f["path"]: f["content_id"] for f in report["files"]}
    assert len(ids) == 4 and all(len(c or "") == 32 for c in ids.values()), ids
    assert len(set(ids.values())) == 4
    capture, trained = (f"http://cv.iptc.org/newscodes/digitalsourcetype/{t}"
                        for t in ("digitalCapture", "trainedAlgorithmicMedia"))
    expected = {  # path: (zone, verdict, generator, digital_source_type, [(rule, severity)])
        str(camera): ("finals", "not-ai", "", capture, [("", "")]),
        str(poster): ("finals", "ai", "Midjourney", trained, [("ai-in-finals", "error")]),
        str(forged): ("finals", "ai", "Midjourney", trained, [("ai-in-finals", "error"), ("invalid-provenance", "error")]),
        str(tampered): ("working", "unknown", "", "", [("invalid-provenance", "warning")]),
    }
    messages = {(f["path"], x["rule"]): x["message"] for f in report["files"] for x in f["findings"]}
    assert "Midjourney" in messages[(str(poster), "ai-in-finals")]
    assert "assertion.dataHash.mismatch" in messages[(str(tampered), "invalid-provenance")]

    rows = list(csv.reader(io.StringIO(out["csv"], newline="")))
    assert rows[0] == ["path", "zone", "verdict", "generator", "digital_source_type", "content_id", "rule",
                       "severity", "message"]
    assert all(len(row) == 9 for row in rows), rows
    got: dict[str, list] = {}
    for path, zone, verdict, generator, dst, cid, rule, severity, message in rows[1:]:
        got.setdefault(path, []).append((zone, verdict, generator, dst, cid, rule, severity, message))
    assert set(got) == set(expected), set(got)  # the comma and quotes in a name did not split it
    for path, (zone, verdict, generator, dst, findings) in expected.items():
        want = [(zone, verdict, generator, dst, ids[path], rule, severity, messages.get((path, rule), ""))
                for rule, severity in findings]
        assert sorted(got[path]) == sorted(want), path

    from junitparser import Failure, JUnitXml

    xml = JUnitXml.fromfile(str(tmp_path / "report.junit"))
    cases = {c.name: c for suite in xml for c in suite}
    assert set(cases) == set(expected)
    for path, (zone, verdict, generator, _, findings) in expected.items():
        case = cases[path]
        assert case.classname == zone
        failures = sorted((f.type, f.message) for f in case.result if isinstance(f, Failure))
        assert failures == sorted((rule, f"{rule}: {messages[(path, rule)]}") for rule, sev in findings if sev == "error")
        assert case.system_out.startswith(f"verdict: {verdict}" + (f" ({generator})" if generator else ""))
        for rule, sev in findings:
            if sev == "warning":
                assert f"{rule}: {messages[(path, rule)]}" in case.system_out
    assert "data:image/png;base64," in out["html"]  # the flagged still has its thumbnail


def test_config_error_names_the_line_and_key_and_exits_2(tmp_path):
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "aiprov.toml").write_text('production = "X"\n\n[zones]\nfinal = ["finals/**"]\n')
    r = aiprov("scan", prod)
    assert r.returncode == 2
    assert "line 4" in r.stderr and "zones.final" in r.stderr


def test_init_writes_a_starter_config_that_validates(tmp_path):
    r = aiprov("init", tmp_path / "show", "--production", "Night Harbour")
    assert r.returncode == 0
    from aiprov.config import load

    cfg = load(tmp_path / "show" / "aiprov.toml")
    assert cfg.production == "Night Harbour"
    assert cfg.zone_of(tmp_path / "show" / "finals" / "reel1" / "a.exr") == "finals"
    assert cfg.zone_of(tmp_path / "show" / "working" / "a.exr") == "working"


def test_lookup_deep_inside_a_delivery_finds_the_ledger_its_scan_made(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(AI_STILL, d / "stills" / "deep" / "poster.jpg")
    assert aiprov("scan", d).returncode == 1
    answer = json.loads(aiprov("lookup", d / "stills" / "deep" / "poster.jpg", "--json").stdout)
    assert answer["known"] and "flagged" in [e["kind"] for e in answer["events"]]
    assert not (d / "stills" / "deep" / ".aiprov").exists()


def test_relative_ledger_flag_is_relative_to_where_the_command_runs(tmp_path):
    prod = tmp_path / "prod"
    copy(CAMERA_STILL, prod / "a.jpg")
    (prod / "aiprov.toml").write_text('production = "X"\n')
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    assert aiprov("scan", prod, "--ledger", "mine.db", cwd=elsewhere).returncode == 0
    assert (elsewhere / "mine.db").exists() and not (prod / "mine.db").exists()


def _report(r) -> dict:
    assert r.returncode in (0, 1), r.stderr
    return {os.path.basename(f["path"]): f for f in json.loads(r.stdout)["files"]}


def test_a_broken_link_in_finals_is_a_finding_not_a_silent_skip(tmp_path, delivery):
    os.symlink(tmp_path / "renders" / "poster_v3.jpg", delivery / "stills" / "poster.jpg")
    r = aiprov("scan", delivery, "--format", "json", *ledger_arg(tmp_path / "l.db"))
    files = _report(r)
    assert r.returncode == 1
    poster = files["poster.jpg"]
    assert poster["verdict"] == "unreadable" and "broken link to" in poster["error"]
    assert str(tmp_path / "renders" / "poster_v3.jpg") in poster["error"]
    assert [f["rule"] for f in poster["findings"]] == ["unreadable-in-finals"]
    assert json.loads(r.stdout)["summary"]["files"] == 2  # counted, beside the camera still


def test_a_link_looping_back_on_itself_in_finals_is_a_finding(tmp_path, delivery):
    os.symlink("loop.mov", delivery / "loop.mov")
    r = aiprov("scan", delivery, "--format", "json", *ledger_arg(tmp_path / "l.db"))
    assert r.returncode == 1 and "loops back on itself" in _report(r)["loop.mov"]["error"]


def test_a_delivery_given_as_a_link_to_a_folder_is_checked_where_it_leads(tmp_path):
    nas = tmp_path / "nas" / "show_DELIVERY"
    copy(AI_STILL, nas / "stills" / "poster.jpg")
    copy(CAMERA_STILL, nas / "stills" / "camera.jpg")
    mount = tmp_path / "DELIVERY"
    os.symlink(nas, mount)
    r = aiprov("scan", mount, "--format", "json", *ledger_arg(tmp_path / "l.db"))
    report = json.loads(r.stdout)
    assert r.returncode == 1, r.stderr
    assert report["root_links"] == {str(mount): str(nas)} and report["roots"] == [str(nas)]
    by_name = {os.path.basename(f["path"]): f for f in report["files"]}
    assert set(by_name) == {"poster.jpg", "camera.jpg"}
    assert [f["rule"] for f in by_name["poster.jpg"]["findings"]] == ["ai-in-finals"]
    text = aiprov("scan", mount, *ledger_arg(tmp_path / "l.db"))
    assert f"{mount} is a link: checked {nas}" in text.stdout


def test_a_link_to_a_folder_inside_the_delivery_is_not_followed_and_says_so(tmp_path, delivery):
    elsewhere = tmp_path / "elsewhere"
    copy(AI_STILL, elsewhere / "poster.jpg")
    os.symlink(elsewhere, delivery / "extras")
    r = aiprov("scan", delivery, "--format", "json", *ledger_arg(tmp_path / "l.db"))
    files = _report(r)
    assert r.returncode == 1 and "poster.jpg" not in files
    assert "a link to a folder" in files["extras"]["error"] and "not checked" in files["extras"]["error"]


def test_a_fifo_in_finals_is_unreadable_and_the_scan_does_not_hang(tmp_path, delivery):
    os.mkfifo(delivery / "mix.wav")
    r = aiprov("scan", delivery, "--format", "json", *ledger_arg(tmp_path / "l.db"))
    mix = _report(r)["mix.wav"]
    assert r.returncode == 1 and mix["verdict"] == "unreadable" and "named pipe" in mix["error"]


def test_folders_found_unchanged_are_skipped_yet_every_later_change_is_seen(tmp_path, ledger_target):
    """After a rescan finds a folder wholly unchanged, the next one compares one digest for it instead
    of a row per file; an edit, a deletion, a new file, a move between folders and an AI file landing
    must all still be seen, each in its own later scan."""
    tree = tmp_path / "DELIVERY"
    for shot in range(3):
        for frame in range(5):
            (tree / f"shot{shot}").mkdir(parents=True, exist_ok=True)
            (tree / f"shot{shot}" / f"f{frame}.png").write_bytes(png_bytes(shot * 10 + frame))
    cfg = Config.delivery(tree)
    with Ledger(ledger_target) as ledger:
        assert scan([tree], cfg, ledger).read == 15
        second = scan([tree], cfg, ledger)  # compares file by file, and keeps each folder's digest
        assert (second.read, second.quiet) == (0, 15)
        vouched = ledger._rows("SELECT count(*) AS n FROM folders WHERE digest IS NOT NULL")[0]["n"]
        assert vouched == 3
        third = scan([tree], cfg, ledger)
        assert (third.read, third.quiet, third.gone) == (0, 15, 0)

        (tree / "shot0" / "f1.png").write_bytes(png_bytes(999))  # re-rendered
        r = scan([tree], cfg, ledger)
        assert (r.read, r.quiet) == (1, 14) and [c.inspection.path for c in r.files] == [str(tree / "shot0" / "f1.png")]

        (tree / "shot1" / "f2.png").unlink()
        r = scan([tree], cfg, ledger)
        assert (r.read, r.gone) == (0, 1)

        os.rename(tree / "shot2" / "f0.png", tree / "shot0" / "moved.png")
        r = scan([tree], cfg, ledger)
        assert (r.read, r.moved, r.gone) == (0, 1, 0)
        assert ledger.locations.get(os.fsencode(tree / "shot0" / "moved.png")) is not None

        copy(AI_STILL, tree / "shot1" / "insert.jpg")
        r = scan([tree], cfg, ledger)
        assert r.read == 1 and [f.rule for f in r.findings] == ["ai-in-finals"]
        r = scan([tree], cfg, ledger)  # the AI file is noteworthy: judged again (unchanged), still flagged
        assert r.read == 0 and [f.rule for f in r.findings] == ["ai-in-finals"]
        assert r.summary()["files"] == 15 and r.summary()["verdicts"].get("ai") == 1

        shutil.rmtree(tree / "shot2")
        r = scan([tree], cfg, ledger)
        assert r.gone == 4 and r.summary()["files"] == 11


def test_a_rescan_of_one_shot_still_flags_the_ai_file_in_it_and_nothing_of_its_neighbour(tmp_path, ledger_target):
    """A rescan of one folder asks the ledger only for the noteworthy files at and below it (a rescan
    of one shot in a ledger of millions stays as cheap as in a small one); the AI file in it must still
    be judged again and flagged, and the one in a neighbour whose name starts the same (shot1,
    shot10) is neither flagged nor counted."""
    tree = tmp_path / "DELIVERY"
    for shot in ("shot1", "shot10"):
        for frame in range(3):
            (tree / shot).mkdir(parents=True, exist_ok=True)
            (tree / shot / f"f{frame}.png").write_bytes(png_bytes(len(shot) * 10 + frame))
        copy(AI_STILL, tree / shot / "insert.jpg")
    cfg = Config.delivery(tree)
    with Ledger(ledger_target) as ledger:
        assert scan([tree], cfg, ledger).read == 8
        assert len(scan([tree], cfg, ledger).findings) == 2  # and keeps each folder's digest
        for root in (tree / "shot1", tree / "shot1" / "", tree / "shot10"):
            r = scan([root], cfg, ledger)
            assert r.read == 0 and r.summary()["files"] == 4
            assert [(f.rule, f.path) for f in r.findings] == [("ai-in-finals", str(root / "insert.jpg"))]
