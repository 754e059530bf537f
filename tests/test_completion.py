"""Shell completion through click, as the README tells users to enable it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AIPROV = Path(sys.executable).parent / "aiprov"  # the installed entry point: completion keys on its name


def run(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(AIPROV)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _aiprov_completion aiprov"),
    ("zsh", "#compdef aiprov"),
    ("fish", "complete --no-files --command aiprov"),
])
def test_completion_script_is_printed_for_each_shell(shell, marker):
    r = run({"_AIPROV_COMPLETE": f"{shell}_source"})
    assert r.returncode == 0, r.stderr
    assert marker in r.stdout and "_AIPROV_COMPLETE" in r.stdout


def test_completing_aiprov_sc_offers_scan():
    r = run({"_AIPROV_COMPLETE": "bash_complete", "COMP_WORDS": "aiprov sc", "COMP_CWORD": "1"})
    assert r.stdout.split() == ["plain,scan"]


def test_completing_a_subcommand_of_a_group_offers_it():
    r = run({"_AIPROV_COMPLETE": "bash_complete", "COMP_WORDS": "aiprov report d", "COMP_CWORD": "2"})
    assert r.stdout.split() == ["plain,disclosure"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_readme_line_enables_completion_in_a_real_bash():
    script = ('eval "$(_AIPROV_COMPLETE=bash_source aiprov)"; complete -p aiprov; '
              'COMP_WORDS=(aiprov ti); COMP_CWORD=1; _aiprov_completion aiprov; echo "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{AIPROV.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run(["bash", "--norc", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "_aiprov_completion" in r.stdout and r.stdout.split()[-1] == "timeline"
