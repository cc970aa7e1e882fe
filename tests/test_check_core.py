"""The shared comparisons behind pg.check: right answers pass, wrong ones say what is wrong."""
import numpy as np

import pgbook as pg
from pgbook.check._core import Verdict, close, function_matches


def test_close_passes_the_right_answer_and_explains_a_wrong_one():
    assert close("J", 1.0 + 1e-12, 1.0)
    v = close("grad", [1.0, -2.0], [1.0, 2.0])
    assert not v and "index (1,)" in v.message and "[1, 2]" in v.message
    assert "shape (3,)" in close("grad", [1, 2, 3], [1.0, 2.0]).message
    assert "NaN" in close("J", float("nan"), 1.0).message
    assert "number" in close("J", "one", 1.0).message
    hint = close("grad", [-1.0, -2.0], [1.0, 2.0], hints=[(lambda a: np.allclose(a, [-1, -2]), "check the sign")])
    assert not hint and "check the sign" in hint.message


def test_function_matches_reports_the_first_failing_input_and_exceptions():
    ref = lambda x: 2 * x  # noqa: E731
    assert function_matches("f", lambda x: x + x, ref, [(1.0,), (np.arange(3.0),)])
    wrong = function_matches("f", lambda x: 3 * x, ref, [(0.0,), (1.0,)])
    assert not wrong and wrong.message.startswith("f(1) = 3, expected 2")
    boom = function_matches("f", lambda x: 1 / 0, ref, [(1.0,)])
    assert not boom and "ZeroDivisionError" in boom.message
    assert "should be a function" in function_matches("f", 3, ref, [(1.0,)]).message


def test_verdict_reads_as_a_sentence_and_the_package_reexports_checkers():
    assert repr(Verdict(True, "fine.")) == "Correct. fine."
    assert Verdict(False, "x.")._repr_markdown_() == "**Not yet.** x."
    assert "Verdict" in pg.check.__all__
    for name in pg.check.__all__:  # every exported checker is callable
        assert callable(getattr(pg.check, name))
