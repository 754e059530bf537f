"""Shared locations: the repo, its samples, and the read-only corpus beside it."""

from __future__ import annotations

import csv
import os
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_media"
CORPUS = REPO / "tests" / "corpus"  # real files from other tools, with origin and licence
KEYS = CORPUS / "keys"
# `make install` gives ascmhl a venv of its own (it pins an older click than aiprov's); the
# aiprov processes the tests start find it through AIPROV_ASCMHL, as a user's would.
os.environ.setdefault("AIPROV_ASCMHL", str(REPO / ".venv-ascmhl" / "bin" / "ascmhl"))


def corpus_rows() -> list[dict[str, str]]:
    with open(CORPUS / "manifest.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "manifest.tsv").exists():
        pytest.fail(f"the test corpus is missing at {CORPUS}: tests read real files from it")
    return CORPUS


@pytest.fixture(scope="session")
def mp3(tmp_path_factory) -> Path:
    """An MP3 tagged by Suno: aiprov has no native walker for it, so exiftool must be asked
    (and a fake exiftool can be made to hang or crash on it)."""
    path = tmp_path_factory.mktemp("audio") / "temp_score.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=220:duration=0.2", "-c:a", "libmp3lame", "-b:a", "32k", "-metadata",
                    "encoded_by=Suno", str(path)], check=True, capture_output=True, timeout=60)
    return path


# -- the two ledger backends ----------------------------------------------------------
# Tests that take `ledger_target` run once on a SQLite file and once on a PostgreSQL
# schema of their own: the same assertions hold for both. AIPROV_TEST_BACKENDS=sqlite
# narrows it; the server comes from AIPROV_TEST_POSTGRES (scripts/with-postgres sets it).

BACKENDS = [b for b in os.environ.get("AIPROV_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("AIPROV_TEST_POSTGRES")
    problem = None
    if not url:
        problem = ("no PostgreSQL server for the tests: AIPROV_TEST_POSTGRES is not set "
                   "(`make test` starts Debian's postgresql and sets it)")
    else:
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=5).close()
        except Exception as exc:  # noqa: BLE001 - any reason the server is out of reach
            problem = f"the PostgreSQL server at {url} cannot be reached: {exc}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem + " (CI must run these tests)")
        pytest.skip(problem)
    return url


def postgres_schema_url(server: str, schema: str) -> str:
    """A URL whose connections work in their own schema: each test gets an empty ledger."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"


def drop_postgres_schema(server: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


# Commands that ask the ledger nothing the ledger, scan, daemon, desk and one-judgement tests do
# not already ask on both backends: `make test` runs their tests on SQLite, `make reliability`
# (AIPROV_RELIABILITY=full) on both, which keeps the fast suite inside its time on 2 cores.
BOTH_BACKENDS_IN_RELIABILITY_ONLY = {"test_tagging.py", "test_timeline.py", "test_mhl.py", "test_disclosure.py",
                                     "test_pyblish.py", "test_likeness.py"}
# Long tests whose ground a shorter one in `make test` covers (a conform of DNxHR segments there; a
# ProRes master of several shots here): `make reliability` runs them.
RELIABILITY_ONLY = {"test_likeness.py::test_registered_ai_clip_cut_into_a_master_is_found_with_its_timecodes"}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("AIPROV_RELIABILITY") == "full":
        return
    later = [item for item in items if item.path.name in BOTH_BACKENDS_IN_RELIABILITY_ONLY
             and getattr(item, "callspec", None) is not None and item.callspec.params.get("backend") == "postgresql"
             or f"{item.path.name}::{item.name}" in RELIABILITY_ONLY]
    if later:
        config.hook.pytest_deselected(items=later)
        items[:] = [item for item in items if item not in later]


class LedgerMaker:
    """Empty ledgers for a test: a SQLite file under tmp_path, or a PostgreSQL schema of its own
    (dropped after the test)."""

    def __init__(self, tmp_path, request):
        self.tmp_path, self.request, self.made = tmp_path, request, []

    def __call__(self, kind: str, name: str = "ledger") -> str:
        if kind == "sqlite":
            return str(self.tmp_path / f"{name}.db")
        server = self.request.getfixturevalue("postgres_server")
        schema = f"t_{uuid.uuid4().hex[:16]}"
        self.made.append((server, schema))
        return postgres_schema_url(server, schema)

    def drop(self) -> None:
        for server, schema in self.made:
            drop_postgres_schema(server, schema)


@pytest.fixture
def ledgers(tmp_path, request):
    maker = LedgerMaker(tmp_path, request)
    yield maker
    maker.drop()


@pytest.fixture
def ledger_target(backend, ledgers) -> str:
    """An empty ledger on the parametrised backend: a SQLite path or a postgresql:// URL."""
    return ledgers(backend)


@pytest.fixture
def more_ledgers(backend, ledgers):
    """More empty ledgers on the same backend as `ledger_target`: more_ledgers("copy")."""
    return lambda name: ledgers(backend, name)


@pytest.fixture
def other_backend_ledger(backend, ledgers) -> str:
    """An empty ledger on the *other* backend: moving a production between the two."""
    return ledgers("sqlite" if backend == "postgresql" else "postgresql", "other")


@pytest.fixture
def pg_ledgers(ledgers):
    """A factory of empty PostgreSQL ledgers, for tests about PostgreSQL alone."""
    return lambda: ledgers("postgresql")


@pytest.fixture(scope="module")
def tools():
    """The native readers (exiftool, c2pa), started once for a module's in-process reads."""
    from aiprov.reader import ReadSettings, Tools
    t = Tools(ReadSettings())
    yield t
    t.close()
