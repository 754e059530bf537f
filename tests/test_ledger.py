"""The ledger's contract, held by both backends: a SQLite file and a shared PostgreSQL database.

Every test here runs twice (the `backend` parameter). What a facility relies on: the
same file seen on two hosts is one asset with two locations, one host's sweep never
touches another's paths, approvals made anywhere apply everywhere, a finding is raised
once however many processes see it, and a ledger moves between the two databases
without losing a row.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time

import pytest

from aiprov.config import Config
from aiprov.errors import LedgerError
from aiprov.ledger import Ledger
from aiprov.ledger import schema
from aiprov.ledger.transfer import export, import_
from aiprov.model import Finding
from aiprov.scanning import scan

from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy


def finals(root, zone: str = "finals") -> Config:
    return Config(root=root, production="facility", default_zone=zone)


def test_the_same_file_on_two_hosts_is_one_asset_with_two_locations(tmp_path, ledger_target):
    a, b = tmp_path / "srv-a", tmp_path / "srv-b"
    copy(AI_STILL, a / "plates" / "sky.jpg")
    copy(AI_STILL, b / "deliver" / "sky_final.jpg")
    with Ledger(ledger_target, host="srv-a") as on_a, Ledger(ledger_target, host="srv-b") as on_b:
        scan([a], finals(a), on_a)
        r = scan([b], finals(b), on_b)
        cid = r.files[0].inspection.content_id
        assert on_a.count("assets") == 1
        places = {(loc.host, loc.path) for loc in on_b.locations.of(cid)}
        assert places == {("srv-a", str(a / "plates" / "sky.jpg")), ("srv-b", str(b / "deliver" / "sky_final.jpg"))}
        # the second host's sighting is a copy of the first host's file, in one history
        kinds = [(e["kind"], e["host"]) for e in on_a.assets.history(cid)]
        assert ("recorded", "srv-a") in kinds and ("copied", "srv-b") in kinds
        assert [k for k, _ in kinds].count("recorded") == 1


def test_one_hosts_sweep_never_marks_another_hosts_files_gone(tmp_path, ledger_target):
    """Two servers with the same layout: /show/finals on A is not /show/finals on B."""
    shared_layout = tmp_path / "show"
    copy(CAMERA_STILL, shared_layout / "finals" / "a.jpg")
    with Ledger(ledger_target, host="srv-a") as on_a, Ledger(ledger_target, host="srv-b") as on_b:
        scan([shared_layout], finals(shared_layout), on_a)
        (shared_layout / "finals" / "a.jpg").unlink()
        copy(AI_STILL, shared_layout / "finals" / "b.jpg")
        r = scan([shared_layout], finals(shared_layout), on_b)
        assert r.gone == 0, "host B's scan must not decide what is gone on host A"
        assert [loc.gone for loc in on_a.locations.live_under(os.fsencode(shared_layout)).values()] == [False]


def test_an_approval_made_on_one_host_clears_the_finding_on_another(tmp_path, ledger_target):
    a, b = tmp_path / "working", tmp_path / "deliver"
    copy(AI_STILL, a / "sky.jpg")
    copy(AI_STILL, b / "sky.jpg")
    with Ledger(ledger_target, host="cutting-room") as room, Ledger(ledger_target, host="delivery") as qc:
        assert scan([b], finals(b), qc).exit_code == 1
        cid = scan([a], finals(a, "working"), room).files[0].inspection.content_id
        room.approvals.add(cid, "Dana Supervisor", "sky approved for final use", "NH-7", [], {}, str(a / "sky.jpg"))
        assert scan([b], finals(b), qc).exit_code == 0
        assert qc.findings.open() == []


def test_a_finding_is_raised_once_when_two_processes_record_it_together(tmp_path, ledger_target):
    d = tmp_path / "finals"
    copy(AI_STILL, d / "sky.jpg")
    with Ledger(ledger_target, host="srv-a") as first:
        scan([d], finals(d), first)  # records the location and raises the finding
        loc = first.locations.get(os.fsencode(d / "sky.jpg"))
        first.findings.record(loc, [])  # resolved: the next record raises it anew
    finding = Finding(rule="ai-in-finals", severity="error", message="AI in finals", path=loc.path,
                      content_id=loc.content_id, zone="finals")
    barrier, raised, errors = threading.Barrier(4), [], []

    def writer() -> None:
        try:
            with Ledger(ledger_target, host="srv-a") as ledger:
                barrier.wait()
                raised.extend(ledger.findings.record(loc, [finding]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(raised) == 1, "exactly one process raises it (and runs its hooks)"
    with Ledger(ledger_target, host="srv-a") as ledger:
        assert len(ledger.findings.open()) == 1
        flagged = [e for e in ledger.assets.history(loc.content_id) if e["kind"] == "flagged"]
        assert len(flagged) == 2  # the first scan's, and this one


def test_a_finding_still_open_on_a_rescan_stays_one_finding_seen_again(tmp_path, ledger_target):
    """QC reads first_raised / last_seen to tell an old problem from one that is still there today."""
    d = tmp_path / "finals"
    copy(AI_STILL, d / "sky.jpg")
    copy(AI_STILL, d / "sky_v2.jpg")
    os.utime(d / "sky_v2.jpg", ns=(1, 1))  # a second location, same content
    with Ledger(ledger_target, host="srv-a") as ledger:
        scan([d], finals(d), ledger)
        before = {f["path"]: f for f in ledger.findings.open()}
        assert len(before) == 2
        time.sleep(0.01)
        (d / "sky.jpg").touch()  # changed stat: read and judged again
        scan([d], finals(d), ledger)
        after = {f["path"]: f for f in ledger.findings.open()}
        assert set(after) == set(before)
        for path, f in after.items():
            assert f["id"] == before[path]["id"] and f["first_raised"] == before[path]["first_raised"]
        touched = after[str(d / "sky.jpg")]
        assert touched["last_seen"] > before[str(d / "sky.jpg")]["last_seen"]
        assert touched["message"] == before[str(d / "sky.jpg")]["message"]
        assert [e["kind"] for e in ledger.assets.history(touched["content_id"])].count("flagged") == 2


def test_export_then_import_into_the_other_backend_and_back_loses_nothing(tmp_path, ledger_target, more_ledgers,
                                                                          other_backend_ledger):
    d = tmp_path / "prod"
    copy(AI_STILL, d / "finals" / "sky.jpg")
    copy(CAMERA_STILL, d / "finals" / "camera.jpg")
    (d / "odd").mkdir(parents=True)
    weird = os.fsencode(d / "odd") + b"/-caf\xe9 \nname.jpg"  # not UTF-8, a newline, a leading dash
    with open(weird, "wb") as fh:
        fh.write(CAMERA_STILL.read_bytes() + b"\0")
    with Ledger(ledger_target, host="srv-a") as ledger:
        r = scan([d], finals(d), ledger)
        ai = next(f for f in r.files if f.inspection.verdict == "ai").inspection.content_id
        ledger.approvals.add(ai, "Dana", "approved", "NH-1", ["final-use"], {"talent": "no"}, "sky.jpg")
        ledger.prints.put(ai, "pdq", bytes(range(40)), 90)
        ledger.ledger_id()
        before = dump(ledger)
        export(ledger, tmp_path / "one.jsonl.gz")
    with Ledger(other_backend_ledger) as middle:
        import_(middle, tmp_path / "one.jsonl.gz")
        assert dump(middle) == before
        export(middle, tmp_path / "two.jsonl")
    with Ledger(more_ledgers("back")) as back:
        import_(back, tmp_path / "two.jsonl")
        assert dump(back) == before
        assert back.ledger_id() == json.loads((tmp_path / "two.jsonl").read_text().splitlines()[0])["ledger_id"]
        # ids go on after the imported ones
        assert back.approvals.add(ai, "Lee", "again", None, [], {}, None) == 2


def dump(ledger: Ledger) -> dict:
    out = {}
    for table in schema.TABLES:
        rows = ledger._rows(f"SELECT * FROM {table}")
        out[table] = sorted(json.dumps({k: (v.hex() if isinstance(v, (bytes, memoryview)) else v)
                                        for k, v in sorted(r.items())}, sort_keys=True) for r in rows)
    return out


# -- choosing and upgrading a shared ledger from the command line ------------------------


def test_a_postgresql_url_in_the_config_or_the_environment_selects_the_shared_ledger(tmp_path, pg_ledgers):
    prod = tmp_path / "prod"
    copy(AI_STILL, prod / "finals" / "sky.jpg")
    from_config, from_env = pg_ledgers(), pg_ledgers()
    (prod / "aiprov.toml").write_text(f'production = "X"\nledger = "{from_config}"\n[zones]\nfinals = ["finals/**"]\n')
    assert aiprov("scan", prod).returncode == 1
    assert not (prod / ".aiprov").exists(), "no SQLite file is made beside a production that names a URL"
    assert aiprov("scan", prod, env={"AIPROV_LEDGER": from_env}).returncode == 1
    for target in (from_config, from_env):
        with Ledger(target) as ledger:
            assert ledger.count("assets") == 1 and ledger.kind == "postgresql"


def test_a_first_scan_into_an_empty_shared_ledger_leaves_it_with_statistics(tmp_path, pg_ledgers):
    """PostgreSQL plans each statement by what its statistics say a table holds. A first scan fills
    tables that were empty, and autovacuum counts them a minute later at best: until then every
    lookup of a batch's paths and contents read all the rows recorded so far (25,000 new files took
    2.5-4.5x as long as into SQLite, bench/bench_pgscan.py). The scan counts them itself."""
    tree = tmp_path / "delivery"
    for i in range(1500):
        folder = tree / f"sh{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"take.{i:04d}.bin").write_bytes(b"take %d" % i)
    with Ledger(pg_ledgers()) as ledger:
        assert scan([tree], Config.delivery(tree), ledger).read == 1500
        counted = ledger._rows("SELECT reltuples FROM pg_class WHERE oid = to_regclass('locations')")[0]["reltuples"]
    assert counted >= 1000, f"the statistics count {counted} locations after a first scan of 1,500 files"


def test_an_unreachable_server_is_a_clear_message_without_the_password(tmp_path):
    prod = tmp_path / "prod"
    copy(CAMERA_STILL, prod / "a.jpg")
    r = aiprov("scan", prod, "--ledger", "postgresql://qc:s3cret-pw@127.0.0.1:1/facility")
    assert r.returncode == 3
    assert "cannot connect to the ledger at postgresql://qc:***@127.0.0.1:1/facility" in r.stderr
    assert "s3cret-pw" not in r.stderr + r.stdout and "Traceback" not in r.stderr


def test_a_shared_ledger_behind_this_aiprov_waits_for_ledger_migrate(tmp_path, pg_ledgers):
    """Hosts upgrade aiprov one by one; the shared schema moves once, when someone says so."""
    target = pg_ledgers()
    with Ledger(target, check=False) as ledger:
        with ledger.transaction():
            for migration in schema.POSTGRES[:4]:
                schema.apply(ledger.backend, migration, "srv-a")
            ledger.backend.set_schema_version(4)
    prod = tmp_path / "prod"
    copy(CAMERA_STILL, prod / "a.jpg")
    refused = aiprov("scan", prod, "--ledger", target)
    assert refused.returncode == 3 and "aiprov ledger migrate" in refused.stderr
    done = aiprov("ledger", "migrate", "--ledger", target)
    assert done.returncode == 0 and f"from schema 4 to {len(schema.POSTGRES)}" in done.stdout
    assert aiprov("scan", prod, "--ledger", target).returncode == 0


def test_an_old_sqlite_ledger_is_upgraded_in_place_and_keeps_its_history(tmp_path):
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    for migration in schema.SQLITE[:4]:
        db.executescript(migration)
    db.execute("PRAGMA user_version = 4")
    db.execute("INSERT INTO locations (path_raw, path, content_id, size, zone, first_seen, last_seen) "
               "VALUES (?, ?, 'c1', 1, 'finals', 't', 't')", [b"/show/a.exr", "/show/a.exr"])
    db.execute("INSERT INTO journal (path_raw, added) VALUES (?, 't')", [b"/show/b.exr"])
    db.execute("INSERT INTO edges (child_id, parent_ref, parent_title, kind, created) "
               "VALUES ('c2', 'a.exr', 'a.exr', 'c2pa-ingredient', 't')")  # an ingredient known by name only
    db.commit()
    db.close()
    with Ledger(old, host="srv-a") as ledger:
        assert ledger.schema_version == ledger.latest_schema
        assert ledger.locations.get(b"/show/a.exr").content_id == "c1"
        assert ledger.journal.paths() == [b"/show/b.exr"]
        assert ledger.lineage.parents("c2")[0]["parent_ids"] == ["c1"], "lineage by file name survives the upgrade"
    with Ledger(old, host="srv-b") as other:
        assert other.locations.get(b"/show/a.exr") is None, "the paths were this machine's, not every host's"


def test_an_export_cut_short_imports_nothing(tmp_path, ledger_target, more_ledgers):
    d = tmp_path / "d"
    copy(AI_STILL, d / "sky.jpg")
    with Ledger(ledger_target) as ledger:
        scan([d], finals(d), ledger)
        export(ledger, tmp_path / "full.jsonl")
    lines = (tmp_path / "full.jsonl").read_text().splitlines()
    (tmp_path / "cut.jsonl").write_text("\n".join(lines[:-3]) + "\n")
    r = aiprov("ledger", "import", tmp_path / "cut.jsonl", "--ledger", more_ledgers("target"))
    assert r.returncode == 3 and "incomplete" in r.stderr and "nothing was imported" in r.stderr
    with Ledger(more_ledgers("target2")) as fresh:
        with pytest.raises(LedgerError):
            import_(fresh, tmp_path / "cut.jsonl")
        assert fresh.count("assets") == 0


def test_a_batch_that_fails_leaves_no_trace_and_one_that_commits_keeps_its_history_in_order(tmp_path, ledger_target):
    """Events, evidence and identifiers of a batch reach the database at commit, in one statement
    each: a history read inside the batch still sees them, and a batch cut short leaves none."""
    d = tmp_path / "d"
    copy(AI_STILL, d / "a.jpg")
    with Ledger(ledger_target) as ledger:
        r = scan([d], finals(d), ledger)
        cid = r.files[0].inspection.content_id
        before = [e["kind"] for e in ledger.assets.history(cid)]
        assert before[:2] == ["recorded", "seen"]
        with pytest.raises(RuntimeError):
            with ledger.transaction():
                ledger.event("moved", cid, "x", {"to": "y"})
                ledger.event("gone", cid, "y")
                assert [e["kind"] for e in ledger.assets.history(cid)][-2:] == ["moved", "gone"]  # read inside: seen
                raise RuntimeError("the batch is cut short")
        assert [e["kind"] for e in ledger.assets.history(cid)] == before
        with ledger.batch() as tick:
            for kind in ("moved", "gone", "seen"):
                ledger.event(kind, cid, str(d / "a.jpg"))
                tick()
        assert [e["kind"] for e in ledger.assets.history(cid)] == before + ["moved", "gone", "seen"]
        facts = lambda insp: [(e.source, e.field, e.value, e.implies) for e in insp.evidence]  # noqa: E731
        assert facts(ledger.assets.inspection(cid, "a.jpg")) == facts(r.files[0].inspection)


def test_a_lookup_reads_every_table_by_index_in_a_large_sqlite_ledger(tmp_path):
    """A lookup is ~12 questions; each must be an index lookup, or its time grows with the ledger
    (the edges known by reference were once read whole: 22 ms a lookup at ten million assets)."""
    from aiprov.lookup import lookup

    d = tmp_path / "work"
    copy(CAMERA_STILL, d / "a.jpg")
    target = tmp_path / "ledger.db"
    with Ledger(target) as ledger:
        scan([d], finals(d), ledger)
        db = ledger.backend.conn
        # a ledger as a facility's looks to the planner: many assets, many edges not yet resolved
        db.execute("BEGIN")
        db.executemany("INSERT INTO assets (content_id, verdict, first_seen, last_seen) VALUES (?, ?, 't', 't')",
                       [(f"{i:032x}", "ai" if i % 25 == 0 else "not-ai") for i in range(20_000)])
        db.executemany("INSERT INTO edges (child_id, parent_ref, parent_title, kind, created) VALUES (?, ?, ?, ?, 't')",
                       [(f"c{i}", f"xmp.iid:{i}", f"frame.{i % 2000:04d}.exr", "c2pa-ingredient") for i in range(20_000)])
        db.execute("COMMIT")
        db.execute("ANALYZE")
        sent: list[str] = []
        db.set_trace_callback(sent.append)
        try:
            assert lookup(os.fsencode(d / "a.jpg"), ledger, finals(d)).known
        finally:
            db.set_trace_callback(None)
        scans = {}
        for sql in sent:
            if sql.lstrip().upper().startswith("SELECT") and " WHERE " in sql:  # not "is there any row at all"
                plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql)]
                scans.update({sql: plan for step in plan if step.startswith("SCAN") and "CONSTANT ROW" not in step})
    assert len(sent) >= 8, sent
    assert not scans, f"statements that read a whole table: {scans}"
