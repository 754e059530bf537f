"""Executable hooks: one JSON event on stdin, no shell, a time limit, retries.

A hook is an argument list from the config (`command = ["hooks/notify", ...]`);
a relative executable is found under the production root. Hooks run on a
small thread pool so a slow webhook never delays the watcher; a failed hook
is logged with its exit status and stderr and retried with back-off.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from .model import Finding, Inspection

log = logging.getLogger("aiprov.hooks")

DEFAULT_TIMEOUT_S = 30.0
RETRIES = 3


def finding_event(insp: Inspection, zone: str, findings: list[Finding], production: str | None,
                  host: str | None = None) -> dict:
    """The event a hook receives (schemas/hook-event.schema.json); `host` says which machine's path it is."""
    return {
        "event": "finding",
        "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "production": production,
        "host": host,
        "file": {"path": insp.path, "content_id": insp.content_id, "zone": zone, "verdict": insp.verdict,
                 "generator": insp.generator, "digital_source_type": insp.digital_source_type,
                 "reason": insp.reason},
        "findings": [f.to_dict() for f in findings],
    }


class HookRunner:
    def __init__(self, hooks: list[dict], root: Path, workers: int = 2):
        self.hooks = hooks
        self.root = root
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aiprov-hook")
        self._lock = threading.Lock()
        self.failures = 0
        self.runs = 0

    def _argv(self, hook: dict) -> list[str]:
        argv = list(hook["command"])
        exe = Path(argv[0])
        if not exe.is_absolute() and os.sep in argv[0]:
            argv[0] = str(self.root / exe)
        return argv

    def fire(self, event: dict) -> list:
        """Start every hook that listens to this event; returns their futures."""
        kind = event["event"]
        return [self._pool.submit(self._run, hook, event) for hook in self.hooks
                if kind in hook.get("on", ["finding"])]

    def _run(self, hook: dict, event: dict) -> int | None:
        argv = self._argv(hook)
        payload = json.dumps(event, ensure_ascii=False).encode("utf-8")
        timeout = float(hook.get("timeout", DEFAULT_TIMEOUT_S))
        for attempt in range(1, RETRIES + 1):
            with self._lock:
                self.runs += 1
            try:
                proc = subprocess.run(argv, input=payload, capture_output=True, timeout=timeout, cwd=self.root)
            except FileNotFoundError:
                log.error("hook %s cannot run: executable not found (check `command` in aiprov.toml)", argv[0])
                return None
            except PermissionError:
                log.error("hook %s cannot run: not executable (chmod +x it)", argv[0])
                return None
            except subprocess.TimeoutExpired:
                log.warning("hook %s timed out after %gs on %s (attempt %d/%d)", argv[0], timeout,
                            event["file"]["path"], attempt, RETRIES)
            else:
                stderr = proc.stderr.decode("utf-8", "replace").strip()
                if proc.returncode == 0:
                    log.info("hook %s ran for %s%s", argv[0], event["file"]["path"], f": {stderr}" if stderr else "")
                    return 0
                log.warning("hook %s failed with exit status %d on %s (attempt %d/%d): %s", argv[0], proc.returncode,
                            event["file"]["path"], attempt, RETRIES, stderr or "(no stderr)")
            if attempt < RETRIES:
                time.sleep(min(10.0, 0.5 * 2**attempt))
        with self._lock:
            self.failures += 1
        log.error("hook %s gave up on %s after %d attempts", argv[0], event["file"]["path"], RETRIES)
        return None

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
