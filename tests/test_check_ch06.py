"""pg.check.one_draw_gradients (notebook 06): the reference answer passes, typical mistakes are named."""
import numpy as np
import pytest

import pgbook as pg


def reference(f, df, mu, log_sigma, eps, mistake=None):
    """The notebook's answer, with switches for typical mistakes."""
    sigma = np.exp(log_sigma)
    x = mu + sigma * eps
    score = np.stack([f(x) * eps / sigma, f(x) * (eps**2 - 1)], axis=1)
    pathwise = np.stack([df(x), df(x) * sigma * eps], axis=1)
    if mistake == "score wrt sigma":
        score[:, 1] /= sigma
    elif mistake == "score no 1/sigma":
        score[:, 0] = f(x) * eps
    elif mistake == "score no -1":
        score[:, 1] = f(x) * eps**2
    elif mistake == "pathwise wrt sigma":
        pathwise[:, 1] = df(x) * eps
    elif mistake == "pathwise x":
        pathwise[:, 1] = df(x) * x
    elif mistake == "pathwise no eps":
        pathwise[:, 1] = df(x) * sigma
    return score, pathwise


def test_the_reference_answer_passes():
    verdict = pg.check.one_draw_gradients(reference)
    assert verdict and "all 3 costs" in verdict.message
    assert repr(verdict).startswith("Correct.")


def test_a_function_that_modifies_its_input_is_still_checked_on_the_right_draws():
    def in_place(f, df, mu, log_sigma, eps):
        out = reference(f, df, mu, log_sigma, eps)
        eps *= -3.0  # spoils the caller's array: the checker must have passed a copy
        return out
    assert pg.check.one_draw_gradients(in_place)


@pytest.mark.parametrize("mistake, phrase", [
    ("score wrt sigma", "multiply by d sigma / d log sigma = sigma: f(x) (eps^2 - 1)"),
    ("score no 1/sigma", "is f(x) eps / sigma, not f(x) eps"),
    ("score no -1", "misses the -1"),
    ("pathwise wrt sigma", "f'(x) sigma eps"),
    ("pathwise x", "not x"),
    ("pathwise no eps", "the factor eps is missing"),
])
def test_typical_mistakes_get_a_hint(mistake, phrase):
    verdict = pg.check.one_draw_gradients(lambda *args: reference(*args, mistake=mistake))
    assert not verdict and phrase in verdict.message
    assert verdict.message.startswith("For f(x) = (x - 1)^2, mu = 0.2, log sigma = -0.3567")


def test_swapped_sign_shape_and_exceptions():
    swapped = pg.check.one_draw_gradients(lambda *args: reference(*args)[::-1])
    assert not swapped and "swapped" in swapped.message
    flipped = pg.check.one_draw_gradients(lambda *args: (reference(*args)[0], -reference(*args)[1]))
    assert not flipped and "pathwise estimate has the wrong sign" in flipped.message
    transposed = pg.check.one_draw_gradients(lambda *args: tuple(g.T for g in reference(*args)))
    assert not transposed and "shape (2, 5)" in transposed.message and "transpose" in transposed.message
    twice = pg.check.one_draw_gradients(lambda *args: (reference(*args)[0],) * 2)
    assert not twice and "the second array is the score-function estimate" in twice.message
    single = pg.check.one_draw_gradients(lambda *args: reference(*args)[0])
    assert not single and "should return a pair (score, pathwise)" in single.message
    boom = pg.check.one_draw_gradients(lambda f, df, mu, log_sigma, eps: eps[10])
    assert not boom and "raised IndexError" in boom.message
    assert "should be given a function" in pg.check.one_draw_gradients(3.0).message


def test_a_wrong_answer_on_a_later_cost_names_the_cost_and_shows_both_arrays():
    def wrong_for_sine(f, df, mu, log_sigma, eps):
        score, pathwise = reference(f, df, mu, log_sigma, eps)
        return (score, pathwise * 1.5) if mu == 0.5 else (score, pathwise)
    verdict = pg.check.one_draw_gradients(wrong_for_sine)
    assert not verdict and verdict.message.startswith("For f(x) = sin(3x), mu = 0.5")
    assert "the pathwise estimate is" in verdict.message and "expected" in verdict.message


def test_the_reference_is_sympy_and_matches_the_package_estimators():
    """The checker's sympy answers agree with pathwise.score_gaussian / pathwise_gaussian on the same
    draws; those work in (mu, sigma), so the log sigma column is sigma times their sigma column."""
    from pgbook.check.ch06 import _costs

    for j, (_, f, df, reference) in enumerate(_costs()):
        mu, sigma, n = 0.3 * j - 0.4, 0.5 + j, 7
        eps = np.random.default_rng(j).standard_normal(n)  # the draws the estimators make
        score, pathwise = reference(eps, mu, np.log(sigma))
        sf = pg.pathwise.score_gaussian(f, mu, sigma, n, np.random.default_rng(j)).samples
        pw = pg.pathwise.pathwise_gaussian(df, mu, sigma, n, np.random.default_rng(j)).samples
        np.testing.assert_allclose(score, sf * [1.0, sigma], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(pathwise, pw * [1.0, sigma], rtol=1e-10, atol=1e-12)
