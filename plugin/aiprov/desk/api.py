"""The desk's JSON API for pipelines, with bearer tokens (`aiprov users token NAME`).

GET /api/findings          open findings, as the findings page filters and pages them
GET /api/assets/{id}       what `aiprov lookup --json` says of a content, found by its id
POST /api/approvals        the fields of `aiprov approve --from-json`, with `paths` or `content_ids`;
                           recorded under the token's user
POST /api/approvals/{id}/revoke   {"reason": "..."}
GET /api/status            this host's daemon and the ledger's latest events
"""

from __future__ import annotations

import os

from starlette.responses import JSONResponse
from starlette.routing import Route

from ..approval_form import ApprovalFormError, form_from
from ..errors import AiprovError, LedgerError, NotInLedger
from .pages import PER_PAGE, findings_page
from .thumbnails import CONTENT_ID


def _json(data, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def routes(api) -> list[Route]:
    from .app import Problem, _filter, _int, _status

    @api("viewer")
    def findings(request, desk, ledger, user):
        q = request.query_params
        page = findings_page(ledger, _filter(q), _int(q.get("page"), 1), _int(q.get("per_page"), PER_PAGE),
                             desk.folded)
        return _json(page.to_dict())

    @api("viewer")
    def asset(request, desk, ledger, user):
        from ..lookup import lookup_content

        cid = request.path_params["cid"]
        if not CONTENT_ID.match(cid):
            raise Problem(404, "an asset is named by its 32-digit content id")
        try:
            return _json(lookup_content(cid, ledger).to_dict())
        except NotInLedger as exc:
            raise Problem(404, str(exc))

    @api("approver")
    def approvals(request, desk, ledger, user, body):
        from ..approvals import approve_contents, approve_files

        if not isinstance(body, dict):
            raise Problem(400, "send a JSON object: the fields of `aiprov approve --from-json`, with paths or "
                               "content_ids")
        if body.get("by") not in (None, user.name):
            raise Problem(422, f"an approval made with this token is recorded under its user, {user.name}: "
                               f"leave `by` out or set it to {user.name!r}")
        paths, cids = body.get("paths") or [], body.get("content_ids") or []
        if bool(paths) == bool(cids) or not all(isinstance(x, str) for x in [*paths, *cids]) \
                or not isinstance(paths, list) or not isinstance(cids, list):
            raise Problem(422, "give either `paths` (files on this desk's host) or `content_ids`, as a list of text")
        try:
            form = form_from({k: v for k, v in body.items() if k not in ("paths", "content_ids")}, by=user.name)
        except ApprovalFormError as exc:
            raise Problem(422, str(exc))
        production = desk.settings.config.production
        try:
            if cids:
                bad = [c for c in cids if not CONTENT_ID.match(c)]
                if bad:
                    raise Problem(422, f"not content ids (32 hex digits): {bad}")
                done = [a.to_dict() for a in approve_contents(cids, ledger, signed_in_as=user.name,
                                                              production=production, **form)]
            else:
                # Only files the ledger already knows live on this host: the API is no way to
                # have the server open a path of the caller's choosing.
                fspaths = [os.path.abspath(os.fsencode(p)) for p in paths]
                known = ledger.locations.get_many(fspaths)
                unknown = [os.fsdecode(p) for p in fspaths if p not in known or known[p].gone]
                if unknown:
                    raise Problem(404, f"the ledger knows no live file of this host at {unknown}; scan them first "
                                       "or approve by content_ids")
                done = [{"path": path, "approval_id": aid, "content_id": cid, "verdict": verdict}
                        for path, aid, cid, verdict in approve_files(fspaths, ledger, desk.settings.config,
                                                                     signed_in_as=user.name, **form)]
        except NotInLedger as exc:
            raise Problem(404, str(exc))
        except AiprovError as exc:
            raise Problem(422, str(exc))
        return _json({"approved": done, "approved_by": user.name}, 201)

    @api("approver")
    def revoke(request, desk, ledger, user, body):
        from ..approvals import revoke_approval

        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(reason, str) or not reason.strip():
            raise Problem(422, "say why: {\"reason\": \"...\"} (it stays on record with the approval)")
        try:
            row = revoke_approval(request.path_params["approval_id"], ledger, by=user.name, reason=reason.strip())
        except LedgerError as exc:
            raise Problem(404 if "there is no approval" in str(exc) else 409, str(exc))
        return _json({"revoked": row["id"], "content_id": row["content_id"], "revoked_by": user.name})

    @api("viewer")
    def status(request, desk, ledger, user):
        return _json(_status(desk, ledger))

    return [Route("/api/findings", findings, methods=["GET"]),
            Route("/api/assets/{cid}", asset, methods=["GET"]),
            Route("/api/approvals", approvals, methods=["POST"]),
            Route("/api/approvals/{approval_id:int}/revoke", revoke, methods=["POST"]),
            Route("/api/status", status, methods=["GET"])]
