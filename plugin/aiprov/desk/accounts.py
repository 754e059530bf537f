"""`aiprov users`: the desk's accounts, kept in the ledger (add, token, list, role, password, remove)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import UsageError
from ..ledger import Ledger
from .auth import ROLES, hash_password, new_token, password_problem

NAME = re.compile(r"^[^\s\x00-\x1f\x7f/][^\x00-\x1f\x7f/]{0,62}[^\s\x00-\x1f\x7f/]$|^[^\s\x00-\x1f\x7f/]$")


@dataclass
class UserList:
    """`aiprov users list`: who may use the desk, their roles and tokens."""

    users: list[dict] = field(default_factory=list)
    exit_code = 0

    def to_list(self) -> list[dict]:
        return [{"name": u["name"], "role": u["role"], "created": u["created"], "password": bool(u["has_password"]),
                 "tokens": int(u["tokens"]), "token_last_used": u["token_last_used"]} for u in self.users]


def _checked(name: str, role: str | None = None, password: str | None = None) -> None:
    if not NAME.match(name):
        raise UsageError(f"{name!r} cannot be a user name: 1 to 64 characters, no slash, no control characters, "
                         "not starting or ending with a space")
    if role is not None and role not in ROLES:
        raise UsageError(f"unknown role {role!r}; a role is one of {', '.join(ROLES)}")
    if password is not None and password_problem(password):
        raise UsageError(password_problem(password))


def add_user(ledger: Ledger, name: str, role: str, password: str | None) -> dict:
    """A user who signs in with `password`; without one, an account for a pipeline that uses tokens only."""
    _checked(name, role, password)
    return ledger.users.add(name, role, hash_password(password) if password is not None else None)


def issue_token(ledger: Ledger, name: str) -> str:
    """A new API token for the user, returned once: the ledger keeps only its hash."""
    _checked(name)
    token, digest = new_token()
    ledger.users.add_token(name, digest)
    return token


def set_password(ledger: Ledger, name: str, password: str) -> None:
    _checked(name, password=password)
    ledger.users.set_password(name, hash_password(password))


def set_role(ledger: Ledger, name: str, role: str) -> None:
    _checked(name, role)
    ledger.users.set_role(name, role)


def list_users(ledger: Ledger) -> UserList:
    return UserList(ledger.users.all())
