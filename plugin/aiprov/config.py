"""The production config, `aiprov.toml` at the production root.

Validated against schemas/config.schema.json; an error names the file, the
line and the key, because the person fixing it is in an editor, not a
debugger. Zone patterns are globs relative to the production root where `*`
stays inside one folder and `**` crosses folders.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .compscripts import is_script
from .errors import ConfigError, UsageError
from .ledger.backends import is_url

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CONFIG_NAME = "aiprov.toml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ZONE_ORDER = ("ignored", "finals", "working")  # the first zone whose pattern matches wins

STARTER = '''# aiprov production config. Docs: README.md; schema: schemas/config.schema.json
production = "{name}"

# Where the ledger lives (relative to this file). Override with --ledger or AIPROV_LEDGER.
# ledger = ".aiprov/ledger.db"

# A file matching no pattern below is in this zone.
default_zone = "working"

[zones]
# AI material here needs a written approval (aiprov approve) or it is a finding.
finals = ["finals/**", "deliverables/**", "**/DELIVERY/**"]
# AI material here is fine: it is temporary by default.
working = ["working/**", "editorial/**", "vfx/**"]
# Never looked at.
ignored = ["**/.cache/**", "**/render_tmp/**"]

[files]
# Comp scripts (*.nk, *.comp, *.setting) are always read for their renders' lineage,
# whatever `include` says; list them in `exclude` to stop that.
# include = ["*.exr", "*.dpx", "*.tif", "*.png", "*.jpg", "*.mov", "*.mp4", "*.mxf", "*.wav"]
exclude = ["*.txt", "*.md", "*.json", "*.xml", "*.edl", "*.otio", "*.mhl", "*.py", "*.toml"]

[reader]
timeout = 60        # seconds per file before it is declared unreadable
network = false     # C2PA remote manifests / OCSP
# trust_anchors = "/etc/aiprov/c2pa-trust.pem"

[likeness]
enabled = true        # perceptual prints: catch re-saved, resized, cropped or re-encoded AI material
crop_guesses = true   # crop and flop hypotheses of AI sources (~20 ms once per source); false: 5% crops
                      # and mirrored copies of stills are left to local features

# Hooks get one JSON event on stdin; run without a shell.
# [[hooks]]
# command = ["/opt/aiprov/hooks/notify", "--url", "https://chat.example/hook"]
# on = ["finding"]
'''


def glob_to_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _any_of(globs: list[str]) -> re.Pattern | None:
    """One bytes pattern matching a name any of the globs matches; None for no globs."""
    if not globs:
        return None
    return re.compile("|".join(f"(?:{glob_to_regex(g).pattern})" for g in globs).encode("utf-8", "surrogateescape"))


@dataclass
class Config:
    root: Path  # the production root: where aiprov.toml is, or the scanned folder
    production: str | None = None
    ledger: str | None = None
    default_zone: str = "working"
    zones: dict[str, list[str]] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    timeout: float = 60.0
    workers: int | None = None
    network: bool = False
    trust_anchors: str | None = None
    hooks: list[dict] = field(default_factory=list)
    likeness: bool = True  # perceptual prints of AI sources and finals material
    crop_guesses: bool = True  # and 162 crop and flop hypotheses per AI source still
    source: Path | None = None  # the aiprov.toml it came from, None when there was none

    def __post_init__(self):
        self._zone_res = [(z, [glob_to_regex(p) for p in self.zones.get(z, [])]) for z in ZONE_ORDER]
        # one pattern each, on the bytes of a name: asked of every file of a walk
        self._include = _any_of(self.include)
        self._exclude = _any_of(self.exclude)

    @classmethod
    def delivery(cls, root: Path) -> "Config":
        """No config: the scanned folder is a delivery, so everything in it is finals."""
        return cls(root=root, default_zone="finals")

    def relative(self, path: bytes | str) -> str | None:
        path = os.fsdecode(os.path.abspath(path))
        root = os.fsdecode(os.path.abspath(self.root))
        if path == root:
            return ""
        if not path.startswith(root.rstrip("/") + "/"):
            return None
        return path[len(root.rstrip("/")) + 1:]

    def zone_of(self, path: bytes | str) -> str:
        rel = self.relative(path)
        if rel is None:
            return self.default_zone
        for zone, res in self._zone_res:
            if any(r.match(rel) for r in res):
                return zone
        return self.default_zone

    def zones_by_folder(self):
        """zone_of for a walk: asked once per folder when no zone pattern looks at file names (each
        ends in "/**", or is "**"), else once per file. A tree of a million frames in a thousand
        shot folders costs a thousand pattern matches, not a million."""
        patterns = [p for ps in self.zones.values() for p in ps]
        if not all(p == "**" or p.endswith("/**") for p in patterns):
            return self.zone_of
        cache: dict[bytes, str] = {}

        def zone(path: bytes) -> str:
            folder = path[:path.rfind(b"/")]
            found = cache.get(folder)
            if found is None:
                found = cache[folder] = self.zone_of(folder + b"/x")
            return found
        return zone

    def filters_names(self) -> bool:
        """Whether [files] include/exclude rules look at names at all (else every file is considered)."""
        return self._include is not None or self._exclude is not None

    def considers(self, path: bytes | str) -> bool:
        """Whether the file types in [files] let this file in. `include` lists media types; a comp
        script is the lineage of the media it renders, so only `exclude` keeps one out."""
        path = os.fsencode(path)
        name = path[path.rfind(b"/") + 1:]
        if self._exclude is not None and self._exclude.match(name):
            return False
        return self._include is None or self._include.match(name) is not None or is_script(name)

    def ledger_path(self, override: str | None = None) -> Path | str:
        """--ledger, else AIPROV_LEDGER (both relative to where the command runs), else the config's
        `ledger` (relative to the production root), else the nearest .aiprov/ledger.db at or above the
        root, else a new one under the root. A postgresql:// URL anywhere in that chain is the
        facility's shared ledger and is returned as it is."""
        chosen = override or os.environ.get("AIPROV_LEDGER")
        if chosen and is_url(chosen):
            return chosen
        if chosen:
            return Path(chosen).expanduser().absolute()
        if self.ledger and is_url(self.ledger):
            return self.ledger
        if self.ledger:
            p = Path(self.ledger).expanduser()
            return p if p.is_absolute() else self.root / p
        if self.source is None:
            # No config: a lookup or approve deep inside a delivery finds the ledger its scan made.
            for folder in (self.root, *self.root.parents):
                if (folder / ".aiprov" / "ledger.db").is_file():
                    return folder / ".aiprov" / "ledger.db"
        return self.root / ".aiprov" / "ledger.db"


def _line_of(text: str, key_path: list) -> str:
    """'line N' of the deepest key of a path that we can find in the TOML text."""
    for key in reversed([k for k in key_path if isinstance(k, str)]):
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(rf"\s*\[*\s*{re.escape(key)}\s*[\]=]", line):
                return f"line {number}"
    return "top level"


def load(path: Path) -> Config:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    schema = json.loads((SCHEMA_DIR / "config.schema.json").read_text())
    import jsonschema  # here: a scan with no aiprov.toml never needs it (a tenth of start-up)

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        key = ".".join(str(k) for k in e.path) or "(top level)"
        if e.validator == "additionalProperties":
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            key = ".".join([*map(str, e.path), *extra]) if extra else key
            msg = f"unknown key {key!r} (known: {', '.join(sorted(e.schema.get('properties', {})))})"
            where = _line_of(text, [*e.path, *extra])
        else:
            msg = f"{key}: {e.message}"
            where = _line_of(text, list(e.path))
        raise ConfigError(f"{path}, {where}: {msg}")
    zones = data.get("zones", {})
    reader = data.get("reader", {})
    files = data.get("files", {})
    likeness = data.get("likeness", {})
    return Config(root=path.parent.resolve(), production=data.get("production"), ledger=data.get("ledger"),
                  default_zone=data.get("default_zone", "working"), zones=zones,
                  include=files.get("include", []), exclude=files.get("exclude", []),
                  timeout=float(reader.get("timeout", 60.0)), workers=reader.get("workers"),
                  network=reader.get("network", False), trust_anchors=reader.get("trust_anchors"),
                  hooks=data.get("hooks", []), likeness=likeness.get("enabled", True),
                  crop_guesses=likeness.get("crop_guesses", True), source=path)


def find(start: Path) -> Path | None:
    """The nearest aiprov.toml at or above `start`."""
    # realpath, not Path.resolve: a link that loops back on itself must not raise here.
    here = Path(os.path.realpath(start))
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def for_paths(paths: list[bytes], explicit: str | None = None, no_config_zone: str = "finals") -> Config:
    """The config that governs these paths: explicit, else found above the first, else none.

    With none, `scan` and `watch` treat the folder as a delivery (everything finals);
    `register` and `tag` act on files that are being made, so they default to working.
    """
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return load(p)
    first = Path(os.path.realpath(os.fsdecode(paths[0]))) if paths else Path.cwd()
    found = find(first if first.exists() else Path.cwd())
    if found:
        return load(found)
    root = first if first.is_dir() else first.parent
    return Config(root=root, default_zone=no_config_zone)


def starter(name: str) -> str:
    return STARTER.format(name=name.replace('"', "'"))


def write_starter(root: str, production: str | None = None, force: bool = False) -> str:
    """`aiprov init`: a commented aiprov.toml at `root`, named after the folder unless told.
    An existing one is kept unless `force`. Returns its path."""
    path = os.path.join(root, CONFIG_NAME)
    if os.path.exists(path) and not force:
        raise UsageError(f"{path} exists; use --force to overwrite")
    os.makedirs(root, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(starter(production or os.path.basename(os.path.abspath(root))))
    return path
