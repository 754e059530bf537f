"""The review desk (`aiprov serve`) as the people who sign off use it: the real server as a
subprocess on a real ledger (SQLite and PostgreSQL), driven by headless Chromium (Playwright on
Debian's chromium) and by a real HTTP client (httpx, http.client for URLs a browser would clean up).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import LedgerMaker
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy, png_bytes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORDS = {"alice": "correct horse battery", "vic": "viewer password 1", "ada": "admin password 22"}
# A delivery path as a facility's storage has them: long enough to wrap on any screen.
POSTER = ("finals/plates/episode_104_the_long_night_at_the_harbour/sequence_0420_harbour_establishing_wide/"
          "shot_0420_0010_sky_replacement_generative_fill_v003/poster_insert_generative_fill_final_candidate_v003.jpg")
PROMPT = ("<lora:harbour_fog_volumetric_dusk_matte_painting_ep104_v2_000000000000000000000000000000000000:0.8> "
          "a lighthouse on a rocky harbour at dusk, volumetric fog, cinematic lighting, 35mm anamorphic, "
          "ultra detailed, matte painting, trending on artstation, by the art department of episode 104\n"
          "Negative prompt: blurry, lowres\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567890, "
          "Size: 1024x576, Model hash: 6ce0161689, Model: harbourMatte_v21_fp16_pruned_emaonly_finetuned_for_ep104, "
          "Lora hashes: harbour_fog_v2_0000000000000000000000000000000000000000000000000000000000000000000000")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_production(root: Path) -> dict[str, Path]:
    """A production with two unapproved AI files in finals (one with a parent on record, one with a long
    generator prompt as evidence), a camera still in finals and the concept plate in working."""
    (root / "aiprov.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "aiprov.toml").write_text('production = "Night Harbour"\ndefault_zone = "working"\n'
                                      '[zones]\nfinals = ["finals/**"]\nworking = ["working/**"]\n')
    files = {"poster": copy(AI_STILL, root / POSTER),
             "matte": root / "finals/mattes/harbour_matte_a1111_v001.png",
             "camera": copy(CAMERA_STILL, root / "finals/stills/camera_still.jpg"),
             "concept": root / "working/concept/harbour_concept_plate.png"}
    files["matte"].parent.mkdir(parents=True)
    files["matte"].write_bytes(png_bytes(7, {"parameters": PROMPT}, size=(96, 54)))
    files["concept"].parent.mkdir(parents=True)
    files["concept"].write_bytes(png_bytes(11, size=(96, 54)))
    return files


class Desk:
    """`aiprov serve` running for real on a free port, with its users and their tokens.

    `same_as`: another desk on the same ledger and production (its users, its tokens): a second
    process, as on a second machine when `host_id` is given."""

    def __init__(self, root: Path, ledger: str, tmp: Path, serve_args: tuple = (), same_as: Desk | None = None,
                 host_id: str | None = None):
        self.root, self.ledger = root, ledger
        if same_as:
            self.files, self.tokens = same_as.files, same_as.tokens
        else:
            self.files = make_production(root)
            self._fill(root, ledger)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"serve-{self.port}.log"
        self.log = open(self.log_path, "w+")
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        if host_id:
            env["AIPROV_HOST_ID"] = host_id
        self.proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "serve", "--port", str(self.port),
                                      "--ledger", ledger, *serve_args], cwd=root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/signin", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError("the desk did not start:\n" + self.log_path.read_text())

    def _fill(self, root: Path, ledger: str) -> None:
        # The ledger is filled through the library calls the commands make (a process each would cost
        # a second each); the commands themselves are run where a test is about them.
        from aiprov.config import for_paths as config_for
        from aiprov.desk.accounts import add_user, issue_token
        from aiprov.ledger import Ledger
        from aiprov.registration import register_files
        from aiprov.scanning import scan as run_scan

        config = config_for([os.fsencode(root)])
        with Ledger(ledger) as open_ledger:
            register_files([self.files["poster"]], open_ledger, config, tool="Adobe Firefly",
                           parents=[self.files["concept"]])
            assert len(run_scan([os.fsencode(root)], config, open_ledger, workers=1).errors) == 2
            for name, role in (("alice", "approver"), ("vic", "viewer"), ("ada", "admin")):
                add_user(open_ledger, name, role, PASSWORDS[name])
            self.tokens = {name: issue_token(open_ledger, name) for name in ("alice", "vic")}

    def api(self, who: str | None = "alice") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60)

    def browser_session(self, name: str) -> tuple[httpx.Client, str]:
        """A signed-in cookie session as a browser has it, and its CSRF token."""
        client = httpx.Client(base_url=self.base, timeout=60, follow_redirects=False)
        csrf = _csrf(client.get("/signin").text)
        r = client.post("/signin", data={"name": name, "password": PASSWORDS[name], "csrf": csrf, "next": "/findings"})
        assert r.status_code == 303, r.text
        return client, _csrf(client.get("/findings").text)

    def content_id(self, key: str) -> str:
        from aiprov.identify import content_id

        return content_id(self.files[key])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.log.close()


def _csrf(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture
def desk(ledger_target, tmp_path):
    d = Desk(tmp_path / "Night Harbour", ledger_target, tmp_path)
    yield d
    d.stop()


@pytest.fixture(scope="module", params=[b for b in os.environ.get("AIPROV_TEST_BACKENDS", "sqlite,postgresql").split(",")
                                        if b])
def shared_desk(request, tmp_path_factory):
    """One desk per backend for the tests that only read or are refused (they change nothing)."""
    tmp = tmp_path_factory.mktemp(f"desk-{request.param}")
    maker = LedgerMaker(tmp, request)
    d = Desk(tmp / "Night Harbour", maker(request.param), tmp)
    yield d
    d.stop()
    maker.drop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: run `make system-deps`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _approve_in_browser(page, reason: str, reference: str) -> None:
    for question, answer in (("copyright", "yes"), ("data_use", "yes"), ("enterprise_environment", "yes"),
                             ("final_use", "yes"), ("talent", "unsure")):
        page.check(f"input[name=answer_{question}][value={answer}]")
    page.check("input[name=categories][value=data-use]")
    page.fill("textarea[name=reason]", reason)
    page.fill("input[name=reference]", reference)
    page.click("form.approve button[type=submit]")
    page.wait_for_selector("p.notice")


def _previews_loaded(page) -> list[int]:
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    return page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")


@pytest.mark.slow
def test_approver_signs_in_sees_the_flagged_file_with_its_preview_opens_its_lineage_approves_it_and_the_gate_passes(
        desk, chromium, tmp_path):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(desk.base + "/findings")
    assert "/signin" in page.url  # nobody is signed in yet
    page.fill("input[name=name]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("button[type=submit]")
    page.wait_for_url("**/findings")

    rows = page.locator("li.finding")
    assert rows.count() == 2
    poster = rows.filter(has_text="poster_insert_generative_fill_final_candidate_v003.jpg")
    assert "ai-in-finals" in poster.inner_text() and "Adobe Firefly" in poster.inner_text()
    assert all(w > 0 for w in _previews_loaded(page)), "every flagged still shows its preview"
    matte = rows.filter(has_text="harbour_matte_a1111_v001.png")
    assert "harbour_fog_volumetric_dusk_matte_painting" in matte.inner_text()  # the evidence
    page.screenshot(path=tmp_path / "findings.png", full_page=True)
    # wide paths and long evidence wrap inside the page instead of running off it
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    poster.locator("a.button").click()
    page.wait_for_selector("#lineage svg.lineage")
    lineage = page.locator("#lineage")
    assert "harbour_concept_plate.png" in lineage.inner_html()  # the parent it was registered from
    assert "registered-derivation" in lineage.inner_text()
    assert _previews_loaded(page)[0] > 0
    page.screenshot(path=tmp_path / "asset.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    asset_url = page.url
    page.locator("#lineage svg a").first.click()  # the parent's own page, through the picture
    page.wait_for_selector("#lineage")
    assert "harbour_concept_plate.png" in page.locator("h1").inner_text()
    assert "poster_insert_generative_fill" in page.locator("#lineage").inner_text()  # and back to its child
    page.goto(asset_url)

    _approve_in_browser(page, "Approved by the studio for the final poster insert", "STUDIO-AI-0042")
    approval = page.locator("article.approval").first
    assert "signed in as alice" in approval.inner_text() and "STUDIO-AI-0042" in approval.inner_text()
    assert "unsure" in approval.inner_text()  # the talent answer, as given
    # the same for the matte, then the findings page is empty before any rescan: judged again at once
    page.goto(desk.base + "/findings")
    page.locator("li.finding a.button").first.click()
    _approve_in_browser(page, "Matte approved for final use", "STUDIO-AI-0043")
    page.goto(desk.base + "/findings")
    assert page.locator("li.finding").count() == 0
    assert "No open findings" in page.inner_text("main")

    gate = aiprov("scan", desk.root, "--ledger", desk.ledger, "--no-progress", cwd=desk.root)
    assert gate.returncode == 0, gate.stdout
    listed = json.loads(aiprov("approvals", "--json", "--ledger", desk.ledger, cwd=desk.root).stdout)
    assert [(a["approved_by"], a["signed_in_as"]) for a in listed] == [("alice", "alice")] * 2
    assert listed[0]["answers"]["talent"] == "unsure" and "data-use" in listed[0]["categories"]


@pytest.mark.slow
def test_a_viewer_cannot_approve_and_anonymous_or_forged_requests_are_refused(shared_desk):
    d = shared_desk
    cid = d.content_id("poster")
    answers = {f"answer_{q}": "yes" for q in ("copyright", "data_use", "enterprise_environment", "final_use", "talent")}
    form = {"reason": "looks fine", "reference": "X-1", **answers}
    anonymous = httpx.Client(base_url=d.base, timeout=30, follow_redirects=False)
    r = anonymous.get("/findings")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert anonymous.post(f"/assets/{cid}/approve", data=form).status_code == 401
    r = anonymous.get("/api/findings")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(d.base + "/api/findings", headers={"Authorization": "Bearer aiprov_not-a-token"}).status_code == 401

    viewer, csrf = d.browser_session("vic")
    page = viewer.get(f"/assets/{cid}")
    assert page.status_code == 200 and "form class=\"approve\"" not in page.text.replace("'", '"')
    r = viewer.post(f"/assets/{cid}/approve", data={**form, "csrf": csrf})
    assert r.status_code == 403 and "approver" in r.text
    assert d.api("vic").post("/api/approvals", json={"content_ids": [cid], "reason": "x"}).status_code == 403

    approver, csrf = d.browser_session("alice")
    assert approver.post(f"/assets/{cid}/approve", data=form).status_code == 403  # no CSRF token
    assert approver.post(f"/assets/{cid}/approve", data={**form, "csrf": "forged"}).status_code == 403
    assert approver.post("/signout", data={}).status_code == 403
    assert d.api().get(f"/api/assets/{cid}").json()["approvals"] == []  # none of it recorded anything
    assert d.api().get("/api/findings").json()["findings"] == 2


@pytest.mark.slow
def test_sign_in_attempts_are_rate_limited(shared_desk):
    client = httpx.Client(base_url=shared_desk.base, timeout=30)
    codes = []
    for _ in range(6):
        csrf = _csrf(client.get("/signin").text)
        codes.append(client.post("/signin", data={"name": "mallory", "password": "guess", "csrf": csrf}).status_code)
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert "Try again in" in client.post("/signin", data={"name": "mallory", "password": "guess",
                                                         "csrf": _csrf(client.get("/signin").text)}).text


@pytest.mark.slow
def test_no_url_reaches_a_file_the_ledger_does_not_know_on_this_host(shared_desk, tmp_path):
    d = shared_desk
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-NOT-FOR-THE-DESK\n")
    client, _ = d.browser_session("vic")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    cid = d.content_id("poster")
    attempts = ["/static/../../../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                "/static/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "/static/%2Fetc%2Fpasswd", "/static//etc/passwd",
                "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd/preview.png", "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                f"/assets/{cid}/preview.png/../../../../etc/passwd", f"/assets/{cid}%2f..%2f..%2fetc%2fpasswd",
                "/files/..%2f..%2f..%2fetc%2fpasswd", "/files//etc/passwd", "/files/%2Fetc%2Fpasswd",
                "/files/" + str(secret), "/files/" + str(secret).replace("/", "%2F"), "//etc/passwd",
                "/static/" + str(secret), "/assets/" + str(secret) + "/preview.png", "/files/999999999",
                "/files/-1", "/files/1%2e0"]
    for path in attempts:
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        conn.request("GET", path, headers={"Cookie": cookie})  # sent exactly as written, no clean-up
        r = conn.getresponse()
        body = r.read()
        conn.close()
        assert r.status in (400, 404), (path, r.status)
        assert b"root:" not in body and b"SECRET-NOT-FOR-THE-DESK" not in body, path
    # a file the ledger knows, rewritten since it was recorded, is other bytes: not served as that asset
    locations = d.api().get(f"/api/assets/{d.content_id('camera')}").json()["locations"]
    page = client.get(f"/assets/{d.content_id('camera')}").text
    file_id = page.split('href="/files/')[1].split('"')[0]
    assert client.get(f"/files/{file_id}").content == d.files["camera"].read_bytes()
    assert locations[0]["path"] == str(d.files["camera"])


@pytest.mark.slow
def test_pipelines_use_the_json_api_with_bearer_tokens(desk):
    api = desk.api()
    listed = api.get("/api/findings").json()
    assert listed["findings"] == 2 and {i["rule"] for i in listed["items"]} == {"ai-in-finals"}
    matte = next(i for i in listed["items"] if i["path"].endswith("harbour_matte_a1111_v001.png"))
    asset = api.get(f"/api/assets/{matte['content_id']}").json()
    assert asset["inspection"]["verdict"] == "ai" and asset["locations"][0]["zone"] == "finals"
    assert api.get("/api/findings", params={"text": "harbour_matte"}).json()["findings"] == 1
    assert api.get("/api/findings", params={"zone": "working"}).json()["findings"] == 0

    fields = {"reason": "approved by the studio", "reference": "STUDIO-9", "categories": ["creative-output"],
              "answers": {"copyright": "yes", "final_use": "yes"}}
    r = api.post("/api/approvals", json={**fields, "by": "someone else", "content_ids": [matte["content_id"]]})
    assert r.status_code == 422 and "alice" in r.json()["error"]  # never a typed name
    r = api.post("/api/approvals", json={**fields, "content_ids": [matte["content_id"]]})
    assert r.status_code == 201, r.text
    assert r.json()["approved_by"] == "alice" and r.json()["approved"][0]["still_open"] == []
    assert api.get("/api/findings").json()["findings"] == 1  # resolved at once

    r = api.post("/api/approvals", json={**fields, "paths": [str(desk.root / "nowhere.jpg")]})
    assert r.status_code == 404  # only files the ledger knows on this host
    r = api.post("/api/approvals", json={**fields, "paths": [str(desk.files["poster"])]})
    assert r.status_code == 201, r.text
    assert api.get("/api/findings").json()["findings"] == 0
    approval = api.get(f"/api/assets/{matte['content_id']}").json()["approvals"][0]
    assert approval["signed_in_as"] == "alice" and approval["answers"]["data_use"] == "unsure"

    r = api.post(f"/api/approvals/{approval['id']}/revoke", json={"reason": "the studio withdrew it"})
    assert r.status_code == 200 and r.json()["revoked_by"] == "alice"
    assert api.get("/api/findings").json()["findings"] == 1  # flagged again at once; the record stays
    kept = api.get(f"/api/assets/{matte['content_id']}").json()["approvals"][0]
    assert kept["revoked_at"] and kept["revoke_reason"] == "the studio withdrew it"

    added = aiprov("users", "add", "pipeline", "--role", "approver", "--no-password", "--ledger", desk.ledger,
                   cwd=desk.root)
    assert added.returncode == 0 and "tokens only" in added.stdout, added.stderr
    token = aiprov("users", "token", "pipeline", "--ledger", desk.ledger, cwd=desk.root).stdout.strip()
    as_pipeline = httpx.Client(base_url=desk.base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert as_pipeline.get("/api/findings").json()["findings"] == 1
    short = aiprov("users", "add", "bob", "--role", "viewer", "--password-stdin", "--ledger", desk.ledger,
                   cwd=desk.root, input="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    removed = aiprov("users", "remove", "vic", "--ledger", desk.ledger, cwd=desk.root)
    assert removed.returncode == 0 and "1 token(s) revoked" in removed.stdout
    assert desk.api("vic").get("/api/findings").status_code == 401
    users = json.loads(aiprov("users", "list", "--json", "--ledger", desk.ledger, cwd=desk.root).stdout)
    assert [(u["name"], u["role"], u["password"]) for u in users] == [
        ("ada", "admin", True), ("alice", "approver", True), ("pipeline", "approver", False)]


def test_serve_says_who_can_reach_it_and_warns_of_a_bind_without_tls(tmp_path):
    from aiprov.desk.server import bind_notes

    shared = " ".join(bind_notes("0.0.0.0", 8765, tls=False, behind_tls=False))
    assert "WARNING" in shared and "clear text" in shared and "TLS" in shared
    assert "WARNING" not in " ".join(bind_notes("0.0.0.0", 8765, tls=False, behind_tls=True))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "serve", "--port", str(port), "--ledger",
                             tmp_path / "l.db"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        said = "".join(proc.stderr.readline() for _ in range(4))
    finally:
        proc.terminate()
        proc.wait(15)
    assert f"http://127.0.0.1:{port}/" in said and "only this machine can open it" in said
    assert "no users yet" in said and "WARNING" not in said


def _metric(text: str, name: str, **labels) -> float:
    """A sample's value in Prometheus text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return 0.0


@pytest.mark.slow
def test_the_daemon_serves_prometheus_metrics_of_what_it_processed_and_raised(ledger_target, tmp_path):
    root = tmp_path / "Night Harbour"
    make_production(root)
    port = free_port()
    log = open(tmp_path / "watch.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "aiprov.cli", "watch", "--ledger", ledger_target, "--stability",
                             "0.2", "--metrics-port", str(port), "--host-id", "metrics-test"], cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)

    def scrape_until(check, what: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                if check(text):
                    return text
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        log.seek(0)
        raise AssertionError(f"timed out waiting for {what}; daemon log:\n{log.read()[-3000:]}")

    try:
        text = scrape_until(lambda t: _metric(t, "aiprov_watch_last_reconcile_timestamp_seconds") > 0,
                            "the first reconcile")
        assert _metric(text, "aiprov_watch_reconcile_files") == 4
        assert _metric(text, "aiprov_watch_files_processed_total", verdict="ai") == 2
        assert _metric(text, "aiprov_watch_findings_raised_total", rule="ai-in-finals", severity="error") == 2
        for series in ("aiprov_watch_queue_depth", 'aiprov_watch_reader_failures_total{kind="crash"}',
                       'aiprov_watch_reader_failures_total{kind="timeout"}', "aiprov_watch_ledger_errors_total",
                       "aiprov_watch_ledger_retries_total", "aiprov_watch_reconciling"):
            assert f"\n{series} " in text, series
        copy(AI_STILL, root / "finals" / "late_arrival_ai.jpg")  # lands while the daemon runs
        text = scrape_until(lambda t: _metric(t, "aiprov_watch_findings_raised_total", rule="ai-in-finals",
                                              severity="error") == 3 and _metric(t, "aiprov_watch_queue_depth") == 0,
                            "the new file's finding, and the queue empty again (the gauge follows a moment after)")
        assert _metric(text, "aiprov_watch_files_processed_total", verdict="ai") == 3
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


# -- the findings list after changes made elsewhere ----------------------------------------------

RENDER = "finals/renders/shot_0420_0010_comp_v002/shot_0420_0010_comp_v002.{}.png"
RENDER_LINE = "shot_0420_0010_comp_v002.[{}-{}].png"


def _render_frames(root: Path, numbers) -> list[Path]:
    """Frames of a render made with a generator (each its own pixels, so its own content)."""
    out = []
    for n in numbers:
        frame = root / RENDER.format(n)
        frame.parent.mkdir(parents=True, exist_ok=True)
        frame.write_bytes(png_bytes(n, {"parameters": PROMPT}, size=(24, 16)))
        out.append(frame)
    return out


def _scan_elsewhere(root: Path, ledger: str) -> None:
    """A scan by another process, as a daemon or a colleague's command line writes to the ledger."""
    done = aiprov("scan", root, "--ledger", ledger, "--no-progress", cwd=root)
    assert done.returncode in (0, 1) and not done.stderr.strip(), done.stderr


def _as_read(folded) -> tuple:
    """What a person reads of a folded list: its lines (label, files, frames, outcome), its counts, the facets."""
    return ([(line.label.rsplit("/", 1)[-1], len(line.items), line.frames, line.items[0].severity,
              sorted(f.id for f in line.items)) for line in folded.runs], folded.total, folded.facets)


def test_the_kept_findings_list_follows_findings_raised_and_resolved_by_another_process(ledger_target, tmp_path):
    from aiprov.desk.folding import FoldedFindings
    from aiprov.ledger import Ledger
    from aiprov.ledger.desk import FindingFilter

    root = tmp_path / "Night Harbour"
    files = make_production(root)
    frames = _render_frames(root, range(1001, 1007))
    _scan_elsewhere(root, ledger_target)
    # Read again whole only after an hour: each change below can only show through the open ids.
    kept = FoldedFindings(reread_s=3600)
    filters = [FindingFilter(), FindingFilter(text="COMP_V002"), FindingFilter(severity="error"),
               FindingFilter(zone="finals", text=" a1111 ")]
    with Ledger(ledger_target) as ledger:
        def view() -> list[tuple]:
            """The kept list of each filter, checked against the same list read and folded anew."""
            seen = [_as_read(kept.get(ledger, flt)) for flt in filters]
            assert seen == [_as_read(FoldedFindings().get(ledger, flt)) for flt in filters]
            return [labels_and_counts(s) for s in seen]

        def labels_and_counts(seen) -> tuple[list[tuple[str, int]], int]:
            return [(label, files) for label, files, *_ in seen[0]], seen[1]

        everything, render_only, errors, matte = view()
        assert everything[1] == 8 and (RENDER_LINE.format(1001, 1006), 6) in everything[0]
        assert render_only == ([(RENDER_LINE.format(1001, 1006), 6)], 6)
        assert matte == ([("harbour_matte_a1111_v001.png", 1)], 1)

        frames[2].unlink()  # frame 1003 taken out of the render: its finding resolved by the next scan
        _scan_elsewhere(root, ledger_target)
        everything, render_only, errors, matte = view()
        assert render_only == ([(RENDER_LINE.format(1001, 1002), 2), (RENDER_LINE.format(1004, 1006), 3)], 5)
        assert everything[1] == errors[1] == 7

        _render_frames(root, [1003, 1007])  # back again, and one frame more; and a new AI still in finals
        copy(AI_STILL, root / "finals" / "stills" / "late_arrival_ai.jpg")
        _scan_elsewhere(root, ledger_target)
        everything, render_only, errors, matte = view()
        assert render_only == ([(RENDER_LINE.format(1001, 1007), 7)], 7)
        assert ("late_arrival_ai.jpg", 1) in everything[0] and everything[1] == 10

        # approved by a command line elsewhere: the matte leaves the list (and the filter that found it)
        approved = aiprov("approve", files["matte"], "--by", "studio", "--reason", "approved for final use",
                          "--ledger", ledger_target, cwd=root)
        assert approved.returncode == 0, approved.stderr
        everything, render_only, errors, matte = view()
        assert matte == ([], 0) and everything[1] == 9
        assert not any("harbour_matte" in label for label, _ in everything[0])


@pytest.mark.slow
def test_two_desks_show_the_same_list_after_changes_by_a_scan_elsewhere_and_by_the_other_desk(ledger_target, tmp_path):
    root = tmp_path / "Night Harbour"
    # Read again whole only after an hour: every change below reaches the desks through the open ids.
    one = Desk(root, ledger_target, tmp_path, serve_args=("--reread", "3600"))
    two = None
    try:
        two = Desk(root, ledger_target, tmp_path, serve_args=("--reread", "3600"), same_as=one, host_id="desk-two")

        def lists() -> list[tuple[str, int, list | None]]:
            seen = [d.api().get("/api/findings", params={"per_page": 500}).json() for d in (one, two)]
            assert seen[0] == seen[1]  # the same lines, counts, frames and finding ids on both
            return [(i["path"].rsplit("/", 1)[-1], i["files"], i["frames"]) for i in seen[0]["items"]]

        assert len(lists()) == 2  # the poster and the matte: both desks have read and kept them
        frames = _render_frames(root, range(1001, 1007))
        _scan_elsewhere(root, ledger_target)
        assert (RENDER_LINE.format(1001, 1006), 6, [1001, 1006]) in lists()

        frames[2].unlink()
        _scan_elsewhere(root, ledger_target)
        now = lists()
        assert [line for line in now if line[0].startswith("shot_0420")] == [
            (RENDER_LINE.format(1001, 1002), 2, [1001, 1002]), (RENDER_LINE.format(1004, 1006), 3, [1004, 1006])]
        assert len(now) == 4
        page = two.browser_session("vic")[0].get("/findings").text
        assert "<b>7</b> open findings in 4 lines" in page

        matte = one.content_id("matte")
        approved = one.api().post("/api/approvals", json={
            "reason": "approved by the studio", "reference": "STUDIO-9", "categories": ["creative-output"],
            "answers": {"copyright": "yes", "final_use": "yes"}, "content_ids": [matte]})
        assert approved.status_code == 201, approved.text
        now = lists()
        assert len(now) == 3 and not any(line[0] == "harbour_matte_a1111_v001.png" for line in now)
        assert two.api().get("/api/findings", params={"text": "a1111"}).json()["findings"] == 0
    finally:
        one.stop()
        if two:
            two.stop()


def test_the_kept_list_changed_line_by_line_reads_as_the_list_folded_anew():
    """Random raises and resolves (frames of renders with gaps, outcomes that differ between frames,
    files that are no frames) applied to the kept list: after each, it and the lists of filters cut
    from it hold the lines `sequences.group` makes of the findings then open that pass, in the list's
    order (errors first, then by path; two lines of one path, the one raised first)."""
    import random

    from aiprov.desk.folding import FoldedList, OpenFinding, narrowed
    from aiprov.ledger.desk import FindingFilter
    from aiprov.sequences import group

    rng = random.Random(5)
    ids = iter(range(1, 100_000))

    def raised() -> OpenFinding:
        """A finding on a file and rule with none open (the ledger keeps one open finding per file and rule)."""
        while True:
            f = a_finding()
            if all((o.path, o.host, o.rule) != (f.path, f.host, f.rule) for o in open_now.values()):
                return f

    def a_finding() -> OpenFinding:
        kind = rng.random()
        shot = rng.randrange(6)
        path = (f"/p/sc{shot}/comp/shot{shot}_comp.{rng.randrange(1001, 1031)}.exr" if kind < 0.7 else
                f"/p/stills/poster_{rng.randrange(40):04d}_v002.png" if kind < 0.9 else f"/p/notes/read me {shot}.txt")
        return OpenFinding.from_row({
            "id": next(ids), "content_id": f"{rng.getrandbits(64):016x}",
            "rule": rng.choice(["ai-in-finals"] * 5 + ["x"]),
            "severity": rng.choice(["error"] * 6 + ["warning"]), "zone": "finals", "production": None, "path": path,
            "host": rng.choice(["a"] * 8 + ["b"]), "verdict": "ai", "generator": rng.choice([None, "ComfyUI"])})

    def anew(findings, flt: FindingFilter) -> list[tuple[str, list[int]]]:
        chosen = sorted((f for f in findings if (not flt.text or flt.text.lower() in f.path.lower()
                         or flt.text.lower() in (f.generator or "").lower()) and flt.host in (None, f.host)),
                        key=lambda f: (f.path, f.id))
        runs = group(chosen, lambda f: f.path, lambda f: f.outcome)
        runs.sort(key=lambda run: (run.items[0].severity != "error", run.label, run.items[0].host, run.items[0].id))
        return [(run.label, [f.id for f in run.items]) for run in runs]

    open_now: dict[int, OpenFinding] = {}
    for _ in range(400):
        f = raised()
        open_now[f.id] = f
    kept = FoldedList(open_now.values())
    filters = [FindingFilter(), FindingFilter(text="COMFY"), FindingFilter(text="shot3_"),
               FindingFilter(text="comp.101"), FindingFilter(host="b")]
    splits = joins = 0
    for _ in range(300):
        gone = rng.sample(sorted(open_now), rng.randrange(0, 6))
        gone_findings = [open_now.pop(i) for i in gone]
        new = []
        for _ in range(rng.randrange(0, 6)):
            new.append(raised())
            open_now[new[-1].id] = new[-1]
        before = len(kept.lines)
        kept.change(gone_findings, new)
        for flt in filters:
            lines = narrowed(kept.lines, flt) if flt.text or flt.host else kept.lines
            assert [(line.label, [f.id for f in line.items]) for line in lines] == anew(open_now.values(), flt)
        assert len(kept.members) == sum(len(line.items) for line in kept.lines) == len(open_now)
        splits += len(kept.lines) > before + len(new)
        joins += len(kept.lines) < before - len(gone)
    assert splits and joins  # resolving a frame split a run, raising one joined two


def test_a_severity_rewritten_in_place_shows_once_the_open_findings_are_read_again(ledger_target, tmp_path):
    """The open ids cannot show it: the whole reread does, at the view (no pool given) or in the background."""
    from contextlib import contextmanager

    from aiprov.desk.folding import FoldedFindings
    from aiprov.identify import content_id
    from aiprov.ledger import Ledger
    from aiprov.ledger.desk import FindingFilter

    root = tmp_path / "Night Harbour"
    files = make_production(root)
    _scan_elsewhere(root, ledger_target)

    @contextmanager
    def pool():
        with Ledger(ledger_target) as other:
            yield other

    with Ledger(ledger_target) as ledger:
        at_the_view, in_the_background = FoldedFindings(reread_s=0), FoldedFindings(reread_s=0.2, reread_with=pool)
        everything, warnings = FindingFilter(), FindingFilter(severity="warning")
        for kept in (at_the_view, in_the_background):
            assert [line.items[0].severity for line in kept.get(ledger, everything).runs] == ["error", "error"]
            assert kept.get(ledger, warnings).total == 0
        matte_id = content_id(files["matte"])
        with ledger.transaction():  # as a rescan under a rule made a warning writes it (Findings.record)
            ledger._q("UPDATE findings SET severity = 'warning' WHERE content_id = ? AND resolved_at IS NULL",
                      [matte_id])

        def shown(kept) -> list[tuple[str, str]]:
            return [(line.label.rsplit("/", 1)[-1], line.items[0].severity)
                    for line in kept.get(ledger, everything).runs]

        expected = [(POSTER.rsplit("/", 1)[-1], "error"), ("harbour_matte_a1111_v001.png", "warning")]
        assert shown(at_the_view) == expected
        deadline = time.monotonic() + 30
        while shown(in_the_background) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        for kept in (at_the_view, in_the_background):
            assert shown(kept) == expected
            assert kept.get(ledger, everything).facets["severity"] == {"error": 1, "warning": 1}
            assert [line.label.rsplit("/", 1)[-1] for line in kept.get(ledger, warnings).runs] == [
                "harbour_matte_a1111_v001.png"]
