"""The student edition removes exactly the marked answers and never touches the teacher's notebooks."""
import nbformat
import pytest

from pgbook.student import REMOVED, build, strip_solution_code, student_notebook


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
    assert "Because" not in out.cells[0].source and REMOVED in out.cells[0].source
    assert out.cells[0].source.endswith("More text.")
    assert "return 2 * x" not in out.cells[1].source
    assert "    ...  # your answer here" in out.cells[1].source and "pg.check.f(f)" in out.cells[1].source
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
        assert text.count(REMOVED) == n_answers
