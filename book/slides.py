"""Slide metadata for lecture decks, set from each notebook's structure (the same file gives the
notebook, its page in the book, a reveal.js deck and a RISE slideshow in JupyterLab).

    python book/slides.py notebooks/*.ipynb            # write slideshow.slide_type into each cell
    python book/slides.py --check notebooks/*.ipynb    # exit 1 if a notebook differs from the rules

The rules, applied top to bottom; the result depends only on the cells' sources and outputs, so a
second run changes nothing:

1. The first cell starts a slide (the title slide).
2. A markdown cell that opens with a `#` or `##` heading starts a slide.
3. A markdown cell that opens with a `###` (or deeper) heading starts a sub-slide.
4. Any other cell continues the current (sub-)slide (`"-"`), unless it would not fit: then it starts
   a sub-slide. A slide holds `SLIDE_LINES` lines; a cell's height is its source lines (wrapped at
   `WRAP` characters) plus its outputs: each text line (a long output counts `TEXT_CAP`, it
   scrolls), `IMAGE_LINES` per image or animation, `WIDGET_LINES` per live widget.

Only `cell.metadata.slideshow` is touched; outputs, sources and every other key stay as they are.
`jupyter nbconvert --to slides` and JupyterLab's RISE extension (`jupyterlab_rise`) read this key.
"""
from __future__ import annotations

import argparse
import copy
import math
import sys
from pathlib import Path

import nbformat

SLIDE_LINES = 24  # about what a 960 x 700 reveal.js slide shows at the deck's font size
WRAP = 80
TEXT_CAP = 12
IMAGE_LINES = 14
WIDGET_LINES = 10
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
WIDGET_TYPE = "application/vnd.jupyter.widget-view+json"


def heading_level(cell) -> int:
    """Level of the heading a markdown cell opens with (1 for `#`), 0 if it opens with none."""
    if cell.cell_type != "markdown":
        return 0
    first = cell.source.lstrip("\n").split("\n", 1)[0]
    hashes = len(first) - len(first.lstrip("#"))
    return hashes if 0 < hashes <= 6 and first[hashes:hashes + 1] == " " else 0


def _text_lines(text: str) -> int:
    return sum(max(1, math.ceil(len(line) / WRAP)) for line in text.split("\n")) if text else 0


def height(cell) -> int:
    """Estimated height of a cell on a slide, in lines (rule 4)."""
    lines = 1 + _text_lines(cell.source.strip("\n"))
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if WIDGET_TYPE in data:
            lines += WIDGET_LINES
        elif any(kind in data for kind in IMAGE_TYPES):
            lines += IMAGE_LINES
        else:
            text = out.get("text") or data.get("text/plain") or ""
            text = "".join(text) if isinstance(text, list) else text
            lines += min(TEXT_CAP, _text_lines(text.rstrip("\n")))
    return lines


def slide_types(nb) -> list[str]:
    """The slide type of every cell of `nb` by the rules above: "slide", "subslide" or "-"."""
    types, used = [], 0
    for i, cell in enumerate(nb.cells):
        level, h = heading_level(cell), height(cell)
        if i == 0 or level in (1, 2):
            kind, used = "slide", h
        elif level >= 3 or used + h > SLIDE_LINES:
            kind, used = "subslide", h
        else:
            kind, used = "-", used + h
        types.append(kind)
    return types


def apply(nb):
    """A copy of `nb` whose cells carry `metadata.slideshow.slide_type` by the rules; `nb` unchanged."""
    out = copy.deepcopy(nb)
    for cell, kind in zip(out.cells, slide_types(out)):
        cell.metadata["slideshow"] = {"slide_type": kind}
    return out


def has_slides(nb) -> bool:
    """True if any cell of `nb` already says where slides start."""
    return any("slide_type" in cell.metadata.get("slideshow", {}) for cell in nb.cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook's slide metadata differs")
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        new = apply(nb)
        if new == nb:
            continue
        stale.append(path)
        if not args.check:
            nbformat.write(new, path)
    verb = "differ from the slide rules" if args.check else "updated"
    for path in stale:
        print(f"{path}: {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
