"""The desk's people: users with a role, their API tokens, and the secret that signs their sessions.

Only hashes are stored: a password's argon2 hash (made by desk/auth.py), a token's SHA-256.
A removed user keeps the row (approvals name them) but can neither sign in nor use a token.
"""

from __future__ import annotations

import secrets

from ..errors import LedgerError
from .sql import now


class Users:
    def __init__(self, db):
        self.db = db  # the Ledger: connection, transactions, deferred writes

    def add(self, name: str, role: str, password_hash: str | None) -> dict:
        """A new user, or a removed one brought back (same id: their past approvals stay theirs)."""
        with self.db.transaction():
            old = self.get(name, include_removed=True)
            if old and not old["removed_at"]:
                raise LedgerError(f"there is already a user {name!r} ({old['role']}); `aiprov users remove {name}` "
                                  "first, or pick another name")
            t = now()
            if old:
                self.db._update("users", old["id"], {"role": role, "password_hash": password_hash, "changed": t,
                                                      "removed_at": None})
            else:
                self.db._insert("users", {"name": name, "role": role, "password_hash": password_hash,
                                          "created": t, "changed": t})
            self.db.event("user-added", None, None, {"user": name, "role": role})
            return self.get(name)

    def get(self, name: str, include_removed: bool = False) -> dict | None:
        rows = self.db._rows("SELECT * FROM users WHERE name = ?", [name])
        if not rows or (rows[0]["removed_at"] and not include_removed):
            return None
        return rows[0]

    def by_id(self, user_id: int) -> dict | None:
        rows = self.db._rows("SELECT * FROM users WHERE id = ? AND removed_at IS NULL", [user_id])
        return rows[0] if rows else None

    def all(self) -> list[dict]:
        """Every current user, with how many live tokens each has and when one was last used."""
        return self.db._rows(
            "SELECT u.id, u.name, u.role, u.created, u.changed, u.password_hash IS NOT NULL AS has_password, "
            "(SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS tokens, "
            "(SELECT max(t.last_used) FROM api_tokens t WHERE t.user_id = u.id) AS token_last_used "
            "FROM users u WHERE u.removed_at IS NULL ORDER BY u.name")

    def set_password(self, name: str, password_hash: str) -> None:
        user = self._existing(name)
        with self.db.transaction():
            self.db._update("users", user["id"], {"password_hash": password_hash, "changed": now()})

    def set_role(self, name: str, role: str) -> None:
        user = self._existing(name)
        with self.db.transaction():
            self.db._update("users", user["id"], {"role": role, "changed": now()})
            self.db.event("user-role", None, None, {"user": name, "role": role, "was": user["role"]})

    def remove(self, name: str) -> int:
        """Remove a user: no sign-in, every token revoked. Returns how many tokens were revoked."""
        user = self._existing(name)
        t = now()
        with self.db.transaction():
            revoked = self.db._q("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                                 [t, user["id"]]).rowcount
            self.db._update("users", user["id"], {"removed_at": t, "password_hash": None, "changed": t})
            self.db.event("user-removed", None, None, {"user": name})
        return revoked

    def _existing(self, name: str) -> dict:
        user = self.get(name)
        if user is None:
            raise LedgerError(f"there is no user {name!r} (see `aiprov users list`)")
        return user

    # -- API tokens ------------------------------------------------------------------

    def add_token(self, name: str, token_hash: str) -> int:
        user = self._existing(name)
        with self.db.transaction():
            token_id = self.db._insert("api_tokens", {"user_id": user["id"], "token_hash": token_hash,
                                                      "created": now()})
            self.db.event("token-issued", None, None, {"user": name, "token": token_id})
            return token_id

    def by_token(self, token_hash: str) -> dict | None:
        """The current user a live token belongs to (with the token's id as token_id)."""
        rows = self.db._rows("SELECT u.*, t.id AS token_id, t.last_used AS token_last_used FROM api_tokens t "
                             "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
                             "AND u.removed_at IS NULL", [token_hash])
        return rows[0] if rows else None

    def token_used(self, token_id: int, at: str) -> None:
        with self.db.transaction():
            self.db._update("api_tokens", token_id, {"last_used": at})

    def revoke_tokens(self, name: str) -> int:
        user = self._existing(name)
        with self.db.transaction():
            return self.db._q("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                              [now(), user["id"]]).rowcount

    # -- the key that signs session cookies --------------------------------------------

    def session_secret(self) -> str:
        """Made once per ledger and kept in it: every `aiprov serve` on this ledger (and a restarted
        one) accepts the same sessions, and nothing is written beside the ledger."""
        rows = self.db._rows("SELECT value FROM meta WHERE key = 'desk_session_secret'")
        if rows:
            return rows[0]["value"]
        with self.db.transaction():
            self.db._q("INSERT INTO meta (key, value) VALUES ('desk_session_secret', ?) ON CONFLICT DO NOTHING",
                       [secrets.token_urlsafe(48)])
        return self.db._rows("SELECT value FROM meta WHERE key = 'desk_session_secret'")[0]["value"]
