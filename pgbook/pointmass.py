"""A differentiable world: a 1-D point mass under a Gaussian linear policy (notebook 06).

The mass moves by s_{t+1} = A s_t + B a_t from s_0 for T steps; the reward is a negative quadratic
cost r_t = -(q s_t^2 + c a_t^2), plus -q_T s_T^2 at the end. The policy acts with
a_t = k s_t + b + sigma eps_t, eps_t ~ N(0, 1), so theta = (k, b), or (k, b, log sigma) when sigma
is learned (`pgbook.policies.GaussianPolicy`). Written with the noise, the return R(theta, eps) is an
ordinary differentiable function of theta: the reparameterization behind the pathwise estimators
in `pgbook.pathwise`. Being linear-quadratic, J(theta) = E[R] and its gradient have a closed form.

Shapes: eps (N, T); states (N, T+1); actions (N, T); rewards (N, T+1) whose last column is the
terminal reward; gradients (P,) with P = 2 or 3 parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_real
from .policies import GaussianPolicy


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

    def __post_init__(self) -> None:
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


def _noise(env: PointMass, eps: ArrayLike) -> np.ndarray:
    """eps as a float (N, T) copy; ValueError for another shape, NaN or inf."""
    eps = as_float_array("eps", eps, ndim=2)
    if eps.shape[1] != env.T:
        raise ValueError(f"eps has shape {eps.shape}, expected (N, T) with T = {env.T}")
    return eps


def _std(policy: GaussianPolicy, theta: np.ndarray) -> float:
    """sigma; `GaussianPolicy.check_theta` already refuses a learned log sigma = theta[2] whose exp
    is not a finite positive float."""
    return policy.std(theta)


def _finite(what: str, x: np.ndarray, theta: np.ndarray) -> None:
    """ValueError, instead of inf or NaN, when states or actions grew beyond float64."""
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} overflow float64 at theta = {theta.tolist()}: states or actions grew "
                         f"beyond 1e308 (an unstable closed loop, |A + B k| > 1 over many steps, or a huge theta)")


def simulate(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, eps: ArrayLike) -> Trajectories:
    """Run N episodes at once from given noise eps (N, T): deterministic in theta once eps is fixed."""
    theta, eps = policy.check_theta(theta), _noise(env, eps)
    sigma, N = _std(policy, theta), eps.shape[0]
    s = np.empty((N, env.T + 1))
    a = np.empty((N, env.T))
    s[:, 0] = env.s0
    with np.errstate(over="ignore", invalid="ignore"):  # checked below, in words
        for t in range(env.T):  # a loop over time; every episode advances together
            a[:, t] = theta[0] * s[:, t] + theta[1] + sigma * eps[:, t]
            s[:, t + 1] = env.A * s[:, t] + env.B * a[:, t]
        r = -(env.q * s[:, :-1] ** 2 + env.c * a**2)
    _finite("the rewards", r, theta)
    return Trajectories(s, a, np.concatenate([r, -env.q_T * s[:, -1:] ** 2], axis=1))


def returns_given_noise(env: PointMass, policy: GaussianPolicy, theta: ArrayLike, eps: ArrayLike) -> np.ndarray:
    """R(theta, eps) = sum of all rewards, per episode: (N,)."""
    return simulate(env, policy, theta, eps).rewards.sum(axis=1)


def exact_return_and_gradient(env: PointMass, policy: GaussianPolicy, theta: ArrayLike) -> tuple[float, np.ndarray]:
    """Exact J(theta) and grad J: (float, (P,)), from the linear-quadratic structure.

    s_t is Gaussian with mean m and variance v: m' = g m + B b, v' = g^2 v + B^2 sigma^2 with the
    closed-loop gain g = A + B k, and E[s^2] = m^2 + v, E[a^2] = (k m + b)^2 + k^2 v + sigma^2.
    Derivatives (dm, dv, ...) are carried forward alongside (forward-mode differentiation).
    """
    theta = policy.check_theta(theta)
    k, b, sigma, P = theta[0], theta[1], _std(policy, theta), policy.n_params
    e = np.eye(P)
    dvar_a0 = 2 * sigma**2 * e[2] if policy.sigma is None else np.zeros(P)  # d sigma^2 / d theta
    m, v, dm, dv = env.s0, 0.0, np.zeros(P), np.zeros(P)
    J, dJ = 0.0, np.zeros(P)
    with np.errstate(over="ignore", invalid="ignore"):  # checked at the end, in words
        for _ in range(env.T):
            mu_a, dmu_a = k * m + b, e[0] * m + k * dm + e[1]
            var_a, dvar_a = k**2 * v + sigma**2, 2 * k * v * e[0] + k**2 * dv + dvar_a0
            J -= env.q * (m**2 + v) + env.c * (mu_a**2 + var_a)
            dJ -= env.q * (2 * m * dm + dv) + env.c * (2 * mu_a * dmu_a + dvar_a)
            g, dg = env.A + env.B * k, env.B * e[0]
            m, dm = g * m + env.B * b, dg * m + g * dm + env.B * e[1]
            v, dv = g**2 * v + env.B**2 * sigma**2, 2 * g * v * dg + g**2 * dv + env.B**2 * dvar_a0
        J, dJ = J - env.q_T * (m**2 + v), dJ - env.q_T * (2 * m * dm + dv)
    _finite("J and its gradient", np.append(dJ, J), theta)
    return float(J), dJ
