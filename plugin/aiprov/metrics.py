"""`aiprov watch --metrics-port N`: the daemon's health as Prometheus metrics.

One registry per daemon (nothing global): what it has processed by verdict, the findings it
raised by rule, its queue, its readers' crashes and time-outs, the ledger's errors and the
daemon's retries while it was away, and how far the reconcile walk has come. Served by
prometheus-client's own HTTP server on a thread, on loopback unless told otherwise.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class WatchMetrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.queue_depth = Gauge("aiprov_watch_queue_depth", "Files seen and waiting to be read (settling or queued)",
                                 registry=r)
        self.files = Counter("aiprov_watch_files_processed", "Files recorded, by verdict", ["verdict"], registry=r)
        self.findings = Counter("aiprov_watch_findings_raised", "Findings raised for the first time, by rule and "
                                "severity", ["rule", "severity"], registry=r)
        self.reader_failures = Counter("aiprov_watch_reader_failures", "Files whose isolated reader crashed or "
                                       "overran its time limit", ["kind"], registry=r)
        self.ledger_errors = Counter("aiprov_watch_ledger_errors", "Times the ledger could not be used", registry=r)
        self.ledger_retries = Counter("aiprov_watch_ledger_retries", "Reconnection attempts while the ledger was away",
                                      registry=r)
        self.hooks = Counter("aiprov_watch_hooks", "Hook runs, by outcome", ["outcome"], registry=r)
        self.reconciling = Gauge("aiprov_watch_reconciling", "1 while a reconcile walk runs", registry=r)
        self.reconcile_files = Gauge("aiprov_watch_reconcile_files", "Files the current (or last) reconcile walk has "
                                     "checked", registry=r)
        self.last_reconcile = Gauge("aiprov_watch_last_reconcile_timestamp_seconds", "When the last reconcile "
                                    "walk finished (Unix time)", registry=r)
        self.reconcile_seconds = Gauge("aiprov_watch_last_reconcile_duration_seconds", "How long the last "
                                       "reconcile walk took", registry=r)
        for outcome in ("ok", "failed"):
            self.hooks.labels(outcome)
        for kind in ("crash", "timeout"):
            self.reader_failures.labels(kind)
        self._seen: dict[str, int] = {}

    def catch_up(self, name: str, counter, total: int) -> None:
        """Add to `counter` what a running total kept elsewhere grew by since last asked."""
        grown = total - self._seen.get(name, 0)
        if grown > 0:
            counter.inc(grown)
        self._seen[name] = max(total, self._seen.get(name, 0))

    def serve(self, port: int, address: str = "127.0.0.1"):
        """Start the /metrics server; returns it (its shutdown() stops it)."""
        server, _thread = start_http_server(port, addr=address, registry=self.registry)
        return server
