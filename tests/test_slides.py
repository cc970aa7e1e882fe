"""book/slides.py: slide metadata from a notebook's structure, deterministic, touching nothing else;
and every committed notebook carries it, so RISE and nbconvert give a deck from the file itself."""
from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
import slides  # noqa: E402

NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))


def png_output():
    return new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})


def text_output(n_lines: int):
    return new_output("stream", name="stdout", text="".join(f"line {i}\n" for i in range(n_lines)))


def test_headings_start_slides_and_subslides():
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\nWhat you will learn."),
        new_code_cell("import numpy as np"),
        new_markdown_cell("## First idea\n\nText."),
        new_code_cell("x = 1", outputs=[text_output(2)]),
        new_markdown_cell("### A detail"),
        new_markdown_cell("#Not a heading (no space) and ####### not one either"),
        new_markdown_cell("## Second idea"),
    ])
    assert slides.slide_types(nb) == ["slide", "-", "slide", "-", "subslide", "-", "slide"]
    assert [slides.heading_level(c) for c in nb.cells] == [1, 0, 2, 0, 3, 0, 2]


def test_a_cell_that_would_overflow_the_slide_starts_a_subslide():
    # heights: heading 3 lines; each figure cell 1 + 1 source line + IMAGE_LINES = 16
    nb = new_notebook(cells=[new_markdown_cell("## Figures\n\nTwo figures.")] +
                      [new_code_cell("plt.show()", outputs=[png_output()]) for _ in range(3)])
    assert slides.height(nb.cells[1]) == 2 + slides.IMAGE_LINES
    assert slides.slide_types(nb) == ["slide", "-", "subslide", "subslide"]
    # a long text output counts TEXT_CAP lines, however long
    long = new_code_cell("print(x)", outputs=[text_output(500)])
    assert slides.height(long) == 2 + slides.TEXT_CAP


def test_markdown_lines_wrap_at_the_stated_width():
    cell = new_markdown_cell("x" * (2 * slides.WRAP + 1) + "\n\nshort")
    assert slides.height(cell) == 1 + 3 + 1 + 1  # spacing, 3 wrapped lines, blank, "short"


def test_apply_sets_only_slide_metadata_and_leaves_its_input_alone():
    nb = new_notebook(cells=[new_markdown_cell("# T"), new_code_cell("1", outputs=[text_output(1)])])
    nb.cells[1].metadata["tags"] = ["keep-me"]
    before = copy.deepcopy(nb)
    out = slides.apply(nb)
    assert nb == before  # not mutated
    assert [c.metadata["slideshow"]["slide_type"] for c in out.cells] == ["slide", "-"]
    for cell in out.cells:
        del cell.metadata["slideshow"]
    assert out == before  # nothing else changed
    assert slides.has_slides(slides.apply(nb)) and not slides.has_slides(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_on_a_copy_of_each_notebook_only_slideshow_keys_change_and_a_rerun_is_a_no_op(path, tmp_path):
    copy_path = tmp_path / path.name
    shutil.copy(path, copy_path)
    assert slides.main([str(copy_path)]) == 0
    first = copy_path.read_bytes()
    assert slides.main(["--check", str(copy_path)]) == 0  # up to date now
    assert slides.main([str(copy_path)]) == 0
    assert copy_path.read_bytes() == first  # deterministic: a second run changes no byte

    old, new = json.loads(path.read_text(encoding="utf-8")), json.loads(first)
    kinds = [cell["metadata"].pop("slideshow")["slide_type"] for cell in new["cells"]]
    for cell in old["cells"]:
        cell["metadata"].pop("slideshow", None)
    assert new == old
    assert kinds[0] == "slide" and set(kinds) <= {"slide", "subslide", "-"}
    nb = nbformat.read(path, as_version=4)
    headings = [slides.heading_level(c) in (1, 2) for c in nb.cells]
    assert [k == "slide" for k in kinds][1:] == headings[1:]  # every # / ## heading, and only those


def test_every_committed_notebook_carries_the_slide_metadata(capsys):
    assert NOTEBOOKS and slides.main(["--check", *map(str, NOTEBOOKS)]) == 0, capsys.readouterr().out


def test_check_mode_reports_a_stale_notebook_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# T"), new_markdown_cell("## A")]), path)
    before = path.read_bytes()
    assert slides.main(["--check", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: differ from the slide rules\n"
    assert path.read_bytes() == before
