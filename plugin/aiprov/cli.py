"""The command line: parse, call the library, render. No logic lives here.

Exit codes, for delivery scripts: 0 nothing wrong, 1 findings (or files that
are AI / unreadable, for `inspect --fail-on`), 2 usage or config error,
3 the ledger could not be used.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

import click
from rich.console import Console

from .version import __version__
from .errors import AiprovError
from .model import AI_VERDICTS, UNREADABLE
from .names import display_path
from .pipeline import inspect_paths
from .reader import ReadSettings
from .reports.text import print_inspection


def _console(stream=None) -> Console:
    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)


def _paths(paths: tuple[str, ...]) -> list[bytes]:
    # click gives str with surrogate escapes for undecodable bytes; the OS wants the bytes back.
    return [os.fsencode(p) for p in paths]


class AiprovGroup(click.Group):
    """Turns aiprov's own errors into one-line messages and their exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AiprovError as exc:
            click.echo(f"aiprov: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a path that cannot be used: say which, never a traceback
            where = display_path(os.fsencode(exc.filename)) if isinstance(exc.filename, (str, bytes)) else "a file"
            click.echo(f"aiprov: {where}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        except sqlite3.Error as exc:  # anything the ledger did not explain itself
            click.echo(f"aiprov: the ledger could not be used: {exc}", err=True)
            sys.exit(3)
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg"):
                click.echo(f"aiprov: the shared ledger could not be used: {str(exc).strip()}", err=True)
                sys.exit(3)
            raise


@click.group(cls=AiprovGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aiprov")
def main() -> None:
    """aiprov: keep temporary generative-AI material out of final deliverables.

    Reads provenance (C2PA, IPTC digital source type, generator markers,
    sidecars), records every file's history in a ledger, and flags AI
    material that reached a finals zone without a written approval.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file (schemas/inspect.schema.json).")
@click.option("-v", "--verbose", is_flag=True, help="Show every piece of evidence, not only what decided the verdict.")
@click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
@click.option("--timeout", "timeout_s", type=float, default=60.0, show_default=True, help="Seconds allowed per file before it is declared unreadable.")
@click.option("--network/--no-network", default=False, show_default=True, help="Let C2PA fetch remote manifests and OCSP.")
@click.option("--trust-anchors", type=click.Path(exists=True, dir_okay=False), help="PEM file of C2PA trust anchors.")
@click.option("--fail-on", type=click.Choice(["never", "ai", "ai-or-unreadable"]), default="never", show_default=True,
              help="Exit 1 when a file is AI (or unreadable).")
def inspect(paths, as_json, verbose, workers, timeout_s, network, trust_anchors, fail_on):
    """Read the provenance of files (folders are searched) and say whether they are AI.

    Reads only: nothing is written anywhere, the ledger included.
    """
    settings = ReadSettings(network=network, trust_anchors=trust_anchors)
    results = []
    console = _console()
    missing = [p for p in _paths(paths) if not os.path.lexists(p)]
    for p in missing:
        click.echo(f"aiprov: {display_path(p)}: no such file or folder", err=True)
    if missing and len(missing) == len(paths):
        sys.exit(2)
    present = [p for p in _paths(paths) if os.path.lexists(p)]
    for insp in inspect_paths(present, settings, workers=workers, timeout_s=timeout_s):
        results.append(insp)
        if not as_json:
            print_inspection(console, insp, verbose)
    if as_json:
        results.sort(key=lambda r: r.path)
        click.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
    bad = {"never": (), "ai": AI_VERDICTS, "ai-or-unreadable": (*AI_VERDICTS, UNREADABLE)}[fail_on]
    if any(r.verdict in bad for r in results) or missing:
        sys.exit(1)


# --- the ledger commands ------------------------------------------------------

LEDGER_HELP = ("Ledger: a SQLite file, or a postgresql:// URL for a facility's shared ledger (default: AIPROV_LEDGER, "
               "else the config's, else .aiprov/ledger.db under the production root).")
host_option = click.option(
    "--host-id", "host_id", envvar="AIPROV_HOST_ID", default=None, metavar="NAME",
    help="Which host's paths these are, on a ledger several hosts share (default: AIPROV_HOST_ID, else this "
         "machine's name).")


def _open(paths: list[bytes], config_path: str | None, ledger_path: str | None, no_config_zone: str = "finals",
          host: str | None = None, readonly: bool = False, create: bool = True):
    """The config governing `paths` and its ledger. readonly: for commands that only read, which
    never create, upgrade or write a ledger; create=False: a ledger that must already exist."""
    from . import config as config_mod
    from .ledger import Ledger

    cfg = config_mod.for_paths(paths, config_path, no_config_zone)
    return cfg, Ledger(cfg.ledger_path(ledger_path), host=host, readonly=readonly, create=create)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "csv", "html"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here (default: stdout).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="aiprov.toml to use (default: found above the first path).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
@click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
@click.option("-v", "--verbose", is_flag=True, help="List every file, not only the ones with findings.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on when stderr is a terminal).")
@host_option
def scan(paths, fmt, output, config_path, ledger_path, workers, verbose, progress, host_id):
    """The pre-delivery gate: check a delivery (or a production) and record it in the ledger.

    Without an aiprov.toml, every file under PATHS is treated as finals (it is a
    delivery). Exit status: 0 no error findings, 1 error findings, 2 usage or
    config error, 3 ledger unusable.
    """
    from .reports import machine
    from .scanning import scan as run_scan

    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path, host=host_id)
    show = sys.stderr.isatty() if progress is None else progress
    every_file = verbose or fmt != "text"  # the text report lists findings; the others list every file
    with ledger:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            with Progress("scanning", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("scan", total=None)
                result = run_scan(fspaths, cfg, ledger, workers=workers, every_file=every_file,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total or None))
        else:
            result = run_scan(fspaths, cfg, ledger, workers=workers, every_file=every_file)
    if fmt == "text":
        stream = open(output, "w", encoding="utf-8") if output else sys.stdout
        try:
            from .reports.text import print_scan

            print_scan(Console(file=stream, highlight=False, soft_wrap=True, no_color=bool(output)), result, verbose)
        finally:
            if output:
                stream.close()
    else:
        if fmt == "html":
            from .reports.html import to_html as render
        else:
            render = {"json": machine.to_json, "junit": machine.to_junit, "csv": machine.to_csv}[fmt]
        text = render(result)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            click.echo(text)
    if output:
        click.echo(f"aiprov: report written to {output}; {len(result.errors)} error finding(s)", err=True)
    sys.exit(result.exit_code)


@main.command()
@click.argument("path", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def lookup(path, as_json, config_path, ledger_path):
    """Where did this file come from, is any of it AI, who approved it, what copies exist."""
    from .lookup import lookup as run_lookup
    from .reports.text import print_lookup

    cfg, ledger = _open(_paths((path,)), config_path, ledger_path, readonly=True)
    with ledger:
        answer = run_lookup(os.fsencode(path), ledger, cfg)
    if as_json:
        click.echo(json.dumps(answer, indent=2, ensure_ascii=False, default=str))
    else:
        print_lookup(_console(), answer)


QUESTIONS = {
    "copyright": "the output does not replicate or substantially recreate unowned or copyrighted material",
    "data_use": "the tool does not store, reuse or train on production data",
    "enterprise_environment": "the tool ran in an enterprise-secured environment",
    "final_use": "the material was escalated and is approved to be final, not temp",
    "talent": "no talent performance or union-covered work was replaced or generated without consent",
}
CATEGORIES = ("data-use", "creative-output", "talent-and-performance", "ethics-and-representation")
ANSWERS = click.Choice(["yes", "no", "unsure"])


def _approval_input(from_json: str | None, **given) -> dict:
    data = {}
    if from_json:
        with (sys.stdin if from_json == "-" else open(from_json, encoding="utf-8")) as fh:
            try:
                data = json.load(fh)
            except ValueError as exc:
                raise click.UsageError(f"--from-json {from_json}: not valid JSON ({exc})")
    merged = {**data, **{k: v for k, v in given.items() if v not in (None, ())}}
    for key in ("by", "reason"):
        if not merged.get(key):
            raise click.UsageError(f"--{key} is required (or give it in --from-json)")
    answers = {q: merged.get("answers", {}).get(q) or merged.get(q) or "unsure" for q in QUESTIONS}
    bad = {q: a for q, a in answers.items() if a not in ("yes", "no", "unsure")}
    if bad:
        raise click.UsageError(f"answers must be yes, no or unsure: {bad}")
    cats = list(merged.get("categories") or merged.get("category") or ["creative-output"])
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown:
        raise click.UsageError(f"unknown approval category {unknown}; known: {', '.join(CATEGORIES)}")
    return {"by": merged["by"], "reason": merged["reason"], "reference": merged.get("reference"),
            "categories": cats, "answers": answers}


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--by", help="Who gave the written approval (name, role).")
@click.option("--reason", help="Why this AI material may be final.")
@click.option("--reference", help="The studio's approval reference (ticket, email, memo id).")
@click.option("--category", multiple=True, type=click.Choice(CATEGORIES), help="Approval category (repeatable; default creative-output).")
@click.option("--copyright", "copyright_", type=ANSWERS, help=QUESTIONS["copyright"] + " (default unsure)")
@click.option("--data-use", type=ANSWERS, help=QUESTIONS["data_use"])
@click.option("--enterprise-environment", type=ANSWERS, help=QUESTIONS["enterprise_environment"])
@click.option("--final-use", type=ANSWERS, help=QUESTIONS["final_use"])
@click.option("--talent", type=ANSWERS, help=QUESTIONS["talent"])
@click.option("--from-json", type=click.Path(), help="Read the approval (by, reason, reference, categories, answers) from a JSON file, or - for stdin.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def approve(paths, by, reason, reference, category, copyright_, data_use, enterprise_environment, final_use, talent,
            from_json, config_path, ledger_path):
    """Record a written approval for final use of these files' content (not their paths).

    A renamed or copied file stays approved; a changed file is new content and is not.
    """
    from .approvals import approve_files

    a = _approval_input(from_json, by=by, reason=reason, reference=reference, categories=category,
                        copyright=copyright_, data_use=data_use, enterprise_environment=enterprise_environment,
                        final_use=final_use, talent=talent)
    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path)
    with ledger:
        for path, approval_id, cid, verdict in approve_files(fspaths, ledger, cfg, **a):
            note = "" if verdict in AI_VERDICTS else f" (note: its verdict is {verdict})"
            click.echo(f"approval #{approval_id} recorded for {path} (content {cid}){note}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked approvals.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def approvals(as_json, include_revoked, config_path, ledger_path):
    """List the approvals for final use on record."""
    cfg, ledger = _open([os.fsencode(os.getcwd())], config_path, ledger_path, readonly=True)
    with ledger:
        rows = ledger.approvals.all(include_revoked=include_revoked)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no approvals on record")
    for r in rows:
        state = f"REVOKED {r['revoked_at']} by {r['revoked_by']}: {r['revoke_reason']}" if r["revoked_at"] else "active"
        click.echo(f"#{r['id']} {r['created']} {r['path']}\n    by {r['approved_by']}: {r['reason']}"
                   f"{' [' + r['reference'] + ']' if r['reference'] else ''} ({', '.join(r['categories'])}); {state}")


@main.command()
@click.argument("approval_id", type=int)
@click.option("--by", required=True, help="Who revokes it.")
@click.option("--reason", required=True, help="Why.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def revoke(approval_id, by, reason, config_path, ledger_path):
    """Revoke an approval. It stays on record, marked revoked."""
    cfg, ledger = _open([os.fsencode(os.getcwd())], config_path, ledger_path, create=False)
    with ledger:
        ledger.approvals.revoke(approval_id, by, reason)
    click.echo(f"approval #{approval_id} revoked")


@main.command()
@click.argument("root", type=click.Path(file_okay=False), default=".")
@click.option("--production", help="Production name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite an existing aiprov.toml.")
def init(root, production, force):
    """Write a commented starter aiprov.toml at the production root."""
    from .config import CONFIG_NAME, starter

    path = os.path.join(root, CONFIG_NAME)
    if os.path.exists(path) and not force:
        raise click.UsageError(f"{path} exists; use --force to overwrite")
    os.makedirs(root, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(starter(production or os.path.basename(os.path.abspath(root))))
    click.echo(f"wrote {path}: edit the zones, then run: aiprov scan {root}")


@main.command()
@click.argument("roots", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--polling/--native", "polling", default=None,
              help="Force polling (NFS/SMB, where inotify sees nothing) or native events. Default: chosen per root by filesystem type.")
@click.option("--stability", type=float, default=2.0, show_default=True, help="Seconds a file's size and mtime must stay unchanged before it is read.")
@click.option("--reconcile", "reconcile_s", type=float, default=3600.0, show_default=True, help="Seconds between full reconcile walks.")
@click.option("--poll-interval", type=float, default=1.0, show_default=True, help="Seconds between polls (polling observer).")
@click.option("--workers", type=int, default=None, help="Reader processes.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
@host_option
def watch(roots, polling, stability, reconcile_s, poll_interval, workers, log_format, config_path, ledger_path,
          host_id):
    """Watch editorial storage: every file that lands is identified, classified and recorded;
    AI material without an approval in a finals zone is flagged and hooks fire.

    ROOTS default to the production root (where aiprov.toml is). SIGTERM drains
    the queue and exits; SIGHUP reloads the config.
    """
    import logging

    from . import config as config_mod
    from .watch import JsonLogFormatter, WatchOptions, run_daemon

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if log_format == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root_logger = logging.getLogger("aiprov")
    root_logger.handlers[:] = [handler]
    root_logger.setLevel(logging.INFO)
    fspaths = _paths(roots) if roots else []
    cfg = config_mod.for_paths(fspaths or [os.fsencode(os.getcwd())], config_path)
    if not fspaths:
        if cfg.source is None:
            raise click.UsageError("give the folders to watch, or run it inside a production with an aiprov.toml")
        fspaths = [os.fsencode(cfg.root)]
    source = cfg.source

    def reload():
        return config_mod.load(source) if source else cfg

    from .scanning import followed_roots

    roots, links = followed_roots(fspaths)
    for given, real in links.items():
        logging.getLogger("aiprov.watch").info("%s is a link: watching %s, where it leads", given, real)
    options = WatchOptions(roots=roots, polling=polling, stability_s=stability,
                           reconcile_s=reconcile_s, poll_interval_s=poll_interval, workers=workers)
    sys.exit(run_daemon(cfg, cfg.ledger_path(ledger_path), options, reload, host=host_id))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
@host_option
def status(as_json, config_path, ledger_path, host_id):
    """Show this host's running daemon: roots, observers, queue, processed, findings, errors."""
    from . import config as config_mod
    from .ledger import redact
    from .watch import read_status, state_base

    cfg = config_mod.for_paths([os.fsencode(os.getcwd())], config_path)
    target = cfg.ledger_path(ledger_path)
    st = read_status(state_base(target, host_id))
    path = redact(str(target))
    if as_json:
        click.echo(json.dumps({"running": st is not None, "ledger": str(path), **(st or {})}, indent=2))
        sys.exit(0 if st else 1)
    if st is None:
        click.echo(f"no aiprov watch is running on {path}")
        sys.exit(1)
    import time as _time

    click.echo(f"aiprov watch running, pid {st.get('pid')}, ledger {path}")
    for r in st.get("roots", []):
        click.echo(f"  watching {r['path']} ({r['observer']})")
    last = st.get("last_reconcile")
    click.echo(f"  queue {st.get('queue_depth', 0)}, processed {st.get('processed', 0)}, findings {st.get('findings', 0)}, "
               f"hooks run {st.get('hooks_run', 0)} ({st.get('hooks_failed', 0)} failed)")
    click.echo(f"  last reconcile: {_time.strftime('%Y-%m-%d %H:%M:%S', _time.localtime(last)) if last else 'running or not yet'}")
    for e in st.get("errors", []):
        click.echo(f"  error: {e}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--tool", required=True, help="The generator that made these files (e.g. ComfyUI, Runway Gen-3, Adobe Firefly).")
@click.option("--tool-version", help="Its version or model.")
@click.option("--prompt", help="The prompt, for the record.")
@click.option("--parent", "parents", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A file these were made from (repeatable): recorded as lineage.")
@click.option("--note", help="Anything else worth keeping.")
@click.option("--temporary/--final-candidate", "temporary", default=True, show_default=True,
              help="Temp material (the default) or a candidate for final use (still needs aiprov approve).")
@click.option("--composite", is_flag=True, help="Only part of each file is AI (compositeWithTrainedAlgorithmicMedia).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def register(paths, tool, tool_version, prompt, parents, note, temporary, composite, config_path, ledger_path):
    """Record, at birth, that these files are AI output: by which tool, from which parents.

    From then on the content is AI in every scan, whatever its metadata says.
    """
    from .registration import FINAL_CANDIDATE, TEMPORARY, register_files

    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path, no_config_zone="working")
    with ledger:
        done = register_files(fspaths, ledger, cfg, tool=tool, tool_version=tool_version, prompt=prompt,
                              parents=_paths(parents), note=note, status=TEMPORARY if temporary else FINAL_CANDIDATE,
                              composite=composite)
    for r in done:
        click.echo(f"registered {r.path} as {'AI-composite' if composite else 'AI'} output of {tool} "
                   f"(content {r.content_id}, registration #{r.registration_id}"
                   + (f", {len(r.parents)} parent(s)" if r.parents else "") + ")")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--sidecar", "mode", flag_value="sidecar", default=True, help="Write NAME.EXT.xmp beside the file (the default): the file's bytes do not change.")
@click.option("--in-place", "mode", flag_value="in-place", help="Write XMP into the file through exiftool, verified pixel/sample-identical, replaced atomically.")
@click.option("--c2pa", "mode", flag_value="c2pa", help="Sign a C2PA manifest into the file (c2pa.created, parents as ingredients).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="C2PA signing certificate chain (PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="C2PA private key (PEM).")
@click.option("--alg", default="es256", show_default=True, help="C2PA signing algorithm (es256, es384, ps256, ed25519, ...).")
@click.option("--allow-finals", is_flag=True, help="Allow writing into files in a finals zone (their checksums change).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def tag(paths, mode, cert, key, alg, allow_finals, config_path, ledger_path):
    """Write what the ledger knows into the files' metadata, in standard form.

    IPTC DigitalSourceType, xmp:CreatorTool and aiprov's own namespace (content id,
    status temporary / approved-for-final, approval reference, ledger id), so the
    file is recognised on a machine without the ledger.
    """
    from .tagging import tag_files

    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path, no_config_zone="working")
    with ledger:
        done = tag_files(fspaths, ledger, cfg, mode=mode, cert=cert, key=key, alg=alg, allow_finals=allow_finals)
    for t in done:
        if t.mode == "sidecar":
            click.echo(f"tagged {t.path}: sidecar {t.written}")
        else:
            click.echo(f"tagged {t.path} ({t.mode}, decoded content verified identical; content id "
                       f"{t.content_id} -> {t.new_content_id})")



# --- editorial, delivery and disclosure integrations ---------------------------------


def _approve_hint(path: str, ledger_path: str | None) -> str:
    import shlex

    return (f"aiprov approve {shlex.quote(path)} --by NAME --reason TEXT --reference STUDIO-REF"
            + (f" --ledger {shlex.quote(ledger_path)}" if ledger_path else ""))


@main.command()
@click.argument("edit", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print every cut as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="List every cut, not only the ones using AI or unchecked media.")
@click.option("--strict", is_flag=True, help="Also exit 1 when a cut's media cannot be found or read.")
@click.option("--rate", type=float, help="Frame rate of an EDL (EDLs do not say; default 24).")
@click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def timeline(edit, as_json, verbose, strict, rate, workers, config_path, ledger_path):
    """Which cuts of an edit (.otio; EDL, FCP XML with their OTIO adapters) use AI material.

    Each clip's media (file:// URLs or paths, relative ones against the edit's
    folder) is looked up in the ledger, or read. Every cut is finals-bound.
    Exit 1 if any cut uses AI material without an approval for final use.
    """
    from .timeline import CANNOT_CHECK, check_timeline

    from . import config as config_mod

    cfg = config_mod.for_paths(_paths((edit,)), config_path)
    from .errors import NoLedger
    from .ledger import read_only_or_empty

    target = cfg.ledger_path(ledger_path)
    with read_only_or_empty(target) as (ledger, there):
        if not there:
            click.echo(f"aiprov: {NoLedger(str(target))}. Checking the edit from its files alone: no approval or "
                       "lineage is known, so every AI cut counts as unapproved", err=True)
        report = check_timeline(edit, ledger, cfg, rate=rate, workers=workers)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        sys.exit(report.exit_code(strict))
    click.echo(f"{report.name or os.path.basename(edit)}: {len(report.cuts)} cut(s) at {report.rate:g} fps, "
               f"starting {report.start_timecode}")
    labels = {"unapproved": "UNAPPROVED AI", "derived-from-unapproved-ai": "FROM UNAPPROVED AI",
              "approved": "approved AI", CANNOT_CHECK: "CANNOT CHECK", "not needed": "not AI", "flagged": "FLAGGED"}
    for c in report.cuts:
        if not (verbose or c.uses_ai or c.unchecked or c.problem):
            continue
        where = f"{c.record_in}-{c.record_out} ({c.start_seconds:.3f}-{c.end_seconds:.3f} s)"
        muted = "" if c.enabled else " [disabled clip]"
        click.echo(f"{labels.get(c.approval, c.approval):<18} {c.track or '?':<6} {where}  {c.clip!r}{muted}")
        click.echo(f"    file: {c.file or c.media or '(none)'}")
        if c.approval in (CANNOT_CHECK, "flagged"):
            click.echo(f"    {c.verdict}: {c.reason}")
        elif c.uses_ai or verbose:
            click.echo(f"    {c.verdict}{' by ' + c.generator if c.generator else ''}"
                       + (f"; {c.reason}" if c.reason else ""))
        if c.approval == "approved":
            click.echo("    " + "; ".join(f"approval #{a['id']} by {a['by']}" + (f" [{a['reference']}]" if a['reference'] else "")
                                          for a in c.approvals))
        elif c.problem and c.file:
            click.echo("    no approval for final use: replace it in the cut, or record the written approval:\n"
                       f"    {_approve_hint(c.file, ledger_path)}")
    ai = report.ai_cuts
    approved = sum(1 for c in ai if c.approval == "approved")
    click.echo(f"{len(ai)} cut(s) use AI material: {approved} approved, {len(report.problems)} without approval"
               + (f"; {len(report.unchecked)} cut(s) cannot be checked" if report.unchecked else ""))
    sys.exit(report.exit_code(strict))


@main.group()
def mhl():
    """ASC MHL: hold a delivery's hash history against its bytes and the ledger."""


@mhl.command("verify")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="List every file, not only the problems.")
@click.option("--no-record", is_flag=True, help="Do not record the check in the ledger (mhl-verified events).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def mhl_verify(root, as_json, verbose, no_record, config_path, ledger_path):
    """Verify the ASC MHL history in ROOT and hold its xxh128 hashes against the ledger's content ids.

    Reports files whose bytes no longer match the MHL, files it lists that are
    gone or that it does not list, and files whose MHL hash is not the content
    the ledger recorded at that path. Exit 1 on any of those, or when there is
    no usable history.
    """
    from .mhl import verify

    cfg, ledger = _open(_paths((root,)), config_path, ledger_path)
    with ledger:
        result = verify(root, ledger, record=not no_record)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        sys.exit(result.exit_code)
    gens = result.generations
    click.echo(f"ASC MHL history of {result.root}: {len(gens)} generation(s), newest {gens[-1]['file']}"
               f" ({gens[-1]['created']}, {gens[-1]['tool']})" if gens else f"{result.root}: no generation")
    for f in result.files:
        if verbose or f.status != "ok":
            click.echo(f"{f.status.upper() if f.status != 'ok' else 'ok':<16} {f.path}: {f.message}")
    s = result.summary()
    counts = ", ".join(f"{n} {k}" for k, n in s["by_status"].items())
    click.echo(f"{s['files']} file(s): {counts}; {s['matching_ledger']} match the ledger's content ids")
    sys.exit(result.exit_code)


@main.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--author", help="Who seals the delivery (ASC MHL <author>).")
@click.option("--role", help="Their role (e.g. 'Post supervisor').")
@click.option("--location", help="Where it is sealed (ASC MHL <location>).")
@click.option("--comment", help="A note to put before aiprov's own in the generation's <comment>.")
@click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="aiprov.toml to use (default: found above ROOT).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def seal(root, author, role, location, comment, workers, config_path, ledger_path):
    """Scan a delivery and, only if it is clean, write an ASC MHL generation (xxh128) for it.

    The generation's comment says aiprov checked it. Refused (exit 1, nothing
    written to ROOT) when the scan has error findings, or when an existing MHL
    history no longer matches the files.
    """
    from . import config as config_mod
    from .ledger import Ledger
    from .mhl import seal as run_seal
    from .mhl import ledger_kept_only_if_sealed

    cfg = config_mod.for_paths(_paths((root,)), config_path)
    with ledger_kept_only_if_sealed(cfg.ledger_path(ledger_path)) as target:
        with Ledger(target) as ledger:
            result = run_seal(root, cfg, ledger, author=author, role=role, location=location, comment=comment,
                              workers=workers)
    s = result.scan.summary()
    click.echo(f"scan: {s['files']} file(s), 0 error findings")
    click.echo(f"sealed {result.root}: generation {result.generation} ({result.mhl_file}), "
               f"{result.files} file(s) hashed (xxh128)")
    click.echo(f"comment: {result.comment}")
    if result.changed_while_sealing:
        click.echo("aiprov: these files changed between the scan and the MHL, so the generation records bytes that "
                   "were not checked: " + ", ".join(result.changed_while_sealing)
                   + f"; run: aiprov scan {root} && aiprov mhl verify {root}", err=True)
        sys.exit(1)


@main.group()
def report():
    """Reports built from the ledger."""


@report.command("disclosure")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here (default: stdout).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="aiprov.toml (default: found above the current folder).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def report_disclosure(fmt, output, config_path, ledger_path):
    """The generative-AI disclosure for the studio: every AI asset that reached finals, with its approvals.

    For each: the approval(s) for final use (who, when, why, reference,
    categories, the five answers), generator and paths; and every AI asset in
    finals still without an approval. JSON: schemas/disclosure.schema.json.
    """
    from .disclosure import RENDERERS, build

    cfg, ledger = _open([os.fsencode(os.getcwd())], config_path, ledger_path, readonly=True)
    with ledger:
        data = build(ledger, cfg.production)
    text = RENDERERS[fmt](data)
    if output:
        with open(output, "w", encoding="utf-8", newline="" if fmt == "csv" else None) as fh:
            fh.write(text)
    else:
        click.echo(text, nl=not text.endswith("\n"))
    s = data["summary"]
    if output or s["unapproved"]:
        click.echo(f"aiprov: {s['ai_assets_in_finals']} AI asset(s) reached finals: {s['approved']} approved, "
                   f"{s['unapproved']} without an approval" + (f"; written to {output}" if output else ""), err=True)


# --- the ledger itself: facility moves and upgrades -------------------------------------


@main.group("ledger")
def ledger_group():
    """The ledger itself: what it holds, schema upgrades, moving it between SQLite and PostgreSQL."""


def _ledger_target(config_path: str | None, ledger_path: str | None):
    from . import config as config_mod

    return config_mod.for_paths([os.fsencode(os.getcwd())], config_path).ledger_path(ledger_path)


@ledger_group.command("info")
@click.option("--json", "as_json", is_flag=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def ledger_info(as_json, config_path, ledger_path):
    """Which database, which schema, how much it holds, and which hosts write to it."""
    from .ledger import Ledger

    with Ledger(_ledger_target(config_path, ledger_path), readonly=True) as ledger:
        info = ledger.hosts.describe()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['backend']} ledger {info['ledger']} (id {info['ledger_id'] or 'not given yet'}), "
               f"schema {info['schema']}")
    click.echo("  " + ", ".join(f"{n:,} {t}" for t, n in info["rows"].items() if n))
    for h in info["hosts"]:
        click.echo(f"  host {h['host']}: {h['live']:,} live location(s), last seen {h['last_seen']}")
    for d in info["daemons"]:
        click.echo(f"  daemon on {d['host']}: pid {d['pid']}, started {d['started']}, last heartbeat {d['heartbeat']}")


@ledger_group.command("migrate")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def ledger_migrate(config_path, ledger_path):
    """Bring the ledger's schema up to this aiprov's (a shared ledger is only upgraded by this command)."""
    from .ledger import Ledger

    with Ledger(_ledger_target(config_path, ledger_path), migrate=False, check=False) as ledger:
        before = ledger.schema_version
        ledger.migrate()
        after = ledger.schema_version
    if before == after:
        click.echo(f"the ledger at {ledger.path} is already at schema {after}")
    else:
        click.echo(f"migrated the ledger at {ledger.path} from schema {before} to {after}")


@ledger_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def ledger_export(file, config_path, ledger_path):
    """Write every row of the ledger to FILE (JSON Lines; gzip if it ends in .gz)."""
    from .ledger import Ledger
    from .ledger.transfer import export

    with Ledger(_ledger_target(config_path, ledger_path), readonly=True) as ledger:
        report = export(ledger, file)
    click.echo(f"exported {report.total:,} rows (schema {report.schema}) from {ledger.path} to {file}")


@ledger_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--rename-host", "renames", multiple=True, metavar="OLD=NEW",
              help="Give the locations seen by host OLD to host NEW (repeatable): a single machine's ledger "
                   "joining a facility whose daemons use other host ids.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
def ledger_import(file, renames, config_path, ledger_path):
    """Load an export into an empty ledger: every row and id, or nothing."""
    from .ledger import Ledger
    from .ledger.transfer import import_

    pairs = {}
    for r in renames:
        if "=" not in r:
            raise click.BadParameter(f"{r!r}: write OLD=NEW", param_hint="--rename-host")
        old, new = r.split("=", 1)
        pairs[old] = new
    with Ledger(_ledger_target(config_path, ledger_path)) as ledger:
        report = import_(ledger, file, pairs)
    click.echo(f"imported {report.total:,} rows (schema {report.schema}) from {file} into {ledger.path}")


if __name__ == "__main__":
    main()
