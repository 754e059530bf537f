"""`aiprov serve`: the desk on a local port, served by uvicorn."""

from __future__ import annotations

import ipaddress
import sys

from .app import DeskSettings, create_app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def bind_notes(host: str, port: int, tls: bool, behind_tls: bool) -> list[str]:
    """What a person starting the desk must know about who can reach it."""
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    notes = [f"the review desk is at {scheme}://{shown}:{port}/"]
    if is_loopback(host):
        notes.append(f"bound to {host}: only this machine can open it (--host 0.0.0.0 shares it; put TLS in front)")
    elif not (tls or behind_tls):
        notes.append(f"WARNING: bound to {host} without TLS: passwords, session cookies and API tokens cross the "
                     "network in clear text, and anyone on it can read or replay them. Put a TLS proxy in front "
                     "(and pass --behind-tls), or give --certfile and --keyfile.")
    return notes


def serve(settings: DeskSettings, host: str, port: int, certfile: str | None = None, keyfile: str | None = None,
          behind_tls: bool = False) -> int:
    import uvicorn

    tls = bool(certfile and keyfile)
    settings.secure_cookies = tls or behind_tls
    app = create_app(settings)
    desk = app.state.desk
    for line in bind_notes(host, port, tls, behind_tls):
        print(f"aiprov: {line}", file=sys.stderr, flush=True)
    with desk.pool.ledger() as ledger:
        print(f"aiprov: ledger {ledger.path}, host {ledger.host}", file=sys.stderr, flush=True)
        if not ledger.users.all():
            print("aiprov: no users yet: add one with `aiprov users add NAME --role admin`", file=sys.stderr,
                  flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
                ssl_certfile=certfile, ssl_keyfile=keyfile, server_header=False)
    return 0
