"""`aiprov users list`: the desk's accounts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..desk.accounts import UserList


def text(result: UserList, out: TextIO, **_) -> None:
    rows = result.to_list()
    if not rows:
        out.write("no users yet: aiprov users add NAME --role viewer|approver|admin\n")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        sign_in = "password" if r["password"] else "tokens only"
        used = f", a token last used {r['token_last_used'][:19]}" if r["token_last_used"] else ""
        out.write(f"{r['name']:<{width}}  {r['role']:<8}  {sign_in}, {r['tokens']} live token(s){used}; "
                  f"added {r['created'][:10]}\n")


def to_json(result: UserList, out: TextIO, **_) -> None:
    out.write(json.dumps(result.to_list(), indent=2, ensure_ascii=False) + "\n")


RENDERERS = {"text": text, "json": to_json}
