"""aiprov's version: in a module of its own, so that anything may name it (reports, the
C2PA claim generator, the reader processes' code stamp) without importing the rest."""

__version__ = "0.1.0"
