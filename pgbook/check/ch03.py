"""Self-checking exercises of notebook 03 (checking gradients): a central difference and a standard error.

The expected answers are computed independently of the learner's numpy code: the central differences
of two test functions with sympy in exact rational arithmetic (rounded once, at the end), the short
corridor's gradient by the policy gradient theorem (`pgbook.exact`), and standard errors with Python's
`statistics` module. Typical mistakes (a forward difference, dividing by eps instead of 2 eps, the
population standard deviation, forgetting the square root of N) are recognised and named.
"""
from __future__ import annotations

import statistics
from math import sqrt

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["central_difference", "standard_error"]


def _test_functions():
    """(description, f(x, lib), x, eps) with lib numpy or sympy: a vector and a matrix argument, both
    curved enough that at these steps a central difference differs visibly from a forward one."""

    def f_vector(x, lib):
        return lib.sin(x[0]) + x[0] * x[1] ** 2 + lib.exp(x[1] / 2)

    def f_matrix(X, lib):
        return sum(X[i, j] ** 3 for i in range(2) for j in range(2)) + X[0, 1] * X[1, 0] + lib.cos(X[1, 1])

    return [("f(x) = sin(x0) + x0 x1^2 + exp(x1 / 2)", f_vector, np.array([0.3, -1.2]), 0.1),
            ("f(X) = sum X^3 + X01 X10 + cos(X11), X a 2 x 2 array", f_matrix,
             np.array([[0.5, -0.4], [1.1, 0.7]]), 0.05)]


def _differences(f, x: np.ndarray, eps: float, sp) -> dict[str, np.ndarray]:
    """The central, forward and all-at-once differences of f at x, each shaped like x, in exact
    arithmetic: x and eps enter as the rationals their float64 values are."""
    h = sp.Rational(eps)

    def value(shift):  # f(x + shift) exactly, with shift an {index: rational} dict
        Y = sp.MutableDenseNDimArray([sp.Rational(float(v)) for v in x.ravel()], x.shape)
        for i, d in shift.items():
            Y[i] += d
        return f(Y, sp)

    out = {k: np.zeros_like(x) for k in ("central", "forward", "together")}
    f0 = value({})
    everywhere = {i: h for i in np.ndindex(x.shape)}
    together = (value(everywhere) - value({i: -h for i in everywhere})) / (2 * h)
    for i in np.ndindex(x.shape):
        up, down = value({i: h}), value({i: -h})
        out["central"][i] = float(sp.N((up - down) / (2 * h), 30))
        out["forward"][i] = float(sp.N((up - f0) / h, 30))
        out["together"][i] = float(sp.N(together, 30))
    return out


def _line(a: np.ndarray) -> str:
    """An array as `_fmt` writes it, on one line."""
    return " ".join(_fmt(a).split())


def _call(name: str, func, args: tuple, where: str):
    """(result, None) or (None, Verdict) if func raised or returned nothing."""
    try:
        result = func(*args)
    except Exception as err:  # a learner's bug is reported, not raised
        return None, Verdict(False, f"{name} raised {type(err).__name__} {where}: {err}")
    if result is None:
        return None, returned_none(f"{name} {where}")
    return result, None


def central_difference(func) -> Verdict:
    """Check func(f, x, eps) -> the central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),
    an array shaped like x, for a scalar function f; x must not be modified."""
    if not callable(func):
        return Verdict(False, f"central_difference should be a function of (f, x, eps), got {type(func).__name__}.")
    import sympy as sp

    for label, f, x, eps in _test_functions():
        where = f"for {label} at x = {x.tolist()}, eps = {eps:g}"
        given = x.copy()
        got, failed = _call("central_difference", func, (lambda y, f=f: float(f(np.asarray(y), np)), given, eps),
                            where)
        if failed is not None:
            return failed
        if not np.array_equal(given, x):
            return Verdict(False, f"central_difference changed x in place {where} (by up to "
                                  f"{np.abs(given - x).max():.1e}): build x + eps e_i as a new array (x + step), "
                                  f"so the caller's x stays exactly as it was.")
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Verdict(False, f"central_difference should return an array of numbers {where}, "
                                  f"got {type(got).__name__}.")
        if got.shape != x.shape:
            return Verdict(False, f"central_difference returned shape {np.shape(got)} {where}, expected {x.shape} "
                                  f"(one difference per entry of x, shaped like x: loop over np.ndindex(x.shape)).")
        ref = _differences(f, x, eps, sp)
        if np.allclose(got, ref["central"], rtol=1e-9, atol=1e-12):
            continue
        hints = [(ref["forward"], "that is the forward difference (f(x + eps e_i) - f(x)) / eps, whose error "
                                  "falls only like eps; the central difference uses f(x + eps e_i) - f(x - eps e_i)."),
                 (2 * ref["central"], "every entry is twice the central difference: divide by 2 eps, the distance "
                                      "between x - eps e_i and x + eps e_i, not by eps."),
                 (ref["central"] / 2, "every entry is half the central difference: divide by 2 eps, not 4 eps."),
                 (-ref["central"], "every entry has the wrong sign: it is f(x + eps e_i) - f(x - eps e_i)."),
                 (ref["together"], "every entry moves all of x at once (x + eps): move one entry at a time, "
                                   "x + eps e_i, with e_i the i-th unit array.")]
        for alt, text in hints:
            if np.allclose(got, alt, rtol=1e-9, atol=1e-12):
                return Verdict(False, f"central_difference is not right {where}: {text}")
        return Verdict(False, f"central_difference {where} returned {_line(got)}, expected {_line(ref['central'])}.")

    # a real gradient check: finite differences of the short corridor's exact J against the theorem
    from .. import envs, exact
    from ..policies import SoftmaxPolicy

    mdp, policy, theta = envs.short_corridor(), SoftmaxPolicy(envs.short_corridor_features()), np.array([-0.5, 0.5])
    grad = exact.policy_gradient(mdp, policy, theta)
    where = "for the short corridor's J at theta = (-0.5, 0.5), eps = 1e-5"
    got, failed = _call("central_difference", func,
                        (lambda t: exact.expected_return(mdp, policy, t), theta.copy(), 1e-5), where)
    if failed is not None:
        return failed
    got = np.asarray(got, dtype=np.float64)
    if got.shape != grad.shape or not np.allclose(got, grad, rtol=1e-6):
        return Verdict(False, f"central_difference {where} returned {_fmt(got)}, but the policy gradient "
                              f"theorem gives {_fmt(grad)}.")
    return Verdict(True, f"central_difference matches the exact central differences of two test functions "
                         f"(a vector and a 2 x 2 argument) and reproduces the short corridor's gradient "
                         f"{_fmt(grad)} to 1e-6.")


def _sample_sets() -> list[np.ndarray]:
    """Samples (N, K): few rows (so ddof = 0 vs 1 shows), components of different scales, one column."""
    rng = np.random.default_rng(3)
    return [rng.normal([1.0, -2.0, 0.5], [1.0, 3.0, 0.2], size=(5, 3)),
            rng.exponential(2.0, size=(40, 2)) - 2.0,
            rng.normal(10.0, 4.0, size=(12, 1))]


def _reference(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error per column, by Python's statistics module (independent of numpy)."""
    cols = [list(map(float, c)) for c in samples.T]
    n = samples.shape[0]
    return (np.array([statistics.fmean(c) for c in cols]),
            np.array([statistics.stdev(c) / sqrt(n) for c in cols]))


def standard_error(func) -> Verdict:
    """Check func(samples) -> (mean, stderr) over the first axis of samples (N, K): the mean of the N
    rows and the standard error std / sqrt(N) with the sample standard deviation (ddof = 1)."""
    if not callable(func):
        return Verdict(False, f"standard_error should be a function of samples, got {type(func).__name__}.")
    for samples in _sample_sets():
        N, K = samples.shape
        where = f"for samples of shape {samples.shape}"
        given = samples.copy()
        got, failed = _call("standard_error", func, (given,), where)
        if failed is not None:
            return failed
        if not np.array_equal(given, samples):
            return Verdict(False, f"standard_error changed its samples {where}: compute on them, don't modify them.")
        try:
            mean, se = (np.asarray(v, dtype=np.float64) for v in got)
        except (TypeError, ValueError):
            return Verdict(False, f"standard_error should return two arrays (mean, stderr) {where}, "
                                  f"got {type(got).__name__}.")
        ref_mean, ref_se = _reference(samples)
        if mean.shape != (K,) or se.shape != (K,):
            hint = (" Average over axis 0 (the N samples), not over the components."
                    if N in mean.shape + se.shape else "")
            return Verdict(False, f"standard_error returned shapes {mean.shape} and {se.shape} {where}, "
                                  f"expected ({K},) each: one mean and one standard error per component.{hint}")
        if not np.allclose(mean, ref_mean, rtol=1e-10, atol=1e-12):
            return Verdict(False, f"the mean is not right {where}: got {_fmt(mean)}, expected {_fmt(ref_mean)}.")
        if np.allclose(se, ref_se, rtol=1e-10, atol=1e-12):
            continue
        sd = ref_se * sqrt(N)
        hints = [(ref_se * sqrt((N - 1) / N), "it uses the population standard deviation (np.std's default, "
                                              "dividing by N). The sample standard deviation divides by N - 1: "
                                              "np.std(samples, axis=0, ddof=1)."),
                 (sd, "that is the standard deviation of one sample. The standard error of the mean of N "
                      "samples is that divided by sqrt(N)."),
                 (sd / N, "it divides the standard deviation by N; the mean's spread shrinks like 1 / sqrt(N): "
                          "divide by sqrt(N)."),
                 (ref_se**2, "that is the squared standard error (the variance of the mean): take its square root.")]
        for alt, text in hints:
            if np.allclose(se, alt, rtol=1e-10, atol=1e-12):
                return Verdict(False, f"the standard error is not right {where}: {text}")
        return Verdict(False, f"the standard error {where} is {_fmt(se)}, expected {_fmt(ref_se)}.")
    return Verdict(True, f"standard_error gives the mean and the standard error (sample standard deviation / "
                         f"sqrt(N)) on all {len(_sample_sets())} test sets, from N = 5 to N = 40 samples.")
