"""Reports: every result aiprov makes is rendered by one `reports.render`, the same document on
stdout and in a file, and the same from a pipeline script as from the command line.

The ledger here only feeds the reports, so each test uses a SQLite file of its own: the ledger
itself is tested on both backends elsewhere.
"""

from __future__ import annotations

import csv
import importlib
import io
import json

import pytest

from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy


@pytest.fixture
def delivery(tmp_path):
    """A delivery scanned once: a camera still, and an unapproved AI still whose name a CSV must quote."""
    d = tmp_path / "DELIVERY"
    copy(CAMERA_STILL, d / "stills" / "camera.jpg")
    copy(AI_STILL, d / "stills" / 'poster, "final".jpg')
    ledger = tmp_path / "ledger.db"
    assert aiprov("scan", d, "--ledger", ledger).returncode == 1
    return d


def test_scan_csv_piped_to_a_script_has_one_row_per_file_and_no_empty_row(delivery, tmp_path):
    r = aiprov("scan", delivery, "--ledger", tmp_path / "ledger.db", "--format", "csv")
    assert r.returncode == 1, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    assert [] not in rows, rows[-2:]
    assert rows[0][:3] == ["path", "zone", "verdict"]
    assert sorted(row[0].rsplit("/", 1)[1] for row in rows[1:]) == ['camera.jpg', 'poster, "final".jpg']


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "csv", "html"])
def test_a_scan_report_written_to_a_file_ends_its_last_line_as_the_one_printed_does(delivery, tmp_path, fmt):
    """A report file is a text file: its last line ends, once (CSV rows end in CRLF, as the
    standard has them), and what a pipe gets is that same document."""
    target = tmp_path / f"report.{fmt}"
    written = aiprov("scan", delivery, "--ledger", tmp_path / "ledger.db", "--format", fmt, "-o", target)
    assert written.returncode == 1 and written.stdout == ""
    assert f"report written to {target}; 1 error finding(s)" in written.stderr
    raw = target.read_bytes()
    end = b"\r\n" if fmt == "csv" else b"\n"
    assert raw.endswith(end) and not raw.endswith(end * 2), raw[-40:]
    printed = aiprov("scan", delivery, "--ledger", tmp_path / "ledger.db", "--format", fmt).stdout
    assert printed.endswith("\n") and not printed.endswith("\n\n"), printed[-40:]
    if fmt == "html":  # nothing in the page changes between two scans of the same files
        assert printed == target.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_a_disclosure_written_to_a_file_ends_its_last_line(delivery, tmp_path, fmt):
    target = tmp_path / f"disclosure.{fmt}"
    r = aiprov("report", "disclosure", "--ledger", tmp_path / "ledger.db", "--format", fmt, "-o", target,
               cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 AI asset(s) reached finals: 0 approved, 1 without an approval; written to" in r.stderr
    raw = target.read_bytes()
    end = b"\r\n" if fmt == "csv" else b"\n"
    assert raw.endswith(end) and not raw.endswith(end * 2), raw[-40:]


def test_a_pipeline_script_renders_a_lookup_as_the_command_line_prints_it(delivery, tmp_path):
    from aiprov import config
    from aiprov.ledger import Ledger
    from aiprov.lookup import lookup
    from aiprov.reports import render

    poster = delivery / "stills" / 'poster, "final".jpg'
    with Ledger(tmp_path / "ledger.db", readonly=True) as ledger:
        result = lookup(poster, ledger, config.for_paths([bytes(poster)]))
    render(result, "json", tmp_path / "lookup.json")
    render(result, "text", tmp_path / "lookup.txt")
    as_json = aiprov("lookup", poster, "--json", "--ledger", tmp_path / "ledger.db")
    as_text = aiprov("lookup", poster, "--ledger", tmp_path / "ledger.db")
    assert as_json.returncode == 0 == as_text.returncode, as_json.stderr
    assert json.loads((tmp_path / "lookup.json").read_text()) == json.loads(as_json.stdout)
    assert (tmp_path / "lookup.txt").read_text() == as_text.stdout
    assert "approval    none: temporary by default, not for final deliverables" in as_text.stdout


def test_a_format_a_report_does_not_have_is_refused_with_the_formats_it_has(delivery, tmp_path):
    from aiprov.ledger import Ledger
    from aiprov.ledger.info import describe
    from aiprov.reports import UnknownFormat, render

    with Ledger(tmp_path / "ledger.db", readonly=True) as ledger:
        info = describe(ledger)
    with pytest.raises(UnknownFormat, match="there is no csv output for this report; it can be: text, json"):
        render(info, "csv", tmp_path / "info.csv")
    assert not (tmp_path / "info.csv").exists()
    with pytest.raises(TypeError, match="aiprov has no report for a dict"):
        render(info.to_dict(), "json")


def test_every_kind_of_result_has_its_renderers():
    """The table names each result type rather than importing it (a quick `inspect` does not load
    the ledger and the scanner): a renamed or moved result type must fail here, not in use."""
    from aiprov import reports

    for result, (module, table) in reports.TABLES.items():
        where, _, name = result.rpartition(".")
        assert isinstance(getattr(importlib.import_module(f"aiprov.{where}"), name), type), result
        renderers = getattr(importlib.import_module(f"aiprov.reports.{module}"), table)
        assert renderers and all(callable(r) for r in renderers.values()), result


def test_inspect_fail_on_decides_the_exit_code_and_a_missing_path_is_named_not_fatal(tmp_path):
    copy(CAMERA_STILL, tmp_path / "camera.jpg")
    copy(AI_STILL, tmp_path / "poster.jpg")
    camera, poster = tmp_path / "camera.jpg", tmp_path / "poster.jpg"
    assert aiprov("inspect", camera, poster).returncode == 0  # --fail-on never
    assert aiprov("inspect", camera, "--fail-on", "ai").returncode == 0
    flagged = aiprov("inspect", "--json", camera, poster, "--fail-on", "ai")
    assert flagged.returncode == 1
    assert [f["verdict"] for f in json.loads(flagged.stdout)] == ["not-ai", "ai"]  # sorted by path
    missing = aiprov("inspect", camera, tmp_path / "gone.jpg")
    assert missing.returncode == 1 and f"aiprov: {tmp_path / 'gone.jpg'}: no such file or folder" in missing.stderr
    assert "camera.jpg" in missing.stdout
    nothing = aiprov("inspect", "--json", tmp_path / "gone.jpg")
    assert nothing.returncode == 2 and nothing.stdout == "" and "gone.jpg: no such file or folder" in nothing.stderr
