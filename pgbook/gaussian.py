"""Gaussians and their gradients: a Gaussian policy, and estimators of d/dmu, d/dsigma of E[f(x)] (notebook 06).

For x ~ N(mu, sigma^2), written x = mu + sigma eps with eps ~ N(0, 1), two unbiased per-sample
estimators of the gradient of F(mu, sigma) = E[f(x)] (Mohamed, Rosca, Figurnov & Mnih 2020):

    score function:  (f(x) - b) * ((x - mu) / sigma^2, ((x - mu)^2 - sigma^2) / sigma^3)
    pathwise:        f'(x) * (1, eps)

The score function only evaluates f; the pathwise estimator needs its derivative f'. A baseline b
keeps the score function unbiased because the score has mean zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import as_float_array, check_positive_int, check_real
from .estimators import GradientEstimate, as_estimate


@dataclass(frozen=True)
class GaussianPolicy:
    """a ~ N(k s + b, sigma^2): mean linear in the features (s, 1), theta = (k, b).

    sigma=None makes sigma learnable as theta[2] = log sigma (so it stays > 0); sigma=0.0 is a
    deterministic policy, usable by the pathwise gradient but not by the score function.
    """

    sigma: float | None = 0.5

    def __post_init__(self):
        if self.sigma is not None:
            check_real("sigma", self.sigma, 0.0, 1e6)  # sigma = 0: a deterministic policy

    @property
    def n_params(self) -> int:
        return 2 if self.sigma is not None else 3

    def check_theta(self, theta) -> np.ndarray:
        theta = as_float_array("theta", theta, ndim=1)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta has shape {theta.shape}, expected ({self.n_params},) = (k, b"
                             f"{', log sigma' if self.sigma is None else ''})")
        return theta

    def std(self, theta: np.ndarray) -> float:
        return float(np.exp(theta[2])) if self.sigma is None else float(self.sigma)

    def score(self, theta, s: np.ndarray, a: np.ndarray) -> np.ndarray:
        """grad_theta log pi(a|s) for arrays s, a of one shape: (*s.shape, P). Needs sigma > 0."""
        theta, sigma = self.check_theta(theta), self.std(theta)
        if sigma == 0:
            raise ValueError("sigma is 0: a deterministic policy has no density, so no score function")
        z = (a - theta[0] * s - theta[1]) / sigma  # the noise eps that produced a
        parts = [z / sigma * s, z / sigma] + ([z**2 - 1] if self.sigma is None else [])
        return np.stack(parts, axis=-1)


def _draw(mu, sigma, n, rng) -> tuple[float, float, np.ndarray]:
    mu = check_real("mu", mu, -np.inf, np.inf)
    sigma = check_real("sigma", sigma, 0.0, np.inf)
    if sigma == 0:
        raise ValueError("sigma must be positive, got 0.0")
    return mu, sigma, rng.standard_normal(check_positive_int("n", n))


def score_gaussian(f: Callable[[np.ndarray], np.ndarray], mu: float, sigma: float, n: int,
                   rng: np.random.Generator, baseline: float = 0.0) -> GradientEstimate:
    """Score-function estimates of (dF/dmu, dF/dsigma) from n draws; samples (n, 2). f: vectorized."""
    mu, sigma, eps = _draw(mu, sigma, n, rng)
    baseline = check_real("baseline", baseline, -np.inf, np.inf)
    fx = as_float_array("f(x)", f(mu + sigma * eps)) - baseline
    return as_estimate(np.stack([fx * eps / sigma, fx * (eps**2 - 1) / sigma], axis=1))


def pathwise_gaussian(df: Callable[[np.ndarray], np.ndarray], mu: float, sigma: float, n: int,
                      rng: np.random.Generator) -> GradientEstimate:
    """Pathwise estimates of (dF/dmu, dF/dsigma) from n draws, given the derivative df = f'; samples (n, 2)."""
    mu, sigma, eps = _draw(mu, sigma, n, rng)
    dfx = as_float_array("f'(x)", df(mu + sigma * eps))
    return as_estimate(np.stack([dfx, dfx * eps], axis=1))
