"""Benchmark: the review desk's pages on a facility-sized ledger, through the real server.

Why: a facility's ledger holds millions of assets, and the people who sign off open the
findings page and asset pages all day. The goal: with 1,000,000 assets and 10,000 open
findings on record, the findings page (paginated, filtered) and an asset page answer in
<= 200 ms at p95, on SQLite and on PostgreSQL.

The ledger is filled with generated rows (a first scan of a million files would take most of
an hour and is not what is measured): N assets, one live location each on this host, one
"recorded" event each; F of them AI in finals with an open `ai-in-finals` finding, three
evidence rows and a "flagged" event each, half of them frames of 100-frame renders (so the
page folds runs of frames), and as many findings already resolved (history the page must not
read); a lineage edge from every AI asset to a camera plate; an approval on every 20th.

Then `aiprov serve` runs as a subprocess on that ledger, a user signs in over HTTP, and each
kind of request is timed from this process (loopback, httpx, one at a time):
* /findings page 1, and random pages 2..last
* /findings filtered: by kind (rule), by zone and severity, by a path search, by generator
* /findings, the first view after a change: before each request this process (not the server)
  resolves a finding, or raises it again, alternating between a frame in the middle of a render
  (its run splits, then joins again) and a still; the page must show the new count
* /findings with a filter never asked before that every finding passes (a path search)
* /api/findings (JSON) page 1
* /assets/ID of a flagged asset (with its lineage, history, approvals) and of a random asset

Run: scripts/with-postgres .venv/bin/python bench/bench_desk.py [--assets 1000000] [--findings 10000]
     [--backend sqlite|postgresql|both] [--requests 60] [--keep DIR] [--only "after a change"]

Filling a million assets takes minutes (longer on PostgreSQL); with --keep DIR the SQLite ledger
is kept in DIR and the PostgreSQL schema is kept (both named for their size) and reused by the
next run with the same --keep. The changes a run makes leave as many findings open as before.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import loadavg, source_version  # noqa: E402

from aiprov.desk.accounts import add_user, issue_token  # noqa: E402
from aiprov.ledger import Ledger  # noqa: E402

HOST = "bench-host"
NOW = "2026-12-01T00:00:00.000+00:00"
CHUNK = 20_000
PASSWORD = "bench password 1"


def cid(i: int) -> str:
    return f"{i:032x}"


def path_of(i: int, n_findings: int) -> str:
    """Finals paths; the flagged ones first: half of them frames of 100-frame renders."""
    if i < n_findings // 2:
        return f"/mnt/prod/finals/ep{i // 10000:03d}/shot_{i // 100:05d}/comp/render_v003/shot_{i // 100:05d}.{1001 + i % 100}.exr"
    if i < n_findings:
        return f"/mnt/prod/finals/stills/poster_{i:07d}_generative_fill_v002.png"
    return f"/mnt/prod/finals/plates/reel{i // 100000:02d}/sc{i // 1000:05d}/plate_{i:08d}.exr"


def fill(ledger: Ledger, n: int, n_findings: int) -> None:
    """The rows a scan of the facility would have left (see the docstring)."""
    ai = n_findings
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        assets, locations, events = [], [], []
        for i in range(start, stop):
            c = cid(i)
            flagged = i < ai
            assets.append((c, 1000 + i % 5000, "image/x-exr" if i % 3 else "image/png", "ai" if flagged else "not-ai",
                           "Adobe Firefly" if flagged and i % 2 else ("ComfyUI" if flagged else None),
                           "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" if flagged else None,
                           "xmp Iptc4xmpExt:DigitalSourceType: trainedAlgorithmicMedia" if flagged else "camera original",
                           None, '{"present": false}', "[]", NOW, NOW))
            p = path_of(i, n_findings)
            raw = p.encode()
            locations.append((HOST, raw, p, p.rsplit("/", 1)[-1], raw[:raw.rfind(b"/") + 1], c, 1000, 1, i + 1, 2049,
                              "finals", NOW, NOW, 0))
            events.append((NOW, "recorded", c, p, json.dumps({"verdict": assets[-1][3]}), HOST))
        with ledger.transaction():
            ledger._many("INSERT INTO assets (content_id, size, media_type, verdict, generator, digital_source_type, "
                         "reason, error, c2pa, warnings, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", assets)
            ledger._many("INSERT INTO locations (host, path_raw, path, name, folder_key, content_id, size, mtime_ns, "
                         "inode, device, zone, first_seen, last_seen, gone) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         locations)
            ledger._many("INSERT INTO events (at, kind, content_id, path, detail, host) VALUES (?,?,?,?,?,?)", events)
        print(f"  {stop:,} assets", end="\r", flush=True)
    print()
    ids = {r["content_id"]: r["id"] for r in ledger._rows("SELECT id, content_id FROM locations WHERE content_id IN "
                                                          "(SELECT content_id FROM assets WHERE verdict = 'ai')")}
    with ledger.transaction():
        message = ("AI-generated material from Adobe Firefly is in a finals zone without an approval for final use. "
                   "Evidence: xmp Iptc4xmpExt:DigitalSourceType: http://cv.iptc.org/newscodes/digitalsourcetype/"
                   "trainedAlgorithmicMedia. Replace it with non-AI material, or record the written approval.")
        rows = []
        for i in range(ai):  # resolved history first, then the open findings
            rows.append((ids[cid(i)], cid(i), "ai-in-finals", "error", message, "finals", "Bench", NOW, NOW, NOW))
        for i in range(ai):
            rows.append((ids[cid(i)], cid(i), "ai-in-finals", "error", message, "finals", "Bench", NOW, NOW, None))
        ledger._many("INSERT INTO findings (location_id, content_id, rule, severity, message, zone, production, "
                     "first_raised, last_seen, resolved_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        ledger._many("INSERT INTO evidence (content_id, source, field, value, weight, implies, generator) "
                     "VALUES (?,?,?,?,?,?,?)",
                     [(cid(i), src, field, value, w, "ai", gen) for i in range(ai) for src, field, value, w, gen in (
                         ("xmp", "Iptc4xmpExt:DigitalSourceType",
                          "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", 1.0, None),
                         ("xmp", "xmp:CreatorTool", "Adobe Firefly 3", 0.8, "Adobe Firefly"),
                         ("c2pa", "c2pa.actions", "c2pa.created by Adobe Firefly " + "x" * 180, 0.0, None))])
        ledger._many("INSERT INTO events (at, kind, content_id, path, detail, host) VALUES (?,?,?,?,?,?)",
                     [(NOW, "flagged", cid(i), path_of(i, n_findings), '{"rule": "ai-in-finals"}', HOST)
                      for i in range(ai)])
        ledger._many("INSERT INTO edges (child_id, parent_id, parent_ref, parent_title, kind, reason, created) "
                     "VALUES (?,?,?,?,?,?,?)",
                     [(cid(i), cid(ai + i), None, None, "registered-derivation", "registered as made from this", NOW)
                      for i in range(ai)])
        ledger._many("INSERT INTO approvals (content_id, approved_by, reason, reference, categories, answers, path, "
                     "created) VALUES (?,?,?,?,?,?,?,?)",
                     [(cid(i), "bench", "approved", "REF", '["creative-output"]', "{}", None, NOW)
                      for i in range(ai, n, max(20, (n - ai) // 2000))])
    add_user(ledger, "bench", "viewer", PASSWORD)


class Changes:
    """Findings resolved and raised again from this process, as a daemon or another desk would write
    them while the desk runs: a frame in the middle of a render (its run splits in two, then joins
    again) and a still, in turn. Every resolve is followed by its raise, so the ledger is left with
    the findings it had."""

    MESSAGE = "AI-generated material is in a finals zone without an approval for final use."

    def __init__(self, target: str, n_findings: int, shown: int, lines: int):
        self.ledger = Ledger(target, host=HOST)
        self.n_findings, self.shown, self.lines = n_findings, shown, lines
        self.rng = random.Random(11)
        self.step, self.pick = 0, 0

    def next(self) -> tuple[int, int]:
        """Make the next change; the open findings and lines the page must show after it."""
        resolve, frame = self.step % 2 == 0, self.step % 4 < 2
        if resolve:
            half = self.n_findings // 2
            self.pick = (self.rng.randrange(max(1, half // 100)) * 100 + 50 if frame
                         else half + self.rng.randrange(self.n_findings - half))
        c = cid(self.pick)
        with self.ledger.transaction():
            if resolve:
                n = self.ledger._q("UPDATE findings SET resolved_at = ? WHERE content_id = ? AND resolved_at IS NULL",
                                   [NOW, c]).rowcount
            else:
                loc = self.ledger._rows("SELECT id FROM locations WHERE content_id = ?", [c])[0]["id"]
                n = self.ledger._q("INSERT INTO findings (location_id, content_id, rule, severity, message, zone, "
                                   "production, first_raised, last_seen) VALUES (?,?,?,?,?,?,?,?,?) "
                                   "ON CONFLICT DO NOTHING",
                                   [loc, c, "ai-in-finals", "error", self.MESSAGE, "finals", "Bench", NOW, NOW])
                n = n.rowcount
        sign = -1 if resolve else 1
        self.shown += sign * n
        self.lines += (-sign if frame else sign) * n  # a render's middle frame resolved: one line more
        self.step += 1
        return self.shown, self.lines

    def close(self) -> None:
        self.ledger.close()


def counts(html: str) -> tuple[int, int]:
    """The open findings and lines the findings page says it has."""
    m = re.search(r"<b>(\d+)</b> open findings?(?: in (\d+) lines)?", html)
    assert m, html[:500]
    return int(m[1]), int(m[2] or m[1])


def filled(kind: str, target: str, pg_url: str, schema: str) -> bool:
    """Whether an earlier run left a whole ledger of this size there (marked only once filled)."""
    if kind == "sqlite":
        if not Path(target).exists():
            return False
    else:
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND "
                                "table_name = 'meta'", [schema]).fetchone():
                return False
    with Ledger(target, host=HOST) as ledger:
        return bool(ledger._rows("SELECT value FROM meta WHERE key = 'bench_desk_filled'"))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(target: str, token: str, n: int, n_findings: int, requests: int, work: Path,
            only: list[str] | None = None) -> list[tuple[str, float, float, float]]:
    port = free_port()
    env = {**os.environ, "AIPROV_HOST_ID": HOST, "XDG_CACHE_HOME": str(work / "cache")}
    log = open(work / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "serve", "--port", str(port), "--ledger", target],
                            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    changes = None
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/signin", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        client = httpx.Client(base_url=base, timeout=60)
        page = client.get("/signin").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        assert client.post("/signin", data={"name": "bench", "password": PASSWORD, "csrf": csrf}).status_code == 303
        first = client.get("/findings")
        assert first.status_code == 200 and "open finding" in first.text, first.text[:500]
        last_page = int(first.text.split("page 1 of ")[1].split("<")[0].split()[0]) if "page 1 of" in first.text else 1
        rng = random.Random(7)
        common = "/mnt/prod/finals/"
        substrings = sorted({common[a:b] for a in range(len(common)) for b in range(a + 4, len(common) + 1)})
        rng.shuffle(substrings)
        cold = iter(substrings).__next__
        changes = Changes(target, n_findings, *counts(first.text))
        expected: list[tuple[int, int]] = []

        def after_a_change() -> str:
            expected.append(changes.next())
            return "/findings"
        kinds = {
            "findings page 1": lambda: "/findings",
            "findings, a random page": lambda: f"/findings?page={rng.randint(2, max(2, last_page))}",
            "findings by kind": lambda: "/findings?rule=ai-in-finals&page=3",
            "findings by zone and severity": lambda: "/findings?zone=finals&severity=error&page=2",
            "findings, path search": lambda: f"/findings?text=shot_{rng.randint(0, n_findings // 200):05d}",
            "findings, generator search": lambda: "/findings?text=firefly&page=4",
            "findings, first view after a change": after_a_change,
            "findings, a filter never asked": lambda: "/findings?text=" + cold(),
            "api/findings (JSON)": lambda: "/api/findings",
            "asset page, flagged": lambda: f"/assets/{cid(rng.randrange(n_findings))}",
            "asset page, any of the 1M": lambda: f"/assets/{cid(rng.randrange(n))}",
        }
        out = []
        for name, url in kinds.items():
            if only and not any(o in name for o in only):
                continue
            times = []
            headers = {"Authorization": f"Bearer {token}"} if name.startswith("api/") else {}
            for k in range(requests + 3):
                u = url()
                t = time.perf_counter()
                r = client.get(u, headers=headers)
                elapsed = time.perf_counter() - t
                assert r.status_code == 200, (u, r.status_code, r.text[:300])
                if name == "findings, first view after a change":
                    assert counts(r.text) == expected[-1], (counts(r.text), expected[-1])
                if k >= 3:  # the first few warm the connection and the caches
                    times.append(elapsed * 1000)
            out.append((name, pct(times, 0.5), pct(times, 0.95), max(times)))
            print(f"  {name:<36} p50 {out[-1][1]:7.1f} ms   p95 {out[-1][2]:7.1f} ms   max {out[-1][3]:7.1f} ms",
                  flush=True)
        return out
    finally:
        if changes:
            if changes.step % 2:  # the last finding resolved is raised again
                changes.next()
            changes.close()
        proc.terminate()
        proc.wait(30)
        log.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--requests", type=int, default=60, help="timed requests of each kind")
    ap.add_argument("--only", action="append", metavar="WORDS",
                    help="time only the kinds of request whose name holds these words (repeatable)")
    ap.add_argument("--keep", type=Path, help="keep the filled ledgers (SQLite here, PostgreSQL as a schema) "
                    "and reuse them on the next run with the same --keep")
    ap.add_argument("--pg-url", default=os.environ.get("AIPROV_TEST_POSTGRES", os.environ.get(
        "AIPROV_BENCH_PG_URL", "postgresql://aiprov_test:aiprov_test@127.0.0.1:5432/aiprov_test")))
    args = ap.parse_args()
    print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}; load average {loadavg()}")
    print(source_version())
    print(f"{args.assets:,} assets, {args.findings:,} open findings ({args.findings:,} resolved), "
          f"{args.requests} timed requests of each kind")
    failed = False
    for kind in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        work = Path(tempfile.mkdtemp(prefix=f"aiprov-desk-{kind}-"))
        size = f"{args.assets}_{args.findings}"
        schema = f"bench_desk_{size}" if args.keep else "bench_desk"
        if kind == "sqlite":
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
            target = str((args.keep or work) / f"desk-ledger-{size}.db")
        else:
            target = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}options=-csearch_path%3D{schema}"
        if not (args.keep and filled(kind, target, args.pg_url, schema)):
            if kind == "postgresql":
                import psycopg

                with psycopg.connect(args.pg_url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    conn.execute(f"CREATE SCHEMA {schema}")
            elif Path(target).exists():
                Path(target).unlink()
            print(f"{kind}: filling the ledger")
            t = time.perf_counter()
            with Ledger(target, host=HOST) as ledger:
                fill(ledger, args.assets, args.findings)
                ledger._q("ANALYZE")
                ledger._q("INSERT INTO meta (key, value) VALUES ('bench_desk_filled', ?)", [size])
            print(f"{kind}: filled in {time.perf_counter() - t:.0f} s; timing the pages")
        else:
            print(f"{kind}: reusing the ledger filled by an earlier run ({target if kind == 'sqlite' else schema})")
        with Ledger(target, host=HOST) as ledger:
            token = issue_token(ledger, "bench")
        results = measure(target, token, args.assets, args.findings, args.requests, work, args.only)
        worst = max(r[2] for r in results)
        print(f"{kind}: worst p95 {worst:.1f} ms ({'within' if worst <= 200 else 'OVER'} the 200 ms goal); "
              f"load average {loadavg()}")
        failed |= worst > 200
        if kind == "postgresql" and not args.keep:
            import psycopg

            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        subprocess.run(["rm", "-rf", str(work)])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
