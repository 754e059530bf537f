"""Who may do what on the desk, and how it is checked.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended set).
API tokens are 256 random bits: a token is looked up by its SHA-256, which is as safe as a
slow hash for a secret that cannot be guessed, and costs no hashing time on every API call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("viewer", "approver", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}
TOKEN_PREFIX = "aiprov_"
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """The person behind a request: a signed-in user, or a user's API token."""

    id: int
    name: str
    role: str
    via: str  # "session" or "token"

    def may(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    return None


def new_token() -> tuple[str, str]:
    """(the token, shown once; its hash, kept in the ledger)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_stamp(password_hash: str | None) -> str:
    """A short fingerprint of the password hash kept in the session: a changed password (or a
    removed user, whose hash is cleared) ends every session signed in with the old one."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


# -- CSRF: one random token per session, in every form ---------------------------------


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given and hmac.compare_digest(expected, given))


# -- sign-in attempts --------------------------------------------------------------------


class SignInLimiter:
    """At most `attempts` failed sign-ins per `window_s`, per account name and per client address:
    a password cannot be guessed at the speed of the network, and one address guessing many
    names is held back as well. Held in the server's memory: a restart forgets it, which costs
    a guesser a restart of someone else's server."""

    def __init__(self, attempts: int = 5, window_s: float = 300.0, clock=time.monotonic):
        self.attempts, self.window_s, self.clock = attempts, window_s, clock
        self._failures: dict[str, deque] = {}

    def _recent(self, key: str) -> deque:
        q = self._failures.setdefault(key, deque())
        cutoff = self.clock() - self.window_s
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def wait_s(self, name: str, address: str) -> float:
        """Seconds until another attempt is allowed for this name from this address (0: now)."""
        waits = [0.0]
        for key, limit in ((f"name:{name.lower()}", self.attempts), (f"addr:{address}", self.attempts * 4)):
            q = self._recent(key)
            if len(q) >= limit:
                waits.append(q[0] + self.window_s - self.clock())
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        t = self.clock()
        for key in (f"name:{name.lower()}", f"addr:{address}"):
            self._recent(key).append(t)

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"name:{name.lower()}", None)
