"""How file names are shown and stored as text.

Post storage holds names from other systems that are not valid UTF-8. The OS
gets the exact bytes; people, SQLite and JSON get text in which each
undecodable byte appears as \\xNN. os.fsdecode's surrogate escapes must never
leak into text: SQLite and most terminals refuse them.
"""


def display_path(fspath: bytes) -> str:
    return fspath.decode("utf-8", "backslashreplace")
