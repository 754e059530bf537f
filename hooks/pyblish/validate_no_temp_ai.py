"""Pyblish validator: temporary generative-AI material does not get published to finals.

Put this folder on the plug-in path (PYBLISHPLUGINPATH=/path/to/aiprov/hooks/pyblish,
or pyblish.api.register_plugin_path). The host's Python needs the `aiprov`
package importable (same venv, or aiprov's plugin/ folder on PYTHONPATH).

What it reads from each instance (paths may be files or folders; folders are searched):

- instance.data["files"]: a path or a list of paths; relative ones are taken
  against instance.data["stagingDir"] when set, else the current folder.
- instance.data["representations"][*]: each representation's "files" (a name or
  a list of names, as pyblish/OpenPype/AYON write them) joined to its
  "stagingDir" (else the instance's); a representation with a "stagingDir" and
  no "files" means that whole folder.

Is the publish finals-bound? The first of these that is set decides:

1. instance.data["aiprov_finals"]: True/False for this instance;
2. context.data["aiprov_finals"]: True/False for the whole publish;
3. context.data["aiprov_finals_families"]: a list of families; an instance is
   finals-bound when its instance.data["family"] or any of
   instance.data["families"] is in it;
4. otherwise every publish is finals-bound.

A finals-bound instance fails validation when one of its files is AI
(`ai` / `ai-composite`: what the file declares, or what `aiprov register`
recorded) with no active approval for final use in the ledger (approvals
belong to the content, so a renamed copy of approved material passes), was
made from unapproved AI material (lineage), or cannot be read (fail closed).

Every file's findings (all of them, warnings too) are left in
instance.data["aiprov_findings"] ({path: [finding, ...]}) for later plug-ins.

The ledger is the one the command line uses: instance.data["aiprov_ledger"] or
context.data["aiprov_ledger"], else AIPROV_LEDGER, else the production's
aiprov.toml (found above the first file; context.data["aiprov_config"] names
one explicitly), else .aiprov/ledger.db under the production root. The
validator only reads: it records nothing.
"""

from __future__ import annotations

import os
import shlex

import pyblish.api


def instance_files(instance) -> list[str]:
    """The absolute paths an instance publishes, in order, without duplicates."""
    data = instance.data
    staging = data.get("stagingDir")
    out: list[str] = []

    def as_list(value):
        if not value:
            return []
        return [value] if isinstance(value, (str, bytes, os.PathLike)) else list(value)

    def add(name, base):
        path = os.path.expanduser(os.fsdecode(os.fspath(name)))
        if not os.path.isabs(path) and base:
            path = os.path.join(os.fsdecode(os.fspath(base)), path)
        out.append(os.path.abspath(path))

    for name in as_list(data.get("files")):
        add(name, staging)
    for rep in data.get("representations") or []:
        base = rep.get("stagingDir") or staging
        names = as_list(rep.get("files"))
        if not names and rep.get("stagingDir"):
            add(rep["stagingDir"], None)
        for name in names:
            add(name, base)
    return list(dict.fromkeys(out))


def finals_bound(instance) -> bool:
    if instance.data.get("aiprov_finals") is not None:
        return bool(instance.data["aiprov_finals"])
    context = instance.context
    if context.data.get("aiprov_finals") is not None:
        return bool(context.data["aiprov_finals"])
    families = context.data.get("aiprov_finals_families")
    if families is not None:
        mine = {instance.data.get("family"), *(instance.data.get("families") or [])}
        return bool(mine & set(families))
    return True


def approve_command(path: str, ledger: str | None) -> str:
    return (f"aiprov approve {shlex.quote(path)} --by 'NAME, ROLE' --reason 'WHY IT MAY BE FINAL' "
            "--reference STUDIO-REF" + (f" --ledger {shlex.quote(ledger)}" if ledger else ""))


class ValidateNoTempAI(pyblish.api.InstancePlugin):
    """Generative-AI material is temporary unless approved in writing for final use."""

    order = pyblish.api.ValidatorOrder
    label = "No unapproved generative AI in finals (aiprov)"
    families = ["*"]
    hosts = ["*"]

    def process(self, instance):
        if not finals_bound(instance):
            self.log.info("not finals-bound: AI material is allowed as temp here")
            return
        paths = instance_files(instance)
        if not paths:
            self.log.info("no files to check")
            return

        from aiprov import config as config_mod
        from aiprov.checking import Checker
        from aiprov.ledger import read_only_or_empty
        from aiprov.policy import FINALS

        explicit = instance.data.get("aiprov_ledger") or instance.context.data.get("aiprov_ledger")
        cfg = config_mod.for_paths([os.fsencode(paths[0])], instance.context.data.get("aiprov_config"))
        ledger_path = str(cfg.ledger_path(explicit))
        # the command must name the ledger when the command line would not find it by itself
        hint_ledger = ledger_path if explicit or os.environ.get("AIPROV_LEDGER") else None

        problems = []
        for path in paths:
            if not os.path.lexists(path):
                problems.append(f"{os.path.basename(path)} cannot be checked: it is not there.\n"
                                f"    file: {path}")
        present = [p for p in paths if os.path.lexists(p)]
        with read_only_or_empty(ledger_path) as (ledger, there):
            if not there:
                self.log.warning("no aiprov ledger at %s: no approval is known, so any AI material fails", ledger_path)
            with Checker(cfg, ledger) as checker:
                # the same judgement as `aiprov scan` in a finals zone: one rule book for both
                checked = checker.look(present, zone=FINALS)
        # for later plug-ins (an integrator that files a ticket, a report): every finding per file
        instance.data["aiprov_findings"] = {c.inspection.path: [f.to_dict() for f in c.findings] for c in checked}
        for c in checked:
            errors = [f for f in c.findings if f.severity == "error"]
            if not errors:
                self.log.debug("%s: %s%s", c.inspection.path, c.inspection.verdict, " (approved)" if c.approved else "")
                continue
            problems.append(problem_text(c, errors, hint_ledger))
        if problems:
            raise pyblish.api.ValidationError(
                f"Publishing {instance.data.get('name') or instance.name!r} to finals is blocked: "
                f"{len(problems)} file(s) need attention.\n\n" + "\n\n".join(problems))
        self.log.info("%d file(s) checked: no unapproved generative-AI material", len(checked))


def problem_text(checked, errors, hint_ledger: str | None) -> str:
    """What an artist reads, rule by rule of the gate's findings: which file, why, and what to do."""
    insp = checked.inspection
    name = os.path.basename(insp.path)
    out = []
    for f in errors:
        if f.rule == "ai-in-finals":
            what = "AI-generated" if insp.verdict == "ai" else "partly AI-generated (composite)"
            by = f" ({insp.generator})" if insp.generator else ""
            out.append(f"{name} is {what}{by} and has no written approval for final use.\n"
                       f"    file: {insp.path}\n    why aiprov says so: {insp.reason}\n"
                       "    AI material is temp by default. Replace it with non-AI material, or have the "
                       "written approval recorded (supervisor / production):\n"
                       f"      {approve_command(insp.path, hint_ledger)}")
        elif f.rule == "derived-from-ai":
            out.append(f"{name} was made from AI material that has no written approval for final use "
                       f"({checked.ai_ancestor}).\n    file: {insp.path}\n"
                       "    Replace it, or have the source (or this file) approved:\n"
                       f"      {approve_command(insp.path, hint_ledger)}")
        elif f.rule == "unreadable-in-finals":
            out.append(f"{name} cannot be checked, so it cannot go to finals: {insp.error}\n"
                       f"    file: {insp.path}\n    Re-export or re-copy it.")
        else:
            out.append(f"{name}: {f.message}\n    file: {insp.path}")
    return "\n".join(out)
