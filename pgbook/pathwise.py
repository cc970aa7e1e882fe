"""Pathwise and score-function gradients side by side (notebook 06; Mohamed et al. 2020).

Two settings. In the point-mass world of `pgbook.pointmass`, one gradient per episode of the
return R(theta, eps): by a backward pass through the simulator (pathwise), by REINFORCE (score
function, which never differentiates the dynamics or the reward) and by finite differences with
common noise. And for one Gaussian x = mu + sigma eps, eps ~ N(0, 1), the two unbiased estimators
of the gradient of F(mu, sigma) = E[f(x)]:

    score function:  (f(x) - b) * ((x - mu) / sigma^2, ((x - mu)^2 - sigma^2) / sigma^3)
    pathwise:        f'(x) * (1, eps)

The score function only evaluates f; the pathwise estimator needs its derivative f'. A baseline b
keeps the score function unbiased because the score has mean zero. Every estimator returns a
`pgbook.montecarlo.GradientEstimate` with samples (n, P); every argument, the rng included, is
checked before the first draw.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_real, check_rng
from ._estimator_inputs import check_returns
from .gradcheck import finite_difference
from .montecarlo import GradientEstimate, as_estimate
from .pointmass import PointMass, _std, returns_given_noise, simulate
from .policies import GaussianPolicy

DETACH = ("none", "reward", "all")


def pathwise_samples(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, eps: ArrayLike,
                     detach: str = "none") -> np.ndarray:
    """d R(theta, eps) / d theta per episode by a backward pass through the rollout: (N, P).

    lam is dR/ds_t (the adjoint). `detach` says where the state is a constant (a stop-gradient sg):
      "none"    the true gradient: s_t reaches R through r_t, s_{t+1} = A s_t + B a_t and a_t = k s_t + ...
      "reward"  each reward sees sg[s_t] (r_t(sg[s_t], a_t), r_T(sg[s_T])); the simulator and the
                policy's input stay differentiable, so lam carries only the action costs. Biased.
      "all"     every s_t is a constant, in the reward, the policy's input and the dynamics: lam = 0
                and only the direct effect of a_t on r_t remains. Biased.
    Detaching is what practitioners do when long-horizon gradients explode or turn chaotic; the
    price is a biased gradient (tests/test_pathwise.py gives each mode's expectation).
    """
    detach = _check_detach(detach)
    theta = policy.check_theta(theta)
    s, a, _ = simulate(env, policy, theta, eps)
    sigma_eps = _std(policy, theta) * as_float_array("eps", eps)  # d a_t / d log sigma
    N = s.shape[0]
    grad = np.zeros((N, policy.n_params))
    lam = -2 * env.q_T * s[:, -1] if detach == "none" else np.zeros(N)
    for t in reversed(range(env.T)):
        lam_a = -2 * env.c * a[:, t] + env.B * lam  # dR/da_t: now (r_t) and later (through s_{t+1})
        da = [s[:, t], np.ones(N)] + ([sigma_eps[:, t]] if policy.sigma is None else [])
        grad += lam_a[:, None] * np.stack(da, axis=1)  # a_t = k s_t + b + sigma eps_t
        if detach != "all":  # s_t reaches R through s_{t+1}, a_t and, unless detached, r_t
            lam = env.A * lam + theta[0] * lam_a - (2 * env.q * s[:, t] if detach == "none" else 0)
    return grad


def _check_detach(detach) -> str:
    if not isinstance(detach, str) or detach not in DETACH:
        raise ValueError(f"detach must be one of {DETACH}, got {detach!r}")
    return detach


def _theta_and_noise(env: PointMass, policy: GaussianPolicy, theta, n, rng) -> tuple[np.ndarray, np.ndarray]:
    """theta checked, then eps (n, T) drawn: arguments are validated before any sampling."""
    theta, n, rng = policy.check_theta(theta), check_positive_int("n", n), check_rng(rng)
    return theta, rng.standard_normal((n, env.T))


def pathwise_gradient(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, n: int,
                      rng: np.random.Generator, detach: str = "none") -> GradientEstimate:
    """Pathwise (reparameterized) estimate of grad J from n episodes; samples (n, P)."""
    detach = _check_detach(detach)
    theta, eps = _theta_and_noise(env, policy, theta, n, rng)
    return as_estimate(pathwise_samples(env, policy, theta, eps, detach))


def score_function_gradient(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, n: int,
                            rng: np.random.Generator, baseline: float = 0.0,
                            returns: str = "total") -> GradientEstimate:
    """REINFORCE: g_i = sum_t grad log pi(a_t|s_t) (G - baseline); G = R(tau) or the reward-to-go G_t.

    Uses only the sampled states, actions and rewards: no derivative of the dynamics or the reward.
    Needs sigma > 0 (a deterministic policy has no density). Samples (n, P).
    """
    returns, baseline = check_returns(returns), check_real("baseline", baseline)
    if policy.sigma == 0:
        raise ValueError("sigma is 0: a deterministic policy has no density, so no score function")
    theta, eps = _theta_and_noise(env, policy, theta, n, rng)
    s, a, r = simulate(env, policy, theta, eps)
    score = policy.score(theta, s[:, :-1], a)  # (n, T, P)
    G = np.cumsum(r[:, ::-1], axis=1)[:, ::-1][:, :-1]  # G_t = r_t + ... + terminal: (n, T)
    G = G[:, :1] if returns == "total" else G  # G_0 is the whole return R(tau)
    return as_estimate(np.einsum("ntp,nt->np", score, np.broadcast_to(G - baseline, score.shape[:2])))


def finite_difference_gradient(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, n: int,
                               rng: np.random.Generator, h: float = 1e-5) -> GradientEstimate:
    """Central differences of R(theta, eps) per episode with the same eps on both sides; samples (n, P)."""
    h = check_real("h", h, 1e-12, 1.0)
    theta, eps = _theta_and_noise(env, policy, theta, n, rng)
    return as_estimate(finite_difference(lambda th: returns_given_noise(env, policy, th, eps), theta, h))


def _draw(mu: float, sigma: float, n: int, rng: np.random.Generator) -> tuple[float, float, np.ndarray]:
    """mu, sigma checked, then eps (n,) drawn."""
    mu, sigma = check_real("mu", mu), check_real("sigma", sigma, 0.0)
    n, rng = check_positive_int("n", n), check_rng(rng)
    if sigma == 0:
        raise ValueError("sigma must be positive, got 0.0")
    return mu, sigma, rng.standard_normal(n)


def _per_sample(name: str, values, n: int) -> np.ndarray:
    values = as_float_array(name, values)
    if values.shape != (n,):
        raise ValueError(f"{name} has shape {values.shape}, expected ({n},): one value per draw "
                         f"(the function must be vectorized)")
    return values


def score_gaussian(f: Callable[[np.ndarray], np.ndarray], mu: float, sigma: float, n: int,
                   rng: np.random.Generator, baseline: float = 0.0) -> GradientEstimate:
    """Score-function estimates of (dF/dmu, dF/dsigma) from n draws; f maps x (n,) to f(x) (n,). Samples (n, 2)."""
    baseline = check_real("baseline", baseline)
    mu, sigma, eps = _draw(mu, sigma, n, rng)
    fx = _per_sample("f(x)", f(mu + sigma * eps), eps.size) - baseline
    return as_estimate(np.stack([fx * eps / sigma, fx * (eps**2 - 1) / sigma], axis=1))


def pathwise_gaussian(df: Callable[[np.ndarray], np.ndarray], mu: float, sigma: float, n: int,
                      rng: np.random.Generator) -> GradientEstimate:
    """Pathwise estimates of (dF/dmu, dF/dsigma) from n draws, given df = f' (n,) -> (n,). Samples (n, 2)."""
    mu, sigma, eps = _draw(mu, sigma, n, rng)
    dfx = _per_sample("f'(x)", df(mu + sigma * eps), eps.size)
    return as_estimate(np.stack([dfx, dfx * eps], axis=1))
