"""Notebook 03's checkers: the reference answers pass; typical mistakes fail with a message that names them."""
import numpy as np

import pgbook as pg


def central(f, x, eps):  # the notebook's reference answer
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def forward(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=float)
        step[i] = eps
        grad[i] = (f(x + step) - f(x)) / eps
    return grad


def test_central_difference_passes_the_reference_and_the_package_routine():
    verdict = pg.check.central_difference(central)
    assert verdict and "short corridor" in verdict.message
    assert pg.check.central_difference(lambda f, x, eps: pg.gradcheck.finite_difference(f, x, eps))


def test_central_difference_names_the_typical_mistakes():
    cases = {
        forward: "forward difference",
        (lambda f, x, eps: 2 * central(f, x, eps)): "divide by 2 eps",
        (lambda f, x, eps: -central(f, x, eps)): "wrong sign",
        (lambda f, x, eps: np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))): "one entry at a time",
        (lambda f, x, eps: central(f, x, eps).ravel()): "shaped like x",
        (lambda f, x, eps: None): "returned None",
        (lambda f, x, eps: 1 / 0): "ZeroDivisionError",
        (lambda f, x, eps: "grad"): "array of numbers",
    }
    for func, words in cases.items():
        verdict = pg.check.central_difference(func)
        assert not verdict and words in verdict.message, verdict.message
    assert "should be a function" in pg.check.central_difference(3).message


def test_central_difference_refuses_to_modify_x():
    def in_place(f, x, eps):
        grad = np.zeros_like(x, dtype=float)
        for i in np.ndindex(x.shape):
            x[i] += eps
            up = f(x)
            x[i] -= 2 * eps
            grad[i] = (up - f(x)) / (2 * eps)  # and x is never put back
        return grad

    verdict = pg.check.central_difference(in_place)
    assert not verdict and "changed x in place" in verdict.message


def test_central_difference_holds_the_corridor_against_the_theorem():
    def wrong_at_small_steps(f, x, eps):  # right for the test functions' steps, off for eps = 1e-5
        return central(f, x, eps) * (1.0 if eps > 1e-3 else 1.01)

    verdict = pg.check.central_difference(wrong_at_small_steps)
    assert not verdict and "policy gradient theorem gives [10.1374, -10.1374]" in verdict.message
    wrong = pg.check.central_difference(lambda f, x, eps: central(f, x, eps) + 0.01 if x.ndim == 2 else central(f, x, eps))
    # a 2 x 2 answer and the expected one are written on one line each
    assert "returned [[0.7625, 1.5925], [3.2425, 0.838551]], expected [[0.7525, 1.5825], [3.2325, 0.828551]]" in wrong.message


def reference_se(samples):  # the notebook's reference answer
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))


def test_standard_error_passes_the_reference_and_as_estimate():
    assert pg.check.standard_error(reference_se)
    assert pg.check.standard_error(lambda s: pg.montecarlo.as_estimate(s)[:2])


def test_standard_error_names_the_typical_mistakes():
    cases = {
        (lambda s: (s.mean(0), s.std(0) / np.sqrt(len(s)))): "ddof=1",
        (lambda s: (s.mean(0), s.std(0, ddof=1))): "divided by sqrt(N)",
        (lambda s: (s.mean(0), s.std(0, ddof=1) / len(s))): "divide by sqrt(N)",
        (lambda s: (s.mean(0), s.var(0, ddof=1) / len(s))): "square root",
        (lambda s: (s.mean(1), s.std(1, ddof=1) / np.sqrt(s.shape[1]))): "axis 0",
        (lambda s: (np.median(s, axis=0), reference_se(s)[1])): "the mean is not right",
        (lambda s: None): "returned None",
        (lambda s: 3.0): "two arrays",
    }
    for func, words in cases.items():
        verdict = pg.check.standard_error(func)
        assert not verdict and words in verdict.message, verdict.message


def test_standard_error_refuses_to_modify_the_samples():
    def centring(s):
        s -= s.mean(axis=0)
        return reference_se(s)

    verdict = pg.check.standard_error(centring)
    assert not verdict and "changed its samples" in verdict.message
