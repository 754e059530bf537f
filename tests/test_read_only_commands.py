"""Commands that only read write nothing: no ledger made where none was, no lock files, no
tracebacks on odd paths. A delivery QC operator runs `lookup` on a delivery drive that is about
to be shipped; it must leave the drive as it found it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """An empty folder to run from: no aiprov.toml, no ledger anywhere above it but /tmp."""
    d = tmp_path / "cwd"
    d.mkdir()
    return d


def assert_no_ledger_message(r, where: Path | str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"no ledger at {where}" in r.stderr and "scan first, or pass --ledger" in r.stderr
    assert "Traceback" not in r.stderr


def test_lookup_of_a_missing_deep_path_creates_nothing(elsewhere):
    r = aiprov("lookup", "no/such/deep/file.jpg", cwd=elsewhere)
    assert_no_ledger_message(r, elsewhere / "no/such/deep/.aiprov/ledger.db")
    assert tree(elsewhere) == set()


def test_lookup_on_a_delivery_folder_writes_nothing_into_it(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "camera.jpg")
    before = tree(d)
    r = aiprov("lookup", d / "camera.jpg")
    assert_no_ledger_message(r, d / ".aiprov" / "ledger.db")
    r = aiprov("lookup", d)
    assert r.returncode == 2 and tree(d) == before


@pytest.mark.parametrize("command", [["approvals"], ["ledger", "info"], ["report", "disclosure"],
                                     ["ledger", "export", "out.jsonl"]])
def test_listing_commands_with_no_ledger_say_so_and_create_none(elsewhere, command):
    r = aiprov(*command, cwd=elsewhere)
    assert_no_ledger_message(r, elsewhere / ".aiprov" / "ledger.db")
    assert tree(elsewhere) == set()


def test_revoke_with_no_ledger_says_so_and_creates_none(elsewhere):
    r = aiprov("revoke", "1", "--by", "legal", "--reason", "x", cwd=elsewhere)
    assert_no_ledger_message(r, elsewhere / ".aiprov" / "ledger.db")
    assert tree(elsewhere) == set()


def test_status_with_no_daemon_leaves_no_lock_file(elsewhere):
    r = aiprov("status", cwd=elsewhere)
    assert r.returncode == 1 and "no aiprov watch is running" in r.stdout
    assert tree(elsewhere) == set()


def test_read_only_commands_leave_an_existing_ledger_byte_for_byte_unchanged(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(AI_STILL, d / "poster.jpg")
    ledger = tmp_path / "ledger.db"
    assert aiprov("scan", d, "--ledger", ledger).returncode == 1
    before = ledger.read_bytes()
    for command in (["lookup", d / "poster.jpg"], ["approvals"], ["ledger", "info"], ["report", "disclosure"]):
        r = aiprov(*command, "--ledger", ledger, cwd=tmp_path)
        assert r.returncode == 0, (command, r.stderr)
    assert ledger.read_bytes() == before


def test_a_refused_seal_leaves_no_ledger_in_the_delivery(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(AI_STILL, d / "stills" / "poster.jpg")
    before = tree(d)
    r = aiprov("seal", d)
    assert r.returncode == 1 and "Nothing was written to the delivery" in r.stderr
    assert tree(d) == before


def test_a_clean_seal_keeps_the_ledger_it_made(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "stills" / "camera.jpg")
    r = aiprov("seal", d)
    assert r.returncode == 0, r.stderr
    assert (d / ".aiprov" / "ledger.db").is_file()
    looked = aiprov("lookup", d / "stills" / "camera.jpg")
    assert looked.returncode == 0 and "mhl-sealed" in aiprov("lookup", "--json", d / "stills" / "camera.jpg").stdout


def test_lookup_on_a_link_that_loops_back_on_itself_is_a_message_not_a_traceback(tmp_path):
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "camera.jpg")
    assert aiprov("scan", d, "--ledger", tmp_path / "l.db").returncode == 0
    os.symlink("loop.jpg", d / "loop.jpg")
    r = aiprov("lookup", d / "loop.jpg", "--ledger", tmp_path / "l.db")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"{d / 'loop.jpg'}: a link that loops back on itself" in r.stderr
    r = aiprov("lookup", d / "loop.jpg")  # finding the config and ledger from the link's place
    assert_no_ledger_message(r, d / ".aiprov" / "ledger.db")
