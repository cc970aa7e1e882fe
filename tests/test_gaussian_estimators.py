"""pgbook.pathwise.score_gaussian and pathwise_gaussian (notebook 06) against exact moments.

Mohamed et al. (2020), Figure 2 setting: x ~ N(1, 1), f(x) = (x - k)^2. Means and variances of each
per-sample estimator come from Gaussian moments in sympy (checked once against integration against
the density); Monte Carlo means and variances are held to 4 standard errors.
"""
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from pgbook.pathwise import pathwise_gaussian, score_gaussian
from pgbook.symbolic import normal_moments

EPS = sp.Symbol("eps", real=True)


def estimator_moments(k):
    """{name: [(variance, variance of the sample variance's summand) per component]}, and F = E[f]."""
    x = 1 + EPS
    f, df = (x - k) ** 2, 2 * (x - k)
    F = normal_moments(f, [EPS])
    exprs = {"score": [f * EPS, f * (EPS**2 - 1)], "baseline": [(f - F) * EPS, (f - F) * (EPS**2 - 1)],
             "pathwise": [df, df * EPS]}
    out = {}
    for name, gs in exprs.items():
        means = [normal_moments(g, [EPS]) for g in gs]
        assert [sp.simplify(m - e) for m, e in zip(means, [2 * (1 - k), 2])] == [0, 0]  # all unbiased
        var = [normal_moments(g**2, [EPS]) - m**2 for g, m in zip(gs, means)]
        fourth = [normal_moments((g - m) ** 4, [EPS]) for g, m in zip(gs, means)]
        out[name] = [(float(v), float(m4 - v**2)) for v, m4 in zip(var, fourth)]
    return out, float(F)


def test_exact_variances_match_quadrature_against_the_density():
    # an independent route: scipy's numerical integral of (g - E g)^2 against the N(1, 1) density
    density = lambda x: np.exp(-(x - 1) ** 2 / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    k = 2.0
    variances, F = estimator_moments(sp.Integer(2))
    per_sample = {"score": [lambda x: (x - k) ** 2 * (x - 1), lambda x: (x - k) ** 2 * ((x - 1) ** 2 - 1)],
                  "baseline": [lambda x: ((x - k) ** 2 - F) * (x - 1), lambda x: ((x - k) ** 2 - F) * ((x - 1) ** 2 - 1)],
                  "pathwise": [lambda x: 2 * (x - k), lambda x: 2 * (x - k) * (x - 1)]}
    for name, gs in per_sample.items():
        for p, (g, mean) in enumerate(zip(gs, [2 * (1 - k), 2])):
            var = quad(lambda x: (g(x) - mean) ** 2 * density(x), -np.inf, np.inf, epsabs=1e-11)[0]
            assert np.isclose(variances[name][p][0], var, rtol=1e-8), (name, p)


@pytest.mark.parametrize("k", [-3, 0, 1, 2.5])
def test_means_and_variances_match_the_exact_moments(k):
    variances, F = estimator_moments(sp.nsimplify(k))
    n = 40_000
    f, df = (lambda x: (x - k) ** 2), (lambda x: 2 * (x - k))
    draws = {"score": score_gaussian(f, 1.0, 1.0, n, np.random.default_rng(1)),
             "baseline": score_gaussian(f, 1.0, 1.0, n, np.random.default_rng(2), baseline=F),
             "pathwise": pathwise_gaussian(df, 1.0, 1.0, n, np.random.default_rng(3))}
    for name, est in draws.items():
        assert est.samples.shape == (n, 2)
        assert np.all(np.abs(est.mean - [2 * (1 - k), 2]) < 4 * est.stderr), name
        for p, (var, var_of_var) in enumerate(variances[name]):
            assert abs(est.samples[:, p].var(ddof=1) - var) < 4 * np.sqrt(var_of_var / n), (name, p)


def test_the_same_draws_by_hand():
    # one draw from rng(7): x = mu + sigma eps, so the estimators are plain arithmetic on eps
    eps = np.random.default_rng(7).standard_normal(1)[0]
    mu, sigma = 0.3, 2.0
    x = mu + sigma * eps
    sf = score_gaussian(np.square, mu, sigma, 1, np.random.default_rng(7), baseline=0.5).samples[0]
    assert np.allclose(sf, [(x**2 - 0.5) * (x - mu) / sigma**2, (x**2 - 0.5) * ((x - mu) ** 2 - sigma**2) / sigma**3])
    pw = pathwise_gaussian(lambda z: 2 * z, mu, sigma, 1, np.random.default_rng(7)).samples[0]
    assert np.allclose(pw, [2 * x, 2 * x * eps])


@pytest.mark.parametrize("kwargs, exc, pattern", [
    (dict(sigma=0.0), ValueError, r"sigma must be positive, got 0\.0"),
    (dict(sigma=-1.0), ValueError, r"sigma must lie in \[0, inf\], got -1\.0"),
    (dict(sigma=np.inf), ValueError, "sigma must be a finite number, got inf"),
    (dict(mu=np.nan), ValueError, "mu must be a finite number, got nan"),
    (dict(mu="0"), TypeError, "mu must be a real number, got str"),
    (dict(n=0), ValueError, "n must be at least 1, got 0"),
    (dict(n=5.0), TypeError, r"n must be an integer, got float 5\.0"),
    (dict(rng=None), TypeError, "rng must be a numpy Generator, got NoneType"),
    (dict(rng=1), TypeError, "rng must be a numpy Generator, got int"),
    (dict(f=lambda x: 1.0), ValueError, r"f\(x\) has shape \(\), expected \(10,\): one value per draw"),
    (dict(f=lambda x: x * np.nan), ValueError, r"f\(x\)\[0\] is nan, expected a finite number"),
    (dict(f=lambda x: x + 0j), TypeError, r"f\(x\) must be an array of real numbers, got complex"),
])
@pytest.mark.parametrize("which", ["score", "pathwise"])
def test_bad_input(kwargs, exc, pattern, which):
    args = dict(f=np.square, mu=0.0, sigma=1.0, n=10, rng=np.random.default_rng(0)) | kwargs
    if which == "pathwise":
        args["df"] = args.pop("f")
        pattern = pattern.replace(r"f\(x\)", r"f'\(x\)")
    with pytest.raises(exc, match=pattern):
        (score_gaussian if which == "score" else pathwise_gaussian)(**args)


@pytest.mark.parametrize("baseline, exc, pattern", [
    (np.nan, ValueError, "baseline must be a finite number, got nan"),
    (-np.inf, ValueError, "baseline must be a finite number, got -inf"),
    ("0.5", TypeError, "baseline must be a real number, got str"),
])
def test_bad_baseline_is_refused_before_any_draw(baseline, exc, pattern):
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    with pytest.raises(exc, match=pattern):
        score_gaussian(np.square, 0.0, 1.0, 10, rng, baseline=baseline)
    assert rng.bit_generator.state == before
