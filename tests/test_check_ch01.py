"""pg.check.bandit_gradient (notebook 01): the reference answer passes, typical mistakes are named."""
import numpy as np
import pytest

import pgbook as pg


def softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def reference(theta, r):  # the notebook's answer: pi_k (r_k - r_bar)
    pi = softmax(theta)
    return pi * (r - pi @ r)


def test_the_reference_answer_passes():
    verdict = pg.check.bandit_gradient(reference)
    assert verdict and "all 5 bandits" in verdict.message
    assert repr(verdict).startswith("Correct.")


def test_a_function_that_modifies_its_inputs_is_still_checked_on_the_right_numbers():
    def in_place(theta, r):
        g = reference(theta, r)
        theta += 100.0  # spoils the caller's array: the checker must have passed a copy
        r *= -1
        return g
    assert pg.check.bandit_gradient(in_place)


@pytest.mark.parametrize("wrong, phrase", [
    (lambda th, r: softmax(th) * r, "r_bar = sum_a pi_a r_a"),
    (lambda th, r: softmax(th) * (r - r.mean()), "not the plain mean of r"),
    (lambda th, r: r - softmax(th) @ r, "the factor pi_k"),
    (lambda th, r: r.copy(), "with respect to the probabilities"),
    (lambda th, r: -reference(th, r), "sign is flipped"),
])
def test_typical_mistakes_get_a_hint(wrong, phrase):
    verdict = pg.check.bandit_gradient(wrong)
    assert not verdict and phrase in verdict.message
    assert repr(verdict).startswith("Not yet.")


def test_wrong_shapes_types_and_exceptions_are_reported_not_raised():
    assert "has shape (2, 2), expected (2,)" in pg.check.bandit_gradient(lambda th, r: np.zeros((2, 2))).message
    assert "array of numbers, got str" in pg.check.bandit_gradient(lambda th, r: "grad").message
    boom = pg.check.bandit_gradient(lambda th, r: th @ np.ones(7))
    assert not boom and "raised ValueError" in boom.message
    assert "should be given a function" in pg.check.bandit_gradient(3.0).message


def test_an_unrecognised_wrong_answer_shows_the_expected_gradient():
    verdict = pg.check.bandit_gradient(lambda th, r: reference(th, r) + 0.01)
    assert not verdict and "expected [0.25, -0.25]" in verdict.message


def test_an_unfinished_function_is_told_about_its_missing_return():
    def unfinished(theta, r):
        ...  # the student edition's placeholder
    verdict = pg.check.bandit_gradient(unfinished)
    assert not verdict and "returned None" in verdict.message
