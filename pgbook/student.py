"""The student edition: the same notebooks with the answers taken out (a classroom tool).

    python -m pgbook.student [SOURCE_DIR] [OUT_DIR]      (defaults: notebooks student)

What is removed, and how authors mark it (the markers follow nbgrader's, so they read familiarly):
- in markdown cells, every `<details><summary>Answer</summary> ... </details>` block becomes a note
  that the answer was removed. If the block answers a self-checking exercise, the note names its
  checker, `pg.check.<name>`: that is the case when the block opens the markdown cell right after a
  code cell that calls `pg.check.<name>` (the answer continues that exercise), or when the text of
  its exercise mentions `pg.check.<name>`. Other notes say to ask the instructor.
- in code cells, the lines between `# BEGIN SOLUTION` and `# END SOLUTION` become `...  # your answer
  here` at the same indentation (naming the cell's `pg.check` call if it makes one), and that
  cell's outputs are cleared.
- the outputs of every later code cell that uses the answer are cleared too, so no answer's
  numbers survive in an output: a name is the answer's if a top-level statement that binds it
  overlaps a removed region (a `def` holding the solution, say), or uses such a name; a cell whose
  statements use one loses its outputs and gets a first comment line saying which names it waits
  for. Cells are read in order with Python's `ast` (IPython magics translated first); a cell that
  cannot be parsed counts as one statement that uses every identifier in it and binds nothing.
Everything else, including the executed figures and animations, is kept, so a student reads the
same chapter and writes only the answers. The teacher's notebooks are never modified.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

ANSWER = re.compile(r"<details>\s*<summary>\s*Answer[^<]*</summary>.*?</details>", re.S | re.I)
REMOVED = "*(The answer is not in the student edition: ask your instructor.)*"
REMOVED_CHECKED = ("*(The answer is not in the student edition: `pg.check.{}` in the exercise's code cell "
                   "checks yours.)*")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
CHECK_CALL = re.compile(r"\bpg\.check\.(\w+)\s*\(")
EXERCISE_ITEM = re.compile(r"^\s*\d+\.\s", re.M)  # "3. Why ...": an exercise of a numbered list


def strip_solution_code(source: str, check: str | None = None) -> tuple[str, bool]:
    """Replace every BEGIN/END SOLUTION region by an indented `...` line; (new source, changed?).
    With `check` (a `pg.check` name) the placeholder says that call checks the answer."""
    out, inside, changed = [], False, False
    hint = f"...  # your answer here (pg.check.{check} below checks it)" if check else "...  # your answer here"
    for line in source.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in a code cell:\n{source}")
            inside, changed = True, True
            out.append(line[: len(line) - len(line.lstrip())] + hint)
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in a code cell:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in a code cell:\n{source}")
    return "\n".join(out), changed


def solution_lines(source: str) -> set[int]:
    """The 1-based line numbers of `source` inside BEGIN/END SOLUTION regions, markers included."""
    lines, inside = set(), False
    for n, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN:
            inside = True
        if inside:
            lines.add(n)
        if line.strip() == END:
            inside = False
    return lines


def _binds(stmt: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds (not the locals of a def inside it)."""
    names, todo = set(), [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            todo.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue  # their variables are their own
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        todo.extend(ast.iter_child_nodes(node))
    return names


def _statements(source: str) -> list[tuple[set[int], set[str], set[str]]]:
    """(lines, names used, names bound) of each top-level statement of a code cell."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(source)
    try:
        if code.count("\n") != source.rstrip("\n").count("\n") + 1:  # a cell magic moved the lines
            raise SyntaxError
        tree = ast.parse(code)
    except SyntaxError:
        return [(set(range(1, source.count("\n") + 2)), set(re.findall(r"\b[A-Za-z_]\w*\b", source)), set())]
    return [(set(range(s.lineno, s.end_lineno + 1)), _uses(s), _binds(s)) for s in tree.body]


def _uses(stmt: ast.stmt) -> set[str]:
    """The names a top-level statement reads. An assignment reads its right side (and an augmented
    one its target); a compound statement (for, with, def, ...) is taken to bind its own names
    before it reads them, as `for x in xs: f(x)` does."""
    loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return loads | {stmt.target.id}
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr)):
        return loads
    return loads - _binds(stmt)


def _checker_of_answer(cells, i: int, start: int) -> str | None:
    """The `pg.check` name that grades the answer block starting at `start` in markdown cell i."""
    text = cells[i].source[:start]
    item = list(EXERCISE_ITEM.finditer(text))
    if item:
        exercise = text[item[-1].start():]
        found = CHECK_CALL.findall(exercise) + re.findall(r"`pg\.check\.(\w+)`", exercise)
        return found[-1] if found else None
    if not ANSWER.search(text) and i > 0 and cells[i - 1].cell_type == "code":
        calls = CHECK_CALL.findall(cells[i - 1].source)
        return calls[-1] if calls else None
    return None


def _remove_answers(cells, i: int) -> str:
    """Markdown cell i with each answer block replaced by its note."""
    def note(m):
        check = _checker_of_answer(cells, i, m.start())
        return REMOVED_CHECKED.format(check) if check else REMOVED
    return ANSWER.sub(note, cells[i].source)


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `nb` with every marked answer, and every output that depends on one, removed
    (see the module docstring)."""
    nb = nbformat.from_dict(nb)  # a deep copy: the teacher's notebook object is never changed
    answer_names: set[str] = set()  # module-level names that hold (or were computed from) an answer
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = _remove_answers(nb.cells, i)
        if cell.cell_type != "code":
            continue
        removed, earlier = solution_lines(cell.source), set(answer_names)
        uses = set()  # the answer's names from earlier cells that this cell reads
        for lines, loads, binds in _statements(cell.source):
            if lines & removed or loads & answer_names:
                uses |= loads & earlier
                answer_names |= binds
            else:
                answer_names -= binds  # bound afresh, from no answer
        checks = CHECK_CALL.findall(cell.source)
        cell.source, changed = strip_solution_code(cell.source, checks[-1] if checks else None)
        if changed or uses:
            cell.outputs, cell.execution_count = [], None
        if uses and not changed and not cell.source.startswith("%%"):
            cell.source = (f"# uses your answer to an exercise above ({', '.join(sorted(uses))}): "
                           f"run this cell once that exercise is done\n" + cell.source)
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
