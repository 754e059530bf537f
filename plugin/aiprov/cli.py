"""The command line: parse, call the library, hand the result to reports.render, exit with
the result's exit code. Rendering lives in reports/, deciding in the library.

Exit codes, for delivery scripts: 0 nothing wrong, 1 findings (or files that
are AI / unreadable, for `inspect --fail-on`), 2 usage or config error,
3 the ledger could not be used.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from .approval_form import ANSWERS, CATEGORIES, QUESTIONS
from .errors import UsageError, for_people
from .version import __version__


def _paths(paths: tuple[str, ...]) -> list[bytes]:
    # click gives str with surrogate escapes for undecodable bytes; the OS wants the bytes back.
    return [os.fsencode(p) for p in paths]


def _here() -> list[bytes]:
    return [os.fsencode(os.getcwd())]


def _render(result, fmt: str = "text", output: str | None = None, exit_code: int | None = None, **options):
    """Every command ends here: the result rendered, and its exit code."""
    from .reports import render

    render(result, fmt, output, **options)
    sys.exit(result.exit_code if exit_code is None else exit_code)


@contextmanager
def _usage():
    """The library's usage errors, shown as click shows its own: with the command's usage line."""
    try:
        yield
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


class AiprovGroup(click.Group):
    """Turns the errors aiprov can explain into one-line messages and their exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            explained = for_people(exc)
            if explained is None:
                raise
            click.echo(f"aiprov: {explained[0]}", err=True)
            sys.exit(explained[1])


@click.group(cls=AiprovGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aiprov")
def main() -> None:
    """aiprov: keep temporary generative-AI material out of final deliverables.

    Reads provenance (C2PA, IPTC digital source type, generator markers,
    sidecars), records every file's history in a ledger, and flags AI
    material that reached a finals zone without a written approval.
    """


LEDGER_HELP = ("Ledger: a SQLite file, or a postgresql:// URL for a facility's shared ledger (default: AIPROV_LEDGER, "
               "else the config's, else .aiprov/ledger.db under the production root).")
ledger_option = click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False), help=LEDGER_HELP)
host_option = click.option(
    "--host-id", "host_id", envvar="AIPROV_HOST_ID", default=None, metavar="NAME",
    help="Which host's paths these are, on a ledger several hosts share (default: AIPROV_HOST_ID, else this "
         "machine's name).")
workers_option = click.option("--workers", type=int, default=None, help="Reader processes (default: up to 4).")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                             help="Write the report here (default: stdout).")


def config_and_ledger(config_help: str | None = None):
    """--config and --ledger: every command that needs the ledger finds it the same way."""
    config = click.option("--config", "config_path", type=click.Path(dir_okay=False), help=config_help)
    return lambda command: config(ledger_option(command))


def _ledger_target(config_path: str | None, ledger_path: str | None, paths: list[bytes] | None = None,
                   no_config_zone: str = "finals"):
    """The config governing `paths` (default: the current folder) and where its ledger is."""
    from . import config as config_mod

    cfg = config_mod.for_paths(paths or _here(), config_path, no_config_zone)
    return cfg, cfg.ledger_path(ledger_path)


def _open(paths: list[bytes], config_path: str | None, ledger_path: str | None, no_config_zone: str = "finals",
          host: str | None = None, readonly: bool = False, create: bool = True):
    """The config governing `paths` and its ledger. readonly: for commands that only read, which
    never create, upgrade or write a ledger; create=False: a ledger that must already exist."""
    from .ledger import Ledger

    cfg, target = _ledger_target(config_path, ledger_path, paths, no_config_zone)
    return cfg, Ledger(target, host=host, readonly=readonly, create=create)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file (schemas/inspect.schema.json).")
@click.option("-v", "--verbose", is_flag=True, help="Show every piece of evidence, not only what decided the verdict.")
@workers_option
@click.option("--timeout", "timeout_s", type=float, default=60.0, show_default=True, help="Seconds allowed per file before it is declared unreadable.")
@click.option("--network/--no-network", default=False, show_default=True, help="Let C2PA fetch remote manifests and OCSP.")
@click.option("--trust-anchors", type=click.Path(exists=True, dir_okay=False), help="PEM file of C2PA trust anchors.")
@click.option("--fail-on", type=click.Choice(["never", "ai", "ai-or-unreadable"]), default="never", show_default=True,
              help="Exit 1 when a file is AI (or unreadable).")
def inspect(paths, as_json, verbose, workers, timeout_s, network, trust_anchors, fail_on):
    """Read the provenance of files (folders are searched) and say whether they are AI.

    Reads only: nothing is written anywhere, the ledger included.
    """
    from .pipeline import inspect_files
    from .reader import ReadSettings

    result = inspect_files(_paths(paths), ReadSettings(network=network, trust_anchors=trust_anchors), workers=workers,
                           timeout_s=timeout_s, fail_on=fail_on)
    _render(result, "json" if as_json else "text", verbose=verbose)


# --- the ledger commands ------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "csv", "html"]), default="text",
              show_default=True)
@output_option
@config_and_ledger("aiprov.toml to use (default: found above the first path).")
@workers_option
@click.option("-v", "--verbose", is_flag=True, help="List every file, not only the ones with findings.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on when stderr is a terminal).")
@host_option
def scan(paths, fmt, output, config_path, ledger_path, workers, verbose, progress, host_id):
    """The pre-delivery gate: check a delivery (or a production) and record it in the ledger.

    Without an aiprov.toml, every file under PATHS is treated as finals (it is a
    delivery). Exit status: 0 no error findings, 1 error findings, 2 usage or
    config error, 3 ledger unusable.
    """
    from .reports.common import progress_bar
    from .scanning import scan as run_scan

    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path, host=host_id)
    every_file = verbose or fmt != "text"  # the text report lists findings; the others list every file
    with ledger, progress_bar(sys.stderr.isatty() if progress is None else progress) as on_progress:
        result = run_scan(fspaths, cfg, ledger, workers=workers, progress=on_progress, every_file=every_file)
    _render(result, fmt, output, verbose=verbose)


@main.command()
@click.argument("path", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@config_and_ledger()
def lookup(path, as_json, config_path, ledger_path):
    """Where did this file come from, is any of it AI, who approved it, what copies exist."""
    from .lookup import lookup as run_lookup

    cfg, ledger = _open(_paths((path,)), config_path, ledger_path, readonly=True)
    with ledger:
        result = run_lookup(os.fsencode(path), ledger, cfg)
    _render(result, "json" if as_json else "text")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--by", help="Who gave the written approval (name, role).")
@click.option("--reason", help="Why this AI material may be final.")
@click.option("--reference", help="The studio's approval reference (ticket, email, memo id).")
@click.option("--category", multiple=True, type=click.Choice(CATEGORIES), help="Approval category (repeatable; default creative-output).")
@click.option("--copyright", "copyright_", type=click.Choice(ANSWERS), help=QUESTIONS["copyright"][1] + " (default unsure)")
@click.option("--data-use", type=click.Choice(ANSWERS), help=QUESTIONS["data_use"][1])
@click.option("--enterprise-environment", type=click.Choice(ANSWERS), help=QUESTIONS["enterprise_environment"][1])
@click.option("--final-use", type=click.Choice(ANSWERS), help=QUESTIONS["final_use"][1])
@click.option("--talent", type=click.Choice(ANSWERS), help=QUESTIONS["talent"][1])
@click.option("--from-json", type=click.Path(), help="Read the approval (by, reason, reference, categories, answers) from a JSON file, or - for stdin.")
@config_and_ledger()
def approve(paths, by, reason, reference, category, copyright_, data_use, enterprise_environment, final_use, talent,
            from_json, config_path, ledger_path):
    """Record a written approval for final use of these files' content (not their paths).

    A renamed or copied file stays approved; a changed file is new content and is not.
    """
    from .approval_form import read_form
    from .approvals import approve_files
    from .model import AI_VERDICTS

    with _usage():
        form = read_form(from_json, by=by, reason=reason, reference=reference, categories=category,
                         copyright=copyright_, data_use=data_use, enterprise_environment=enterprise_environment,
                         final_use=final_use, talent=talent)
    fspaths = _paths(paths)
    cfg, ledger = _open(fspaths, config_path, ledger_path)
    with ledger:
        for path, approval_id, cid, verdict in approve_files(fspaths, ledger, cfg, **form):
            note = "" if verdict in AI_VERDICTS else f" (note: its verdict is {verdict})"
            click.echo(f"approval #{approval_id} recorded for {path} (content {cid}){note}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked approvals.")
@config_and_ledger()
def approvals(as_json, include_revoked, config_path, ledger_path):
    """List the approvals for final use on record."""
    from .approvals import list_approvals

    cfg, ledger = _open(_here(), config_path, ledger_path, readonly=True)
    with ledger:
        result = list_approvals(ledger, include_revoked=include_revoked)
    _render(result, "json" if as_json else "text")


@main.command()
@click.argument("approval_id", type=int)
@click.option("--by", required=True, help="Who revokes it.")
@click.option("--reason", required=True, help="Why.")
@config_and_ledger()
def revoke(approval_id, by, reason, config_path, ledger_path):
    """Revoke an approval. It stays on record, marked revoked."""
    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger:
        ledger.approvals.revoke(approval_id, by, reason)
    click.echo(f"approval #{approval_id} revoked")


@main.command()
@click.argument("root", type=click.Path(file_okay=False), default=".")
@click.option("--production", help="Production name (default: the folder's name).")
@click.option("--force", is_flag=True, help="Overwrite an existing aiprov.toml.")
def init(root, production, force):
    """Write a commented starter aiprov.toml at the production root."""
    from .config import write_starter

    with _usage():
        path = write_starter(root, production, force)
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
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None, metavar="PORT",
              help="Serve Prometheus metrics at http://ADDRESS:PORT/metrics (queue, files by verdict, findings by rule, "
                   "reader crashes and time-outs, ledger errors and retries, reconcile progress).")
@click.option("--metrics-address", default="127.0.0.1", show_default=True, help="Where the metrics server listens.")
@config_and_ledger()
@host_option
def watch(roots, polling, stability, reconcile_s, poll_interval, workers, log_format, metrics_port, metrics_address,
          config_path, ledger_path, host_id):
    """Watch editorial storage: every file that lands is identified, classified and recorded;
    AI material without an approval in a finals zone is flagged and hooks fire.

    ROOTS default to the production root (where aiprov.toml is). SIGTERM drains
    the queue and exits; SIGHUP reloads the config.
    """
    from .watch import WatchOptions, log_to_stderr, reloader, roots_to_watch, run_daemon

    log_to_stderr(log_format)
    cfg, target = _ledger_target(config_path, ledger_path, _paths(roots))
    with _usage():
        found = roots_to_watch(_paths(roots), cfg)
    options = WatchOptions(roots=found, polling=polling, stability_s=stability, reconcile_s=reconcile_s,
                           poll_interval_s=poll_interval, workers=workers, metrics_port=metrics_port,
                           metrics_address=metrics_address)
    sys.exit(run_daemon(cfg, target, options, reloader(cfg), host=host_id))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@config_and_ledger()
@host_option
def status(as_json, config_path, ledger_path, host_id):
    """Show this host's running daemon: roots, observers, queue, processed, findings, errors."""
    from .watch import daemon_status

    _render(daemon_status(_ledger_target(config_path, ledger_path)[1], host_id), "json" if as_json else "text")


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
@config_and_ledger()
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
@config_and_ledger()
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


@main.command()
@click.argument("edit", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print every cut as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="List every cut, not only the ones using AI or unchecked media.")
@click.option("--strict", is_flag=True, help="Also exit 1 when a cut's media cannot be found or read.")
@click.option("--rate", type=float, help="Frame rate of an EDL (EDLs do not say; default 24).")
@workers_option
@config_and_ledger()
def timeline(edit, as_json, verbose, strict, rate, workers, config_path, ledger_path):
    """Which cuts of an edit (.otio; EDL, FCP XML with their OTIO adapters) use AI material.

    Each clip's media (file:// URLs or paths, relative ones against the edit's
    folder) is looked up in the ledger, or read. Every cut is finals-bound.
    Exit 1 if any cut uses AI material without an approval for final use.
    """
    from .timeline import check_edit

    cfg, target = _ledger_target(config_path, ledger_path, _paths((edit,)))
    result = check_edit(edit, cfg, target, rate=rate, workers=workers)
    _render(result, "json" if as_json else "text", exit_code=result.exit_code(strict), verbose=verbose,
            ledger_path=ledger_path)


@main.group()
def mhl():
    """ASC MHL: hold a delivery's hash history against its bytes and the ledger."""


@mhl.command("verify")
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="List every file, not only the problems.")
@click.option("--no-record", is_flag=True, help="Do not record the check in the ledger (mhl-verified events).")
@config_and_ledger()
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
    _render(result, "json" if as_json else "text", verbose=verbose)


@main.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False))
@click.option("--author", help="Who seals the delivery (ASC MHL <author>).")
@click.option("--role", help="Their role (e.g. 'Post supervisor').")
@click.option("--location", help="Where it is sealed (ASC MHL <location>).")
@click.option("--comment", help="A note to put before aiprov's own in the generation's <comment>.")
@workers_option
@config_and_ledger("aiprov.toml to use (default: found above ROOT).")
def seal(root, author, role, location, comment, workers, config_path, ledger_path):
    """Scan a delivery and, only if it is clean, write an ASC MHL generation (xxh128) for it.

    The generation's comment says aiprov checked it. Refused (exit 1, nothing
    written to ROOT) when the scan has error findings, or when an existing MHL
    history no longer matches the files.
    """
    from .ledger import Ledger
    from .mhl import ledger_kept_only_if_sealed
    from .mhl import seal as run_seal

    cfg, target = _ledger_target(config_path, ledger_path, _paths((root,)))
    with ledger_kept_only_if_sealed(target) as where, Ledger(where) as ledger:
        result = run_seal(root, cfg, ledger, author=author, role=role, location=location, comment=comment,
                          workers=workers)
    _render(result)


@main.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback shares the desk with the network: put TLS in front.")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--behind-tls", is_flag=True, help="A TLS proxy is in front: cookies are sent over HTTPS only.")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS with this certificate (PEM).")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="... and this private key (PEM).")
@click.option("--thumbnails", type=click.Path(file_okay=False),
              help="Where previews are cached (default: $XDG_CACHE_HOME/aiprov/thumbnails).")
@click.option("--reread", "reread_s", type=click.FloatRange(min=0), default=10.0, show_default=True, metavar="SECONDS",
              help="How often the open findings are read again whole. A finding raised or resolved shows at "
                   "once; a severity rewritten in place, or a generator read again, within this time.")
@config_and_ledger("aiprov.toml (default: found above the current folder).")
@host_option
def serve(bind, port, behind_tls, certfile, keyfile, thumbnails, reread_s, config_path, ledger_path, host_id):
    """The review and approval desk: a local web app over the ledger for the people who sign off.

    Open findings with previews and evidence, each asset's history and lineage, approvals
    recorded under the signed-in user, the disclosure report, the daemon's status, and a JSON
    API for pipelines (bearer tokens from `aiprov users token`). Users: `aiprov users add`.
    """
    from .desk.app import DeskSettings
    from .desk.server import serve as run

    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together")
    cfg, target = _ledger_target(config_path, ledger_path)
    sys.exit(run(DeskSettings(ledger=target, config=cfg, host=host_id, thumbnails=thumbnails, reread_s=reread_s),
                 bind, port, certfile, keyfile, behind_tls))


@main.group()
def users():
    """The desk's users: viewers read, approvers also approve and revoke, admins also manage users."""


def _password(from_stdin: bool, prompt: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin: no password on standard input")
        return line
    if prompt and sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    if prompt:
        raise click.UsageError("give the password on standard input with --password-stdin (or run it in a terminal, "
                               "or pass --no-password for an account that only uses API tokens)")
    return None


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "approver", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--no-password", is_flag=True, help="An account for a pipeline: it cannot sign in, only use API tokens.")
@config_and_ledger()
def users_add(name, role, password_stdin, no_password, config_path, ledger_path):
    """Add a user who can sign in to the desk (`aiprov serve`)."""
    from .desk.accounts import add_user

    password = None if no_password else _password(password_stdin, prompt=True)
    cfg, ledger = _open(_here(), config_path, ledger_path)
    with ledger, _usage():
        add_user(ledger, name, role, password)
    click.echo(f"added {name} ({role})" + (", tokens only" if no_password else ""))


@users.command("token")
@click.argument("name")
@config_and_ledger()
def users_token(name, config_path, ledger_path):
    """Print a new API token for NAME (shown once; the ledger keeps only its hash)."""
    from .desk.accounts import issue_token

    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger, _usage():
        click.echo(issue_token(ledger, name))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@config_and_ledger()
def users_list(as_json, config_path, ledger_path):
    """List the desk's users, their roles and tokens."""
    from .desk.accounts import list_users

    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger:
        result = list_users(ledger)
    _render(result, "json" if as_json else "text")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "approver", "admin"]))
@config_and_ledger()
def users_role(name, role, config_path, ledger_path):
    """Give NAME another role."""
    from .desk.accounts import set_role

    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger, _usage():
        set_role(ledger, name, role)
    click.echo(f"{name} is now {role}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@config_and_ledger()
def users_password(name, password_stdin, config_path, ledger_path):
    """Set NAME's password (their open sessions end)."""
    from .desk.accounts import set_password

    password = _password(password_stdin, prompt=True)
    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger, _usage():
        set_password(ledger, name, password)
    click.echo(f"password of {name} changed")


@users.command("remove")
@click.argument("name")
@config_and_ledger()
def users_remove(name, config_path, ledger_path):
    """Remove NAME: no sign-in, every token revoked; their approvals stay on record under their name."""
    cfg, ledger = _open(_here(), config_path, ledger_path, create=False)
    with ledger:
        revoked = ledger.users.remove(name)
    click.echo(f"removed {name}" + (f"; {revoked} token(s) revoked" if revoked else ""))


@main.group()
def report():
    """Reports built from the ledger."""


@report.command("disclosure")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv"]), default="html", show_default=True)
@output_option
@config_and_ledger("aiprov.toml (default: found above the current folder).")
def report_disclosure(fmt, output, config_path, ledger_path):
    """The generative-AI disclosure for the studio: every AI asset that reached finals, with its approvals.

    For each: the approval(s) for final use (who, when, why, reference,
    categories, the five answers), generator and paths; and every AI asset in
    finals still without an approval. JSON: schemas/disclosure.schema.json.
    """
    from .disclosure import build

    cfg, ledger = _open(_here(), config_path, ledger_path, readonly=True)
    with ledger:
        result = build(ledger, cfg.production)
    _render(result, fmt, output)


# --- the ledger itself: facility moves and upgrades -------------------------------------


@main.group("ledger")
def ledger_group():
    """The ledger itself: what it holds, schema upgrades, moving it between SQLite and PostgreSQL."""


@ledger_group.command("info")
@click.option("--json", "as_json", is_flag=True)
@config_and_ledger()
def ledger_info(as_json, config_path, ledger_path):
    """Which database, which schema, how much it holds, and which hosts write to it."""
    from .ledger import Ledger
    from .ledger.info import describe

    with Ledger(_ledger_target(config_path, ledger_path)[1], readonly=True) as ledger:
        result = describe(ledger)
    _render(result, "json" if as_json else "text")


@ledger_group.command("migrate")
@config_and_ledger()
def ledger_migrate(config_path, ledger_path):
    """Bring the ledger's schema up to this aiprov's (a shared ledger is only upgraded by this command)."""
    from .ledger import Ledger

    with Ledger(_ledger_target(config_path, ledger_path)[1], migrate=False, check=False) as ledger:
        before = ledger.schema_version
        ledger.migrate()
        after = ledger.schema_version
    click.echo(f"the ledger at {ledger.path} is already at schema {after}" if before == after
               else f"migrated the ledger at {ledger.path} from schema {before} to {after}")


@ledger_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@config_and_ledger()
def ledger_export(file, config_path, ledger_path):
    """Write every row of the ledger to FILE (JSON Lines; gzip if it ends in .gz)."""
    from .ledger import Ledger
    from .ledger.transfer import export

    with Ledger(_ledger_target(config_path, ledger_path)[1], readonly=True) as ledger:
        done = export(ledger, file)
    click.echo(f"exported {done.total:,} rows (schema {done.schema}) from {ledger.path} to {file}")


def _renames(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        if "=" not in value:
            raise click.BadParameter(f"{value!r}: write OLD=NEW", param_hint="--rename-host")
        old, new = value.split("=", 1)
        pairs[old] = new
    return pairs


@ledger_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--rename-host", "renames", multiple=True, metavar="OLD=NEW", callback=_renames,
              help="Give the locations seen by host OLD to host NEW (repeatable): a single machine's ledger "
                   "joining a facility whose daemons use other host ids.")
@config_and_ledger()
def ledger_import(file, renames, config_path, ledger_path):
    """Load an export into an empty ledger: every row and id, or nothing."""
    from .ledger import Ledger
    from .ledger.transfer import import_

    with Ledger(_ledger_target(config_path, ledger_path)[1]) as ledger:
        done = import_(ledger, file, renames)
    click.echo(f"imported {done.total:,} rows (schema {done.schema}) from {file} into {ledger.path}")


if __name__ == "__main__":
    main()
