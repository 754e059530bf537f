"""What every benchmark prints about where it ran, so numbers can be compared across runs."""

from __future__ import annotations

import subprocess
from pathlib import Path


def source_version() -> str:
    """aiprov's version and the git commit of the checkout it runs from (marked when plugin/ is edited)."""
    import aiprov

    repo = Path(aiprov.__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "plugin"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"aiprov {aiprov.__version__}"
    return f"aiprov {aiprov.__version__} at {head}" + (" + uncommitted changes in plugin/" if dirty else "")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def tidy(folder, keep: bool) -> None:
    """A bench's scratch folder: kept and named with --keep (to look at, or to run again on), removed otherwise."""
    import shutil

    if keep:
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
