"""Chapter 06: one draw's score-function and pathwise estimates of grad E[f(x)], written by the learner.

For x = mu + sigma eps with eps ~ N(0, 1) and the parameters (mu, log sigma), as the point-mass
policy of notebook 06 learns log sigma, one draw gives

    score function:  f(x) * d/d(mu, log sigma) log N(x; mu, sigma^2)
    pathwise:        d/d(mu, log sigma) f(mu + sigma eps)  (eps held fixed)

The reference differentiates sympy expressions (the log density of `pgbook.symbolic.gaussian_pdf`
and each cost written in sympy), so the check does not share the formulas it is checking. The
formulas below only recognise typical mistakes.
"""
from __future__ import annotations

import functools

import numpy as np

from ._core import Verdict, _as_array, _fmt, returned_none

__all__ = ["one_draw_gradients"]

N_DRAWS = 5


def _close(a, b) -> bool:
    return np.allclose(a, b, rtol=1e-6, atol=1e-9)


@functools.lru_cache(maxsize=1)  # sympy builds the references once per session
def _costs():
    """(name, f, df, reference) for three costs: numpy f and f' for the learner, and the sympy
    reference(eps, mu, log_sigma) -> (score, pathwise) as an array (2, n, 2)."""
    import sympy as sp

    from ..symbolic import gaussian_pdf

    x, mu, ls, e = sp.symbols("x mu log_sigma epsilon", real=True)
    costs = (("f(x) = (x - 1)^2", (x - 1) ** 2), ("f(x) = sin(3x)", sp.sin(3 * x)),
             ("f(x) = Phi(x / 0.3)", (1 + sp.erf(x / (sp.Rational(3, 10) * sp.sqrt(2)))) / 2))
    logp = sp.log(gaussian_pdf(x, mu, sp.exp(ls)))
    modules = ["scipy", "numpy"]  # scipy's erf
    out = []
    for name, f in costs:
        at_x = {x: mu + sp.exp(ls) * e}
        pair = [[(f * sp.diff(logp, p)).subs(at_x) for p in (mu, ls)],  # score function
                [sp.diff(f.subs(at_x), p) for p in (mu, ls)]]  # pathwise
        ref = sp.lambdify((e, mu, ls), pair, modules)

        def reference(eps, m, s, ref=ref):  # a constant derivative comes back a scalar: broadcast it
            column = lambda v: np.broadcast_to(np.asarray(v, dtype=float), np.shape(eps))  # noqa: E731
            return np.stack([np.stack([column(v) for v in est], axis=1) for est in ref(eps, m, s)])

        out.append((name, sp.lambdify(x, f, modules), sp.lambdify(x, sp.diff(f, x), modules), reference))
    return tuple(out)


def _cases():
    """(name, f, df, mu, log_sigma, eps, expected) with expected = (score, pathwise) (2, n, 2)."""
    settings = ((0.2, np.log(0.7)), (0.5, np.log(0.3)), (-1.2, np.log(2.0)))  # sigma != 1, mu != 0
    rng = np.random.default_rng(6)  # fixed draws
    cases = []
    for (name, f, df, reference), (mu, log_sigma) in zip(_costs(), settings):
        eps = rng.standard_normal(N_DRAWS)
        cases.append((name, f, df, mu, log_sigma, eps, reference(eps, mu, log_sigma)))
    return cases


def _mistakes(f, df, mu, log_sigma, eps, expected):
    """(which estimate, what a typical mistake computes, what to say about it)."""
    sigma = np.exp(log_sigma)
    x = mu + sigma * eps
    fx, dfx = f(x), df(x)
    col = lambda a, b: np.stack([a, b], axis=1)  # noqa: E731
    score, path = expected
    return (
        (0, col(fx * eps, score[:, 1]), "d log p / d mu = (x - mu) / sigma^2 = eps / sigma: the score-function "
                                        "estimate of d/d mu is f(x) eps / sigma, not f(x) eps."),
        (0, col(score[:, 0], fx * (eps**2 - 1) / sigma), "f(x) (eps^2 - 1) / sigma is the derivative with respect "
                                                          "to sigma; with respect to log sigma multiply by "
                                                          "d sigma / d log sigma = sigma: f(x) (eps^2 - 1)."),
        (0, col(score[:, 0], fx * eps**2), "the log sigma component misses the -1: the density's normalising "
                                           "factor 1/sigma contributes d(-log sigma)/d log sigma = -1."),
        (1, col(dfx, dfx * eps), "f'(x) eps is the derivative with respect to sigma; with respect to log sigma "
                                 "the chain rule adds d sigma / d log sigma = sigma: f'(x) sigma eps."),
        (1, col(dfx, dfx * x), "x = mu + sigma eps, so dx / d log sigma = sigma eps, not x."),
        (1, col(dfx, dfx * sigma), "dx / d log sigma = sigma eps: the factor eps is missing."),
        (1, col(fx * eps / sigma, fx * (eps**2 - 1)), "the second array is the score-function estimate; the "
                                                      "pathwise one differentiates f along x = mu + sigma eps: "
                                                      "f'(x) (1, sigma eps)."),
    )


def one_draw_gradients(func) -> Verdict:
    """Hold `func(f, df, mu, log_sigma, eps) -> (score, pathwise)` against the exact one-draw estimates.

    f and df are vectorised numpy functions (the cost and its derivative), mu and log_sigma floats,
    eps (n,) standard normal draws, x = mu + exp(log_sigma) eps. The answer is a pair of arrays
    (n, 2), one row per draw, columns (d/d mu, d/d log sigma): the score-function estimate
    f(x) grad log N(x; mu, sigma^2) and the pathwise estimate grad f(mu + sigma eps). Tried on three
    costs. Recognised mistakes: gradients with respect to sigma instead of log sigma, a missing 1/sigma
    or -1 in the score, x instead of eps in the chain rule, the two estimates swapped, the sign.
    """
    if not callable(func):
        return Verdict(False, f"one_draw_gradients should be given a function, got {type(func).__name__}.")
    cases = _cases()
    for name, f, df, mu, log_sigma, eps, expected in cases:
        where = f"For {name}, mu = {mu:g}, log sigma = {log_sigma:.4g}"
        try:  # a copy: a learner's function may modify its input
            got = func(f, df, mu, log_sigma, eps.copy())
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"{where}: one_draw_gradients raised {type(err).__name__}: {err}")
        if got is None:
            return returned_none(f"{where}, one_draw_gradients")
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            length = f" of length {len(got)}" if hasattr(got, "__len__") else ""
            return Verdict(False, f"{where}: one_draw_gradients should return a pair (score, pathwise), "
                                  f"got {type(got).__name__}{length}.")
        arrays = [_as_array(label, g) for label, g in zip(("score", "pathwise"), got)]
        for label, arr in zip(("score", "pathwise"), arrays):
            if arr is None or arr.shape != (len(eps), 2):
                shape = "not an array of numbers" if arr is None else f"an array of shape {arr.shape}"
                hint = " (one row per draw: transpose it)" if arr is not None and arr.shape == (2, len(eps)) else ""
                return Verdict(False, f"{where}: the {label} estimate is {shape}, expected shape ({len(eps)}, 2): "
                                      f"one row per draw, columns (d/d mu, d/d log sigma){hint}.")
        ok = [_close(a, e) for a, e in zip(arrays, expected)]
        if all(ok):
            continue
        if _close(arrays[0], expected[1]) and _close(arrays[1], expected[0]):
            return Verdict(False, f"{where}: the two estimates are swapped; return (score, pathwise).")
        for which, wrong, hint in _mistakes(f, df, mu, log_sigma, eps, expected):
            if not ok[which] and _close(arrays[which], wrong):
                return Verdict(False, f"{where}: {hint}")
        for label, arr, e, good in zip(("score-function", "pathwise"), arrays, expected, ok):
            if not good and _close(arr, -e):
                return Verdict(False, f"{where}: the {label} estimate has the wrong sign.")
        i = ok.index(False)
        return Verdict(False, f"{where}, eps = {_fmt(eps)}: the {('score-function', 'pathwise')[i]} estimate is\n"
                              f"{_fmt(arrays[i])},\nexpected\n{_fmt(expected[i])}.")
    return Verdict(True, f"one_draw_gradients agrees with sympy's derivatives on all {len(cases)} costs "
                         f"({N_DRAWS} draws each).")
