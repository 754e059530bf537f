"""Shared locations: the repo, its samples, and the read-only corpus beside it."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_media"
CORPUS = REPO.parent / "shared" / "corpus"
KEYS = CORPUS / "keys"


def corpus_rows() -> list[dict[str, str]]:
    with open(CORPUS / "manifest.tsv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "manifest.tsv").exists():
        pytest.fail(f"the shared corpus is missing at {CORPUS}: tests read real files from it")
    return CORPUS


@pytest.fixture(scope="session")
def mp3(tmp_path_factory) -> Path:
    """An MP3 tagged by Suno: aiprov has no native walker for it, so exiftool must be asked
    (and a fake exiftool can be made to hang or crash on it)."""
    path = tmp_path_factory.mktemp("audio") / "temp_score.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=220:duration=0.2", "-c:a", "libmp3lame", "-b:a", "32k", "-metadata",
                    "encoded_by=Suno", str(path)], check=True, capture_output=True, timeout=60)
    return path
