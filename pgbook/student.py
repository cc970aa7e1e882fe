"""The student edition: the same notebooks with the answers taken out (a classroom tool).

    python -m pgbook.student [SOURCE_DIR] [OUT_DIR]      (defaults: notebooks student)

What is removed, and how authors mark it (the markers follow nbgrader's, so they read familiarly):
- in markdown cells, every `<details><summary>Answer</summary> ... </details>` block becomes a line
  saying the answer was removed and, if the exercise has one, which `pg.check` call grades it;
- in code cells, the lines between `# BEGIN SOLUTION` and `# END SOLUTION` become `...  # your answer
  here` at the same indentation, and that cell's outputs are cleared.
Everything else, including the executed figures and animations, is kept, so a student reads the
same chapter and writes only the answers. The teacher's notebooks are never modified.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ANSWER = re.compile(r"<details>\s*<summary>\s*Answer[^<]*</summary>.*?</details>", re.S | re.I)
REMOVED = "*(The answer is not in the student edition. Ask your instructor, or use the `pg.check` cell if the exercise has one.)*"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


def strip_solution_code(source: str) -> tuple[str, bool]:
    """Replace every BEGIN/END SOLUTION region by an indented `...` line; (new source, changed?)."""
    out, inside, changed = [], False, False
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in a code cell:\n{source}")
            inside, changed = True, True
            out.append(line[: len(line) - len(line.lstrip())] + "...  # your answer here")
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in a code cell:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in a code cell:\n{source}")
    return "\n".join(out), changed


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `nb` with every marked answer removed (see the module docstring)."""
    nb = nbformat.from_dict(nb)  # a deep copy: the teacher's notebook object is never changed
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = ANSWER.sub(REMOVED, cell.source)
        elif cell.cell_type == "code":
            cell.source, changed = strip_solution_code(cell.source)
            if changed:
                cell.outputs, cell.execution_count = [], None
    nb.metadata["pgbook"] = {"edition": "student"}
    return nb


def build(source: Path = Path("notebooks"), out: Path = Path("student")) -> list[Path]:
    """Write the student edition of every `*.ipynb` in `source` to `out`; returns the paths written."""
    source, out = Path(source), Path(out)
    paths = sorted(source.glob("*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks (*.ipynb) found in {str(source)!r}")
    if out.resolve() == source.resolve():
        raise ValueError(f"the student edition must not overwrite the teacher's notebooks in {str(source)!r}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(nb, out / path.name)
        written.append(out / path.name)
    return written


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    for p in build(*args):
        print(p)
