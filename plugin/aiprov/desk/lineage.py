"""An asset's lineage as a picture: server-side SVG, no script, nothing fetched from elsewhere.

Parents on the left (C2PA ingredients, registered derivations, near-duplicates with their
distance or timecodes, comp scripts with their render and read nodes), the asset in the middle
with its copies under it, its children on the right, and, when it was made from unapproved AI
material, the chain down to that source beneath. Every box links to its asset's page; every
label that had to be shortened carries the whole text as a tooltip (<title>), and the page lists
the same edges in words beside the picture.
"""

from __future__ import annotations

from html import escape

from ..lookup import LookupResult

BOX_W, BOX_H, GAP = 300, 54, 14
COL = (10, 480, 950)  # x of the parents, the asset, the children
WIDTH = COL[2] + BOX_W + 10
CHARS = 34  # what fits on a line of a box in the 12.5 px monospace of its title
MAX_PER_EDGE = 4
COLOURS = {"ai": "#b00020", "ai-composite": "#8e24aa", "not-ai": "#1b7f3b", "unknown": "#a66400",
           "unreadable": "#6d0015", None: "#777"}


def _short(text: str, n: int = CHARS) -> str:
    """Long text cut in the middle, where a path's folders are and its file name is not."""
    text = text or ""
    return text if len(text) <= n else text[: n // 3] + "…" + text[-(n - n // 3 - 1):]


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] or path


class _Svg:
    def __init__(self):
        self.parts: list[str] = []

    def box(self, x: int, y: int, title: str, sub: str, verdict: str | None, href: str | None, full: str,
            current: bool = False, dashed: bool = False) -> None:
        colour = COLOURS.get(verdict, COLOURS[None])
        stroke = f"stroke='{colour}' stroke-width='{3 if current else 1.5}'" + (" stroke-dasharray='5 3'" if dashed else "")
        body = (f"<title>{escape(full)}</title><rect x='{x}' y='{y}' width='{BOX_W}' height='{BOX_H}' rx='6' "
                f"fill='{'#fff7f7' if verdict in ('ai', 'ai-composite') else '#fff'}' {stroke}/>"
                f"<rect x='{x}' y='{y}' width='6' height='{BOX_H}' rx='3' fill='{colour}'/>"
                f"<text x='{x + 14}' y='{y + 21}' class='t'>{escape(_short(title))}</text>"
                f"<text x='{x + 14}' y='{y + 40}' class='s'>{escape(_short(sub, CHARS + 6))}</text>")
        self.parts.append(f"<a href='{escape(href)}'>{body}</a>" if href else f"<g>{body}</g>")

    def arrow(self, x1: int, y1: int, x2: int, y2: int, label: str, full: str) -> None:
        mx = (x1 + x2) / 2
        self.parts.append(f"<g><title>{escape(full)}</title><path d='M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}' "
                          "class='e' marker-end='url(#arrow)'/>"
                          f"<text x='{mx}' y='{(y1 + y2) / 2 - 5}' class='l' text-anchor='middle'>"
                          f"{escape(_short(label, 26))}</text></g>")


def _asset_box(svg: _Svg, x: int, y: int, a: dict, kind: str) -> None:
    where = a["paths"][0] if a.get("paths") else a["content_id"]
    sub = f"{a.get('verdict') or 'not in the ledger'}" + (f" · {a['generator']}" if a.get("generator") else "") \
        + (" · approved" if a.get("approved") else "")
    svg.box(x, y, _name(where), sub, a.get("verdict"), f"/assets/{a['content_id']}",
            f"{where}\n{sub}\ncontent {a['content_id']}\n{kind}")


def draw(result: LookupResult) -> str:
    """The SVG of one asset's lineage (an empty string when it has none to show)."""
    svg = _Svg()
    left: list[tuple[dict | None, dict]] = []  # (asset brief or None, edge)
    for p in result.parents:
        assets = p.get("assets") or []
        for a in assets[:MAX_PER_EDGE]:
            left.append((a, p))
        if not assets:
            left.append((None, p))
        elif len(assets) > MAX_PER_EDGE:
            left.append(({"more": len(assets) - MAX_PER_EDGE}, p))
    right = [(c, c) for c in result.children] + [(None, s) for s in result.script_children]
    copies = result.copies[:6]
    rows = max(len(left), len(right), 1 + len(copies), 1)
    height = rows * (BOX_H + GAP) + 10
    me_y = 10
    i = result.inspection
    svg.box(COL[1], me_y, _name(result.path), f"{i.verdict}" + (f" · {i.generator}" if i.generator else "")
            + (" · approved" if any(not a["revoked_at"] for a in result.approvals) else ""),
            i.verdict, None, f"{result.path}\ncontent {result.content_id}", current=True)
    for n, where in enumerate(copies, start=1):
        y = me_y + n * (BOX_H + GAP)
        svg.box(COL[1], y, _name(where), "the same content, elsewhere", i.verdict, None, where, dashed=True)
    for n, (a, edge) in enumerate(left):
        y = 10 + n * (BOX_H + GAP)
        label = edge["kind"] + (f": {edge['script']['render_node']} ← {edge['script']['read_node']}"
                                if edge.get("script") else "")
        full = f"{edge['kind']}: {edge.get('reason') or ''}"
        if a is None:
            ref = str(edge.get("ref") or "")
            svg.box(COL[0], y, _name(ref) or "(no reference)", "not in the ledger", None, None, f"{ref}\n{full}",
                    dashed=True)
        elif "more" in a:
            svg.box(COL[0], y, f"+ {a['more']} more file(s)", edge["kind"], None, None, full, dashed=True)
        else:
            _asset_box(svg, COL[0], y, a, full)
        svg.arrow(COL[0] + BOX_W, y + BOX_H // 2, COL[1], me_y + BOX_H // 2, label, full)
    for n, (c, edge) in enumerate(right):
        y = 10 + n * (BOX_H + GAP)
        full = f"{edge['kind']}: {edge.get('reason') or ''}"
        if c is None:
            svg.box(COL[2], y, _name(edge["output"]), f"render of {_name(edge['script'])} ({edge['render_node']})",
                    None, None, f"{edge['output']}\n{full}\n{edge['files_on_record']} file(s) on record", dashed=True)
        else:
            _asset_box(svg, COL[2], y, c, full)
        svg.arrow(COL[1] + BOX_W, me_y + BOX_H // 2, COL[2], y + BOX_H // 2, edge["kind"], full)
    if len(svg.parts) == 1 + len(copies) and not copies:
        return ""
    return (f"<svg xmlns='http://www.w3.org/2000/svg' class='lineage' viewBox='0 0 {WIDTH} {height}' "
            f"width='{WIDTH}' height='{height}' role='img' aria-label='lineage of {escape(_name(result.path))}'>"
            "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#555'/></marker></defs>"
            + "".join(svg.parts) + "</svg>")
