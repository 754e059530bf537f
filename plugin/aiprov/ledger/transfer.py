"""Moving a production's ledger between databases without losing a row.

`export` writes JSON Lines (gzip when the name ends in .gz): a header with the
schema version and each table's row count, one line per row, and a closing line.
`import_` refuses a file whose closing line or counts are missing (a copy cut short
must not pass for a whole ledger), writes everything in one transaction into an
empty ledger of the same schema, keeps every id, and checks the counts again.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from dataclasses import dataclass, field
from typing import IO, Iterator

from ..errors import LedgerError
from . import schema
from .store import Ledger, now

FORMAT = "aiprov-ledger-export"
CHUNK = 2000


@dataclass
class TransferReport:
    schema: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _open(path: str | os.PathLike, mode: str, gz: bool | None = None) -> IO[str]:
    if os.fspath(path).endswith(".gz") if gz is None else gz:
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _encode(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value):
    if isinstance(value, dict) and "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    return value


def export(ledger: Ledger, path: str | os.PathLike) -> TransferReport:
    """Write every table of the ledger to `path` (atomically: a half-written export never has its final name)."""
    report = TransferReport(schema=ledger.schema_version)
    ledger_id = ledger.ledger_id()  # made on first use: before counting, so meta's count holds
    counts = {t: ledger.count(t) for t in schema.TABLES}
    tmp = f"{os.fspath(path)}.partial"
    try:
        with _open(tmp, "w", gz=os.fspath(path).endswith(".gz")) as out:
            out.write(json.dumps({"format": FORMAT, "schema": report.schema, "from": ledger.kind,
                                  "ledger_id": ledger_id, "exported_at": now(), "rows": counts}) + "\n")
            for table in schema.TABLES:
                n = 0
                order = "id" if table in _ID_TABLES else "1"
                for row in ledger.backend.stream(f"SELECT * FROM {table} ORDER BY {order}"):
                    out.write(json.dumps({"t": table, "r": {k: _encode(v) for k, v in row.items()}},
                                         ensure_ascii=False) + "\n")
                    n += 1
                report.rows[table] = n
            out.write(json.dumps({"end": True, "rows": report.total}) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise LedgerError(f"could not write the export {os.fspath(path)}: {exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return report


def _lines(path: str | os.PathLike) -> Iterator[dict]:
    try:
        with _open(path, "r") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise LedgerError(f"{os.fspath(path)} line {number} is not an export line ({exc}); "
                                      "is the file complete?") from exc
    except (OSError, EOFError) as exc:
        raise LedgerError(f"could not read the export {os.fspath(path)}: {exc}") from exc


def import_(ledger: Ledger, path: str | os.PathLike, rename_hosts: dict[str, str] | None = None) -> TransferReport:
    """Load an export into an empty ledger; all of it or, on any problem, nothing."""
    rename_hosts = rename_hosts or {}
    lines = _lines(path)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise LedgerError(f"{os.fspath(path)} is not an aiprov ledger export (made by `aiprov ledger export`)")
    if header["schema"] != ledger.schema_version:
        raise LedgerError(f"{os.fspath(path)} was exported at schema {header['schema']}, this ledger is at "
                          f"{ledger.schema_version}: import it with the aiprov that exported it, then migrate")
    busy = [t for t in schema.TABLES if t != "meta" and ledger.count(t)]
    if busy:
        raise LedgerError(f"the ledger at {ledger.path} is not empty ({', '.join(busy)}): import into a new one")
    report = TransferReport(schema=header["schema"])
    ended = False
    with ledger.transaction():
        ledger._q("DELETE FROM meta")  # the export brings the ledger's own id
        pending: dict[str, list[dict]] = {}
        for item in lines:
            if item.get("end"):
                ended = item.get("rows") == sum(report.rows.values()) + sum(len(v) for v in pending.values())
                break
            table, row = item["t"], {k: _decode(v) for k, v in item["r"].items()}
            if table not in schema.TABLES:
                raise LedgerError(f"{os.fspath(path)} names a table aiprov does not have: {table!r}")
            if "host" in row and row["host"] in rename_hosts:
                row["host"] = rename_hosts[row["host"]]
            pending.setdefault(table, []).append(row)
            if len(pending[table]) >= CHUNK:
                _write(ledger, table, pending.pop(table), report)
        for table, rows in pending.items():
            _write(ledger, table, rows, report)
        if not ended:
            raise LedgerError(f"{os.fspath(path)} ends before its last line: the export is incomplete, "
                              "nothing was imported")
        for table, expected in header["rows"].items():
            if report.rows.get(table, 0) != expected:
                raise LedgerError(f"{os.fspath(path)} should hold {expected} rows of {table} but holds "
                                  f"{report.rows.get(table, 0)}: nothing was imported")
        if hasattr(ledger.backend, "restart_ids"):
            ledger.backend.restart_ids(_ID_TABLES)
        schema.fill_folders(ledger.backend)  # an export from before folders were kept
    return report


def _write(ledger: Ledger, table: str, rows: list[dict], report: TransferReport) -> None:
    cols = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    ledger._many(sql, [[r.get(c) for c in cols] for r in rows])
    report.rows[table] = report.rows.get(table, 0) + len(rows)


_ID_TABLES = ("locations", "evidence", "edges", "approvals", "findings", "events", "registrations", "fingerprints",
              "script_edges", "users", "api_tokens")
