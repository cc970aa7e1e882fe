"""A differentiable world: pathwise vs score-function policy gradients side by side (notebook 06).

A 1-D point mass moves by s_{t+1} = A s_t + B a_t from s_0 for T steps; the reward is a negative
quadratic cost r_t = -(q s_t^2 + c a_t^2), plus -q_T s_T^2 at the end. A Gaussian policy acts with
a_t = k s_t + b + sigma eps_t, eps_t ~ N(0, 1), so theta = (k, b), or (k, b, log sigma) when sigma
is learned. Written with the noise, the return R(theta, eps) is an ordinary differentiable function
of theta: that is the reparameterization behind the pathwise estimator.

Shapes: eps (N, T); states (N, T+1); actions (N, T); rewards (N, T+1) whose last column is the
terminal reward; per-sample gradients (N, P) with P = 2 or 3 parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_positive_int, check_real
from .estimators import RETURNS, GradientEstimate, as_estimate
from .gaussian import GaussianPolicy
from .gradcheck import finite_difference


@dataclass(frozen=True)
class PointMass:
    """Linear dynamics s' = A s + B a, reward -(q s^2 + c a^2) per step and -q_T s_T^2 at the end."""

    A: float = 1.0
    B: float = 0.5
    q: float = 1.0
    c: float = 0.1
    q_T: float = 1.0
    s0: float = 1.0
    T: int = 3

    def __post_init__(self):
        for name in ("A", "B", "s0"):
            check_real(name, getattr(self, name), -1e6, 1e6)
        for name in ("q", "c", "q_T"):
            check_real(name, getattr(self, name), 0.0, 1e6)  # costs, not rewards: never negative
        check_positive_int("T", self.T)


class Trajectories(NamedTuple):
    """states (N, T+1), actions (N, T), rewards (N, T+1): r_0..r_{T-1} and the terminal reward."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


def _noise(env: PointMass, eps) -> np.ndarray:
    eps = as_float_array("eps", eps, ndim=2)
    if eps.shape[1] != env.T:
        raise ValueError(f"eps has shape {eps.shape}, expected (N, T) with T = {env.T}")
    return eps


def rollout(env: PointMass, policy: GaussianPolicy, theta, eps) -> Trajectories:
    """Run N episodes at once from given noise eps (N, T): deterministic in theta once eps is fixed."""
    theta, eps = policy.check_theta(theta), _noise(env, eps)
    sigma, N = policy.std(theta), eps.shape[0]
    s = np.empty((N, env.T + 1))
    a = np.empty((N, env.T))
    s[:, 0] = env.s0
    for t in range(env.T):  # a loop over time; every episode advances together
        a[:, t] = theta[0] * s[:, t] + theta[1] + sigma * eps[:, t]
        s[:, t + 1] = env.A * s[:, t] + env.B * a[:, t]
    r = -(env.q * s[:, :-1] ** 2 + env.c * a**2)
    return Trajectories(s, a, np.concatenate([r, -env.q_T * s[:, -1:] ** 2], axis=1))


def pathwise_samples(env: PointMass, policy: GaussianPolicy, theta, eps, through_state: bool = True) -> np.ndarray:
    """d R(theta, eps) / d theta per episode by a backward pass through the rollout: (N, P).

    lam is dR/ds_t (the adjoint). through_state=False treats every s_t as a constant (a stop-gradient
    on the state): only the direct effect of a_t on r_t remains, which is a biased gradient.
    """
    theta = policy.check_theta(theta)
    s, a, _ = rollout(env, policy, theta, eps)
    sigma, N = policy.std(theta), s.shape[0]
    grad = np.zeros((N, policy.n_params))
    lam = -2 * env.q_T * s[:, -1] if through_state else np.zeros(N)
    for t in reversed(range(env.T)):
        lam_a = -2 * env.c * a[:, t] + env.B * lam  # dR/da_t: now (r_t) and later (through s_{t+1})
        da = [s[:, t], np.ones(N)] + ([sigma * eps[:, t]] if policy.sigma is None else [])
        grad += lam_a[:, None] * np.stack(da, axis=1)  # a_t = k s_t + b + sigma eps_t
        if through_state:  # s_t reaches R through r_t, s_{t+1} and a_t = k s_t + ...
            lam = -2 * env.q * s[:, t] + env.A * lam + theta[0] * lam_a
    return grad


def returns_given_noise(env: PointMass, policy: GaussianPolicy, theta, eps) -> np.ndarray:
    """R(theta, eps) = sum of all rewards, per episode: (N,)."""
    return rollout(env, policy, theta, eps).rewards.sum(axis=1)


def pathwise_gradient(env, policy, theta, n: int, rng: np.random.Generator, through_state: bool = True):
    """Pathwise (reparameterized) estimate of grad J from n episodes: GradientEstimate, samples (n, P)."""
    eps = rng.standard_normal((check_positive_int("n", n), env.T))
    return as_estimate(pathwise_samples(env, policy, theta, eps, through_state))


def score_function_gradient(env, policy, theta, n: int, rng: np.random.Generator,
                            baseline: float = 0.0, returns: str = "total") -> GradientEstimate:
    """REINFORCE: g_i = sum_t grad log pi(a_t|s_t) (G - baseline); G = R(tau) or the reward-to-go G_t.

    Uses only the sampled states, actions and rewards: no derivative of the dynamics or the reward.
    """
    if returns not in RETURNS:
        raise ValueError(f"returns must be 'total' or 'reward_to_go', got {returns!r}")
    baseline = check_real("baseline", baseline, -np.inf, np.inf)
    eps = rng.standard_normal((check_positive_int("n", n), env.T))
    s, a, r = rollout(env, policy, theta, eps)
    score = policy.score(theta, s[:, :-1], a)  # (n, T, P)
    G = np.cumsum(r[:, ::-1], axis=1)[:, ::-1][:, :-1]  # G_t = r_t + ... + terminal: (n, T)
    G = G[:, :1] if returns == "total" else G  # G_0 is the whole return R(tau)
    return as_estimate(np.einsum("ntp,nt->np", score, np.broadcast_to(G - baseline, score.shape[:2])))


def finite_difference_gradient(env, policy, theta, n: int, rng: np.random.Generator, h: float = 1e-5):
    """Central differences of R(theta, eps) per episode with the same eps on both sides: (n, P) samples."""
    theta = policy.check_theta(theta)
    h = check_real("h", h, 1e-12, 1.0)
    eps = rng.standard_normal((check_positive_int("n", n), env.T))
    return as_estimate(finite_difference(lambda th: returns_given_noise(env, policy, th, eps), theta, h))


def expected_return(env: PointMass, policy: GaussianPolicy, theta) -> tuple[float, np.ndarray]:
    """Exact J(theta) and grad J: (float, (P,)), from the linear-quadratic structure.

    s_t is Gaussian with mean m and variance v: m' = g m + B b, v' = g^2 v + B^2 sigma^2 with the
    closed-loop gain g = A + B k, and E[s^2] = m^2 + v, E[a^2] = (k m + b)^2 + k^2 v + sigma^2.
    Derivatives (dm, dv, ...) are carried forward alongside (forward-mode differentiation).
    """
    theta = policy.check_theta(theta)
    k, b, sigma, P = theta[0], theta[1], policy.std(theta), policy.n_params
    e = np.eye(P)
    dvar_a0 = 2 * sigma**2 * e[2] if policy.sigma is None else np.zeros(P)  # d sigma^2 / d theta
    m, v, dm, dv = env.s0, 0.0, np.zeros(P), np.zeros(P)
    J, dJ = 0.0, np.zeros(P)
    for _ in range(env.T):
        mu_a, dmu_a = k * m + b, e[0] * m + k * dm + e[1]
        var_a, dvar_a = k**2 * v + sigma**2, 2 * k * v * e[0] + k**2 * dv + dvar_a0
        J -= env.q * (m**2 + v) + env.c * (mu_a**2 + var_a)
        dJ -= env.q * (2 * m * dm + dv) + env.c * (2 * mu_a * dmu_a + dvar_a)
        g, dg = env.A + env.B * k, env.B * e[0]
        m, dm = g * m + env.B * b, dg * m + g * dm + env.B * e[1]
        v, dv = g**2 * v + env.B**2 * sigma**2, 2 * g * v * dg + g**2 * dv + env.B**2 * dvar_a0
    return float(J - env.q_T * (m**2 + v)), dJ - env.q_T * (2 * m * dm + dv)
