"""Shared locations: the repo, its samples, and the read-only corpus beside it."""

from __future__ import annotations

import csv
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
