"""A fresh clone with nothing beside it runs the demo and the tests.

The real files the tests read live in tests/corpus with their origin and licence; nothing
that `make demo`, `make test` or CI runs may reach outside the repository for them.
"""

from __future__ import annotations

import re

from .conftest import CORPUS, REPO, corpus_rows

# What a reach outside the clone for test inputs looks like: a sibling folder named in a path.
OUTSIDE = re.compile(r"\.\./shared|parent\s*/\s*[\"']shared[\"']|/work/shared|parent\.parent\.parent")


def _files_run_by_demo_test_and_ci():
    yield REPO / "Makefile"
    yield REPO / ".ci" / "run"
    for folder, patterns in (("tests", ("*.py",)), ("scripts", ("*",)), ("bench", ("*.py",)),
                             ("sample_media", ("*.py", "*.sh"))):
        for pattern in patterns:
            yield from (p for p in (REPO / folder).glob(pattern) if p.is_file())


def test_nothing_the_demo_tests_or_ci_run_reads_from_outside_the_repository():
    offenders = []
    for path in _files_run_by_demo_test_and_ci():
        if path == REPO / "tests" / "test_self_contained.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "reads from outside the clone:\n" + "\n".join(offenders)


def test_every_corpus_file_is_in_the_manifest_and_its_origin_and_licence_are_named():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    listed = {row["path"] for row in corpus_rows()}
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
               if p.is_file() and p.parent != CORPUS and p.parent.name != "keys"}
    assert on_disk == listed, "files and manifest.tsv disagree"
    for row in corpus_rows():
        line = next((l for l in readme.splitlines() if f"`{row['path']}`" in l), "")
        assert row["source"].split()[0] in line and re.search(r"MIT|Apache|BSD", line), \
            f"{row['path']}: the corpus README must name its origin and licence"
