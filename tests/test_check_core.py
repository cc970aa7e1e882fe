"""The shared comparisons behind pg.check: right answers pass, wrong ones say what is wrong."""
import numpy as np
import pytest

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


def test_close_and_function_matches_name_a_missing_return():
    for verdict in (close("bandit_gradient(theta, r)", None, [1.0, 2.0]),
                    function_matches("f", lambda x: None, lambda x: 2 * x, [(1.0,)])):
        assert not verdict and "returned None: is the `return` line missing?" in verdict.message


def _unfinished(*args, **kwargs):
    ...  # what the student edition leaves of an answer's body: the function returns None


CHECKERS = [name for name in pg.check.__all__ if name != "Verdict"]


@pytest.fixture
def jax_x64():
    """reinforce_loss compares in float64 and asks for jax_enable_x64 first: on for this test only."""
    import jax

    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.mark.parametrize("name", CHECKERS)
def test_every_checker_says_an_unfinished_answer_returned_none(name, jax_x64):
    """An answer whose body is still `...` fails with the same helpful message in every chapter (not
    a complaint about NaN, infinity, a shape or a failed finite difference, which None turns into)."""
    assert len(CHECKERS) >= 11  # at least one checker per notebook
    verdict = getattr(pg.check, name)(_unfinished)
    assert not verdict
    assert "returned None: is the `return` line missing?" in verdict.message, verdict.message
