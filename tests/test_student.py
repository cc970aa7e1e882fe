"""The student edition removes exactly the marked answers and never touches the teacher's notebooks."""
import re

import nbformat
import pytest

from pgbook.student import REMOVED, REMOVED_CHECKED, build, strip_solution_code, student_notebook


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("1. Why?\n\n<details><summary>Answer</summary>\n\nBecause.\n</details>\n\nMore text."),
        nbformat.v4.new_code_cell("def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n\npg.check.f(f)",
                                  outputs=[nbformat.v4.new_output("stream", text="Correct.\n")], execution_count=3),
        nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text="kept\n")]),
    ]
    return nb


def test_answers_are_removed_and_the_rest_is_kept():
    nb = _notebook()
    before = nbformat.writes(nb)
    out = student_notebook(nb)
    assert nbformat.writes(nb) == before  # the teacher's notebook object is unchanged
    assert "Because" not in out.cells[0].source and REMOVED in out.cells[0].source  # no checker graded it
    assert out.cells[0].source.endswith("More text.")
    assert "return 2 * x" not in out.cells[1].source
    assert "    ...  # your answer here (pg.check.f below checks it)" in out.cells[1].source
    assert "pg.check.f(f)" in out.cells[1].source
    assert out.cells[1].outputs == [] and out.cells[1].execution_count is None
    assert out.cells[2].outputs[0].text == "kept\n"  # cells without an answer keep their outputs
    assert out.metadata["pgbook"] == {"edition": "student"}
    nbformat.validate(out)


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION\nx = 1", "without '# END SOLUTION'"),
    ("x = 1\n# END SOLUTION", "without '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
])
def test_unbalanced_markers_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        strip_solution_code(source)


def test_build_writes_every_notebook_and_refuses_to_overwrite_the_source(tmp_path):
    src = tmp_path / "nb"
    src.mkdir()
    nbformat.write(_notebook(), src / "01_x.ipynb")
    original = (src / "01_x.ipynb").read_text()
    written = build(src, tmp_path / "student")
    assert [p.name for p in written] == ["01_x.ipynb"]
    assert "Because" not in written[0].read_text()
    assert (src / "01_x.ipynb").read_text() == original
    with pytest.raises(ValueError, match="must not overwrite"):
        build(src, src)
    with pytest.raises(ValueError, match="no notebooks"):
        build(tmp_path / "student" / "missing", tmp_path / "elsewhere")


def test_every_answer_in_the_series_is_removed(tmp_path):
    """On the real notebooks: no answer block survives, and every exercise answer was found."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "notebooks"
    for path in build(src, tmp_path):
        teacher = nbformat.read(src / path.name, as_version=4)
        student = nbformat.read(path, as_version=4)
        n_answers = sum(c.source.count("<summary>Answer") for c in teacher.cells if c.cell_type == "markdown")
        assert n_answers > 0, f"{path.name} has no exercise answers"
        text = "".join(c.source for c in student.cells)
        assert "<summary>Answer" not in text
        checked = re.findall(re.escape(REMOVED_CHECKED).replace(r"\{\}", r"(\w+)"), text)
        assert text.count(REMOVED) + len(checked) == n_answers
        calls = set(re.findall(r"pg\.check\.(\w+)\(", text))
        assert set(checked) <= calls, f"{path.name}: a note names a checker the notebook does not call"
        for cell in student.cells:  # no output of a removed answer survives
            if cell.cell_type == "code" and "# your answer here" in cell.source:
                assert cell.outputs == [] and cell.execution_count is None, path.name


def test_the_note_names_the_checker_of_a_self_checking_exercise():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    answer = "<details><summary>Answer</summary>\n\nsecret\n</details>"
    nb = nbformat.v4.new_notebook(cells=[
        md(f"1. Why?\n\n{answer}\n\n2. *(Self-checking.)* Write `f`; `pg.check.f` checks it."),
        code("def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n\npg.check.f(f)"),
        md(f"{answer}\n\n3. And this?\n\n{answer}"),  # f's answer after its cell, then exercise 3's
        md(f"4. Use `pg.check.g` on your g.\n\n{answer}"),  # an exercise whose text names its checker
    ])
    out = student_notebook(nb)
    assert out.cells[0].source.count(REMOVED) == 1 and "secret" not in out.cells[0].source
    assert out.cells[2].source.startswith(REMOVED_CHECKED.format("f"))
    assert out.cells[2].source.endswith("3. And this?\n\n" + REMOVED)
    assert out.cells[3].source.endswith(REMOVED_CHECKED.format("g"))


def _outputs(text):
    return [nbformat.v4.new_output("stream", text=text)]


def test_outputs_that_depend_on_a_removed_answer_are_cleared():
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        code("data = [3, 1, 2]", outputs=_outputs("kept 0")),
        code("def best(x):\n    # BEGIN SOLUTION\n    return max(x)\n    # END SOLUTION\n", outputs=_outputs("-")),
        code("b = best(data)\nprint(b)", outputs=_outputs("answer 3")),        # uses the answer
        code("c = b + 1\nprint(c)", outputs=_outputs("answer 4")),             # uses what was computed from it
        code("for b in data:\n    print(b)", outputs=_outputs("kept 1")),    # binds b afresh before using it
        code("print(b, len(data))", outputs=_outputs("kept 2")),              # b no longer the answer's
        code("print(c)", outputs=_outputs("answer 4 again")),                 # c still is
        code("x = data.count(1)\nx", outputs=_outputs("kept 3")),
        code("%%timeit\nbest(data)", outputs=_outputs("answer timing")),      # a cell magic: read as text
    ])
    before = nbformat.writes(nb)
    out = student_notebook(nb)
    assert nbformat.writes(nb) == before
    kept = [c.outputs[0].text for c in out.cells if c.outputs]
    assert kept == ["kept 0", "kept 1", "kept 2", "kept 3"]
    assert out.cells[2].source.startswith("# uses your answer to an exercise above (best): run this cell")
    assert out.cells[3].source.startswith("# uses your answer to an exercise above (b):")
    assert out.cells[8].source.startswith("%%timeit")  # a comment above a cell magic would break it
    assert all(c.execution_count is None for c in out.cells if not c.outputs)
    nbformat.validate(out)


def test_the_series_keeps_no_output_computed_from_an_answer(tmp_path):
    """Notebook 05 applies the learner's optimal_baseline to the corridor's samples: in the student
    edition that cell waits for the answer, without the teacher's numbers."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "notebooks"
    (path,) = src.glob("05_*.ipynb")
    teacher = nbformat.read(path, as_version=4)
    student = student_notebook(teacher)
    uses = [i for i, c in enumerate(teacher.cells) if c.cell_type == "code"
            and "= optimal_baseline(" in c.source and "BEGIN SOLUTION" not in c.source]
    assert uses and all(teacher.cells[i].outputs for i in uses)
    for i in uses:
        assert student.cells[i].outputs == []
        assert student.cells[i].source.startswith("# uses your answer to an exercise above (optimal_baseline)")
