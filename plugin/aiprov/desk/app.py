"""The desk as a Starlette app: pages for people, /api for pipelines, /status/stream for live status.

Every route says which role it needs (`_page`, `_api`): a page without a signed-in user sends
the browser to the sign-in page (a form post gets 401), an API call without a valid bearer
token gets 401, and a user whose role is too low gets 403. Every form carries the session's
CSRF token. Nothing in a URL becomes a filesystem path: an asset is named by its content id, a
file by the id of a location the ledger holds for this host, and the file is served only while
its stat is still what was recorded.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import queue
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response, StreamingResponse)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..approval_form import ANSWERS, CATEGORIES, QUESTIONS, ApprovalFormError, form_from
from ..config import Config
from ..errors import AiprovError, LedgerError, NotInLedger
from ..ledger import Ledger
from ..ledger.desk import NO_PRODUCTION, FindingFilter
from ..model import AI_VERDICTS
from ..version import __version__
from . import auth
from .folding import FoldedFindings
from .pages import PER_PAGE, findings_page, printable, short_path
from .thumbnails import CONTENT_ID, Thumbnails

HERE = Path(__file__).parent
SESSION_HOURS = 12
SSE_EVERY_S = 1.0


@dataclass
class DeskSettings:
    ledger: str  # a SQLite path or a postgresql:// URL
    config: Config
    host: str | None = None  # the host id whose paths this desk may serve
    thumbnails: Path | None = None
    secure_cookies: bool = False  # behind TLS: cookies only over HTTPS
    pool_size: int = 4
    reread_s: float = 10.0  # how often the kept open findings are read again whole (desk/folding.py)


class LedgerPool:
    """A few open ledgers shared by the request threads: one connection is never used by two at once."""

    def __init__(self, target: str, host: str | None, size: int):
        self.target, self.host, self.size = target, host, size
        self._free: queue.LifoQueue = queue.LifoQueue()
        self._made = 0

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        try:
            ledger = self._free.get_nowait()
        except queue.Empty:
            if self._made < self.size:
                self._made += 1
                try:
                    ledger = Ledger(self.target, host=self.host)
                except BaseException:
                    self._made -= 1
                    raise
            else:
                ledger = self._free.get()
        ok = False
        try:
            yield ledger
            ok = True
        finally:
            if ok or ledger.backend.kind == "sqlite":
                self._free.put(ledger)
            else:  # a PostgreSQL connection that failed mid-request is not handed to the next one
                ledger.close()
                self._made -= 1

    def close(self) -> None:
        while True:
            try:
                self._free.get_nowait().close()
            except queue.Empty:
                return


class Problem(Exception):
    """An answer other than the page: a status code and words for people."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Desk:
    """The app's state: settings, ledgers, previews, the sign-in limiter, the templates."""

    def __init__(self, settings: DeskSettings):
        self.settings = settings
        self.pool = LedgerPool(settings.ledger, settings.host, settings.pool_size)
        self.thumbnails = Thumbnails(settings.thumbnails)
        self.limiter = auth.SignInLimiter()
        self.folded = FoldedFindings(settings.reread_s, reread_with=self.pool.ledger)
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
        self.templates.filters["printable"] = printable
        self.templates.filters["short_path"] = short_path
        self.templates.globals.update(QUESTIONS=QUESTIONS, CATEGORIES=CATEGORIES, ANSWERS=ANSWERS,
                                      AI_VERDICTS=AI_VERDICTS, version=__version__, NO_PRODUCTION=NO_PRODUCTION,
                                      production=settings.config.production)
        with self.pool.ledger() as ledger:
            self.secret = ledger.users.session_secret()
            self.host = ledger.host

    # -- who is asking ------------------------------------------------------------------

    def session_user(self, request: Request, ledger: Ledger) -> auth.Principal | None:
        uid = request.session.get("uid")
        if uid is None:
            return None
        user = ledger.users.by_id(uid)
        if user is None or request.session.get("stamp") != auth.session_stamp(user["password_hash"]) \
                or not user["password_hash"]:
            request.session.pop("uid", None)
            return None
        return auth.Principal(user["id"], user["name"], user["role"], "session")

    def token_user(self, request: Request, ledger: Ledger) -> auth.Principal | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = ledger.users.by_token(auth.token_hash(token.strip()))
        if user is None:
            return None
        t = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
        if (user["token_last_used"] or "")[:16] != t:  # a write a minute at most, not one per call
            ledger.users.token_used(user["token_id"], t)
        return auth.Principal(user["id"], user["name"], user["role"], "token")

    # -- rendering -------------------------------------------------------------------------

    def page(self, request: Request, template: str, user: auth.Principal | None, status: int = 200, **context):
        html = self.templates.get_template(template).render(
            request=request, user=user, csrf=auth.csrf_token(request.session), **context)
        return HTMLResponse(html, status_code=status)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _page(role: str, *, post: bool = False):
    """A page for people: a signed-in user of at least `role`; a form post must carry the CSRF token."""

    def wrap(fn: Callable):
        async def endpoint(request: Request):
            desk: Desk = request.app.state.desk
            form = await request.form() if post else None

            def run():
                with desk.pool.ledger() as ledger:
                    user = desk.session_user(request, ledger)
                    if user is None:
                        if post or request.method != "GET":
                            raise Problem(401, "Sign in first.")
                        return RedirectResponse("/signin?" + urlencode({"next": str(request.url.path)
                                                                          + (f"?{request.url.query}" if request.url.query else "")}),
                                                status_code=303)
                    if post and not auth.csrf_ok(request.session, form.get("csrf")):
                        raise Problem(403, "This form has expired or did not come from this desk (its CSRF token is "
                                           "missing or wrong). Go back, reload the page and try again.")
                    if not user.may(role):
                        raise Problem(403, f"{user.name} is a {user.role}: this needs the {role} role. An admin can "
                                           f"change it: aiprov users role {user.name} {role}")
                    return fn(request, desk, ledger, user, form) if post else fn(request, desk, ledger, user)

            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(run)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap


def _api(role: str):
    """An API call: a bearer token of a user with at least `role`."""

    def wrap(fn: Callable):
        async def endpoint(request: Request):
            desk: Desk = request.app.state.desk
            body = None
            if request.method == "POST":
                raw = await request.body()
                try:
                    body = json.loads(raw or b"{}")
                except ValueError as exc:
                    raise Problem(400, f"the request body is not JSON: {exc}")

            def run():
                with desk.pool.ledger() as ledger:
                    user = desk.token_user(request, ledger)
                    if user is None:
                        raise Problem(401, "an API token is needed: Authorization: Bearer TOKEN "
                                           "(aiprov users token NAME prints one)",
                                      {"WWW-Authenticate": 'Bearer realm="aiprov"'})
                    if not user.may(role):
                        raise Problem(403, f"{user.name} is a {user.role}: this needs the {role} role")
                    return fn(request, desk, ledger, user, body) if request.method == "POST" \
                        else fn(request, desk, ledger, user)

            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(run)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap


# -- signing in and out ----------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path on this desk: never another site (//host, https://...) after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/findings"
    return target


async def signin_page(request: Request):
    desk: Desk = request.app.state.desk
    return desk.page(request, "signin.html", None, next=_safe_next(request.query_params.get("next")), error=None)


async def signin(request: Request):
    desk: Desk = request.app.state.desk
    form = await request.form()
    name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
    target = _safe_next(form.get("next"))
    if not auth.csrf_ok(request.session, form.get("csrf")):
        return desk.page(request, "signin.html", None, status=403, next=target,
                         error="The sign-in form expired. Please try again.")
    address = request.client.host if request.client else "?"
    wait = desk.limiter.wait_s(name, address)
    if wait > 0:
        return desk.page(request, "signin.html", None, status=429, next=target,
                         error=f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds.")

    def check():
        with desk.pool.ledger() as ledger:
            user = ledger.users.get(name) if name else None
            # the same argon2 work for a name that does not exist: timing does not tell names apart
            ok = auth.verify_password(user["password_hash"] if user else _DUMMY_HASH, password) and user is not None
            if ok and auth.needs_rehash(user["password_hash"]):
                ledger.users.set_password(name, auth.hash_password(password))
                user = ledger.users.get(name)
            return user if ok else None

    from starlette.concurrency import run_in_threadpool

    user = await run_in_threadpool(check)
    if user is None:
        desk.limiter.failed(name, address)
        return desk.page(request, "signin.html", None, status=401, next=target,
                         error="That name and password do not match a user of this desk.")
    desk.limiter.succeeded(name)
    request.session.clear()
    request.session.update({"uid": user["id"], "stamp": auth.session_stamp(user["password_hash"])})
    auth.csrf_token(request.session)
    return RedirectResponse(target, status_code=303)


_DUMMY_HASH = auth.hash_password("not a password anyone has")


async def signout(request: Request):
    form = await request.form()
    if not auth.csrf_ok(request.session, form.get("csrf")):
        raise Problem(403, "This form did not come from this desk (its CSRF token is missing or wrong).")
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


# -- pages ------------------------------------------------------------------------------------


def _filter(params) -> FindingFilter:
    return FindingFilter(**{k: (params.get(k) or "").strip() or None
                            for k in ("production", "zone", "severity", "rule", "host", "text")})


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@_page("viewer")
def findings(request, desk, ledger, user):
    flt = _filter(request.query_params)
    result = findings_page(ledger, flt, _int(request.query_params.get("page"), 1),
                           _int(request.query_params.get("per_page"), PER_PAGE), desk.folded)
    query = {k: v for k, v in flt.__dict__.items() if v}
    return desk.page(request, "findings.html", user, result=result, query=query,
                     page_url=lambda n: "/findings?" + urlencode({**query, "page": n}))


@_page("viewer")
def asset(request, desk, ledger, user):
    from ..lookup import lookup_content
    from .lineage import draw

    cid = request.path_params["cid"]
    if not CONTENT_ID.match(cid):
        raise Problem(404, "There is no such asset: an asset is named by its 32-digit content id.")
    try:
        result = lookup_content(cid, ledger)
    except NotInLedger:
        raise Problem(404, f"The ledger has no content {cid}.")
    live = [loc for loc in ledger.locations.of(cid, include_gone=False) if loc.host == ledger.host]
    return desk.page(request, "asset.html", user, r=result, lineage=draw(result), files=live,
                     needs_approval=result.inspection.verdict in AI_VERDICTS,
                     form=None, form_error=None)


@_page("viewer")
def preview(request, desk, ledger, user):
    cid = request.path_params["cid"]
    png = desk.thumbnails.get(cid, ledger) if CONTENT_ID.match(cid) else None
    if png is None:
        return Response(status_code=404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@_page("viewer")
def download(request, desk, ledger, user):
    from ..ledger import Location

    row = ledger.desk.location(request.path_params["location_id"])
    if row is None or row["host"] != ledger.host or row["gone"]:
        raise Problem(404, "No file of this host's on record under that number.")
    loc = Location.from_row(row)
    try:
        st = os.stat(loc.path_raw)
    except OSError:
        raise Problem(404, f"{loc.path} is no longer there; a rescan records where it went.")
    if not loc.unchanged(st):
        raise Problem(409, f"{loc.path} changed since the ledger recorded it: it is not the content this page "
                           "describes. Rescan it first.")
    return FileResponse(os.fsdecode(loc.path_raw), filename=loc.path.rsplit("/", 1)[-1],
                        content_disposition_type="attachment", stat_result=st)


def _form_answers(form) -> dict:
    return {q: form.get(f"answer_{q}") for q in QUESTIONS}


@_page("approver", post=True)
def approve(request, desk, ledger, user, form):
    from ..approvals import approve_contents

    cid = request.path_params["cid"]
    if not CONTENT_ID.match(cid):
        raise Problem(404, "There is no such asset.")
    answers = _form_answers(form)
    missing = [QUESTIONS[q][0] for q, a in answers.items() if a not in ANSWERS]
    try:
        if missing:
            raise ApprovalFormError("Answer each of the five questions (yes, no or unsure): "
                                    + ", ".join(missing) + " not answered.")
        if not str(form.get("reason") or "").strip():
            raise ApprovalFormError("Say why this material may be final (the reason).")
        data = form_from({"reason": str(form.get("reason")).strip(),
                          "reference": str(form.get("reference") or "").strip() or None,
                          "categories": form.getlist("categories") or None, "answers": answers}, by=user.name)
        approve_contents([cid], ledger, signed_in_as=user.name, production=desk.settings.config.production, **data)
    except ApprovalFormError as exc:
        from ..lookup import lookup_content
        from .lineage import draw

        result = lookup_content(cid, ledger)
        return desk.page(request, "asset.html", user, status=422, r=result, lineage=draw(result), files=[],
                         needs_approval=True, form=form, form_error=str(exc))
    return RedirectResponse(f"/assets/{cid}?approved=1#approvals", status_code=303)


@_page("approver", post=True)
def revoke(request, desk, ledger, user, form):
    from ..approvals import revoke_approval

    reason = str(form.get("reason") or "").strip()
    approval = ledger.approvals.get(request.path_params["approval_id"])
    if approval is None:
        raise Problem(404, "There is no such approval.")
    if not reason:
        raise Problem(422, "Say why the approval is revoked: the reason stays on record with it.")
    try:
        revoke_approval(approval["id"], ledger, by=user.name, reason=reason)
    except LedgerError as exc:
        raise Problem(409, str(exc))
    return RedirectResponse(f"/assets/{approval['content_id']}?revoked=1#approvals", status_code=303)


@_page("viewer")
def disclosure(request, desk, ledger, user):
    from ..disclosure import build

    fmt = request.path_params.get("fmt")
    report = build(ledger, desk.settings.config.production)
    if fmt in ("json", "csv"):
        from ..reports import disclosure as renderers

        out = io.StringIO(newline="")
        renderers.RENDERERS[fmt](report, out)
        name = f"disclosure.{fmt}"
        return Response(out.getvalue(), media_type="application/json" if fmt == "json" else "text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return desk.page(request, "disclosure.html", user, report=report)


def _status(desk: Desk, ledger: Ledger) -> dict:
    from ..watch import daemon_status

    return {"daemon": daemon_status(desk.settings.ledger, desk.settings.host).to_dict(),
            "events": [{k: e[k] for k in ("id", "at", "kind", "path", "content_id", "host", "detail")}
                       for e in ledger.desk.recent_events(25)]}


@_page("viewer")
def status(request, desk, ledger, user):
    return desk.page(request, "status.html", user, status=_status(desk, ledger), ledger_label=ledger.path)


async def status_stream(request: Request):
    """Server-sent events: the daemon's status and the ledger's latest events, sent when they change."""
    desk: Desk = request.app.state.desk
    from starlette.concurrency import run_in_threadpool

    def current():
        with desk.pool.ledger() as ledger:
            if desk.session_user(request, ledger) is None:
                return None
            return _status(desk, ledger)

    first = await run_in_threadpool(current)
    if first is None:
        return PlainTextResponse("Sign in first.", status_code=401)

    async def events():
        last = None
        state = first
        while True:
            text = json.dumps(state, default=str)
            if text != last:
                yield f"event: status\ndata: {text}\n\n"
                last = text
            else:
                yield ": still here\n\n"
            await asyncio.sleep(SSE_EVERY_S)
            if await request.is_disconnected():
                return
            state = await run_in_threadpool(current)
            if state is None:
                return

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@_page("viewer")
def root(request, desk, ledger, user):
    return RedirectResponse("/findings", status_code=303)


# -- users, for admins ---------------------------------------------------------------------


@_page("admin")
def users(request, desk, ledger, user):
    return desk.page(request, "users.html", user, users=ledger.users.all(), ROLES=auth.ROLES, token=None, error=None)


@_page("admin", post=True)
def users_change(request, desk, ledger, user, form):
    from . import accounts

    action, name = form.get("action"), str(form.get("name") or "").strip()
    token = error = None
    try:
        if action == "add":
            accounts.add_user(ledger, name, str(form.get("role")), str(form.get("password") or "") or None)
        elif action == "role":
            accounts.set_role(ledger, name, str(form.get("role")))
        elif action == "token":
            token = accounts.issue_token(ledger, name)
        elif action == "remove":
            if name == user.name:
                raise AiprovError("You cannot remove yourself; another admin can.")
            ledger.users.remove(name)
        else:
            raise Problem(400, "Unknown action.")
    except AiprovError as exc:
        error = str(exc)
    return desk.page(request, "users.html", user, status=200 if error is None else 422, users=ledger.users.all(),
                     ROLES=auth.ROLES, token=(name, token) if token else None, error=error)


# -- errors and headers -----------------------------------------------------------------------------


async def problem(request: Request, exc: Problem):
    if not _wants_html(request):
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)
    desk: Desk = request.app.state.desk
    response = desk.page(request, "problem.html", None, status=exc.status, message=exc.message, code=exc.status)
    response.headers.update(exc.headers)
    return response


async def ledger_trouble(request: Request, exc: AiprovError):
    return await problem(request, Problem(503, f"The ledger cannot be used just now: {exc}"))


async def not_found(request: Request, exc):
    return await problem(request, Problem(getattr(exc, "status_code", 404), "There is nothing here."))


CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class Headers:
    """Security headers on every answer: no framing, no sniffing, only this desk's own files and scripts."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for k, v in (("content-security-policy", CSP), ("x-content-type-options", "nosniff"),
                             ("x-frame-options", "DENY"), ("referrer-policy", "same-origin")):
                    headers.append((k.encode(), v.encode()))
                if scope["path"] != "/static" and not scope["path"].startswith("/static/"):
                    if not any(h[0].lower() == b"cache-control" for h in headers):
                        headers.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, with_headers)


def _lifespan(desk: Desk):
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        yield
        desk.pool.close()

    return lifespan


def create_app(settings: DeskSettings) -> Starlette:
    from . import api

    desk = Desk(settings)
    routes = [
        Route("/", root),
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/findings", findings),
        Route("/assets/{cid}", asset),
        Route("/assets/{cid}/preview.png", preview),
        Route("/assets/{cid}/approve", approve, methods=["POST"]),
        Route("/approvals/{approval_id:int}/revoke", revoke, methods=["POST"]),
        Route("/files/{location_id:int}", download),
        Route("/disclosure", disclosure),
        Route("/disclosure.{fmt}", disclosure),
        Route("/status", status),
        Route("/status/stream", status_stream),
        Route("/users", users, methods=["GET"]),
        Route("/users", users_change, methods=["POST"]),
        *api.routes(_api),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Headers),
                    Middleware(SessionMiddleware, secret_key=desk.secret, session_cookie="aiprov_desk",
                               max_age=SESSION_HOURS * 3600, same_site="strict", https_only=settings.secure_cookies)],
        exception_handlers={Problem: problem, LedgerError: ledger_trouble, 404: not_found, 405: not_found},
        lifespan=_lifespan(desk),
    )
    app.state.desk = desk
    return app
