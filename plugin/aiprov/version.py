"""aiprov's version: in a module of its own, so that anything may name it (reports, the
C2PA claim generator, the reader processes' code stamp) without importing the rest."""

__version__ = "0.1.0"

# What a file's metadata means to aiprov: bumped whenever markers, classify or a reader changes
# the verdict a file can get. The ledger records it with each verdict; a rescan reads again
# the files whose verdict was recorded under older rules (and says how many).
# 1: until verdicts were recorded with their rules; 2: every declaration of AI beyond IPTC codes
# and generator chunks, `not-ai` only on positive evidence, the generator named with its source.
RULES_VERSION = 2
