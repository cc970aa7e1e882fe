"""Policies: softmax over state-action features (notebook 03) and a linear Gaussian (notebook 06).

    pi(a | s) = exp(theta . phi[s, a]) / sum_b exp(theta . phi[s, b])
    score(s, a) = grad_theta log pi(a | s) = phi[s, a] - sum_b pi(b | s) phi[s, b]

`phi` has shape (S, A, d) and theta shape (d,). The tabular policy is the one-hot special case,
where theta is an (S, A) table of logits and no (S, A, S*A) feature array is ever built. Every
method takes one theta; the `_many` methods take a stack `thetas` (R, *theta_shape), one policy
per run, and equal a loop over single-theta calls.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_real
from .mdp import TabularMDP


def _shifted(name: str, z: ArrayLike, axis: int) -> np.ndarray:
    """z - max(z) along `axis`, with that axis swapped to the front: (A, ...).

    The max is taken slice by slice: numpy's reductions over a short axis cost several times a few
    elementwise maxima (measured: 11 us vs 1.3 us for (300, 2)), and the book's per-step update
    calls softmax at every step."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 0:
        raise ValueError(f"{name} needs an array of logits, got the scalar {float(z)!r}")
    z = z.swapaxes(axis, 0)  # a view (faster than moveaxis): z[k] holds every logit of action k
    if z.shape[0] == 0:
        raise ValueError(f"{name} needs logits with an axis of length >= 1, got length 0 on axis {axis}")
    m = z[0]
    for k in range(1, z.shape[0]):
        m = np.maximum(m, z[k])
    return z - m


def _sum_first(e: np.ndarray) -> np.ndarray:
    total = e[0]
    for k in range(1, e.shape[0]):  # slice by slice, as in `_shifted`
        total = total + e[k]
    return total


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """exp(z) / sum exp(z) along `axis` (the last by default), same shape as z; finite for logits of
    +-1e4: the max is subtracted before exp, so nothing overflows."""
    e = np.exp(_shifted("softmax", z, axis))
    return np.ascontiguousarray((e / _sum_first(e)).swapaxes(0, axis))  # C order, as numpy returns


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z - log sum exp(z) along `axis` (the last by default), same shape as z.

    With m the max, (z - m) - log sum exp(z - m): the sum is >= 1, so the result is exact for huge
    logits and never -inf, even where softmax(z) underflows to 0.
    """
    z = _shifted("log_softmax", z, axis)
    return np.ascontiguousarray((z - np.log(_sum_first(np.exp(z)))).swapaxes(0, axis))


class SoftmaxPolicy:
    """Linear softmax policy; finite log-probabilities and scores even for huge logits (tested at +-1e4)."""

    def __init__(self, phi: ArrayLike) -> None:
        """phi: (S, A, d) features, copied and made read-only; theta will have shape (d,)."""
        phi = as_float_array("phi", phi, ndim=3)
        if 0 in phi.shape:
            raise ValueError(f"phi must have shape (S, A, d) with S, A, d >= 1, got {phi.shape}")
        phi.setflags(write=False)
        self.phi: np.ndarray | None = phi
        self.n_states, self.n_actions, _ = phi.shape
        self.theta_shape: tuple[int, ...] = (phi.shape[2],)

    @classmethod
    def tabular(cls, n_states: int, n_actions: int) -> "SoftmaxPolicy":
        """One logit per (s, a): theta has shape (S, A); equivalent to one-hot features."""
        self = cls.__new__(cls)
        self.phi = None  # never materialised: the one-hot case is handled in closed form
        self.n_states = check_positive_int("n_states", n_states)
        self.n_actions = check_positive_int("n_actions", n_actions)
        self.theta_shape = (self.n_states, self.n_actions)
        return self

    @property
    def is_tabular(self) -> bool:
        """True for the one-logit-per-(s, a) policy of `tabular` (no feature array)."""
        return self.phi is None

    def __repr__(self) -> str:
        kind = "tabular" if self.is_tabular else f"d={self.theta_shape[0]}"
        return f"SoftmaxPolicy(S={self.n_states}, A={self.n_actions}, {kind})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """Return theta as a float array, or raise ValueError naming the shape or NaN problem."""
        theta = as_float_array("theta", theta)
        if theta.shape != self.theta_shape:
            raise ValueError(f"theta has shape {theta.shape}, expected {self.theta_shape} for {self!r}")
        return theta

    def check_thetas(self, thetas: ArrayLike) -> np.ndarray:
        """Return a stack of parameters (R, *theta_shape) as a float array, or raise ValueError."""
        thetas = as_float_array("thetas", thetas)
        if thetas.ndim != 1 + len(self.theta_shape) or thetas.shape[1:] != self.theta_shape:
            raise ValueError(f"thetas has shape {thetas.shape}, expected (R, *theta_shape) = "
                             f"(R, {', '.join(map(str, self.theta_shape))}) for {self!r}")
        return thetas

    def check_mdp(self, mdp) -> None:
        """ValueError unless this policy has as many states and actions as `mdp` (TypeError for a non-MDP)."""
        if not isinstance(mdp, TabularMDP):
            raise TypeError(f"mdp must be a pgbook.TabularMDP, got {type(mdp).__name__}")
        if (self.n_states, self.n_actions) != (mdp.n_states, mdp.n_actions):
            raise ValueError(f"policy is for (S, A) = {(self.n_states, self.n_actions)} but the MDP "
                             f"has (S, A) = {(mdp.n_states, mdp.n_actions)}")

    def logits(self, theta: ArrayLike) -> np.ndarray:
        """theta . phi[s, a] for every (s, a): (S, A)."""
        theta = self.check_theta(theta)
        return theta if self.is_tabular else self.phi @ theta

    def log_probs(self, theta: ArrayLike) -> np.ndarray:
        """log pi(a | s): (S, A). Log-sum-exp with the max subtracted, so no overflow and no log(0)."""
        return log_softmax(self.logits(theta))

    def probs(self, theta: ArrayLike) -> np.ndarray:
        """pi(a | s): (S, A); every row sums to 1."""
        return np.exp(self.log_probs(theta))

    def score(self, theta: ArrayLike) -> np.ndarray:
        """grad_theta log pi(a | s) for every (s, a): (S, A, *theta_shape).

        For a tabular policy this is (S, A, S, A), fine for small problems; large ones should use
        `weighted_score`, which never builds it.
        """
        pi = self.probs(theta)
        if self.is_tabular:
            S, A = self.theta_shape
            onehot = np.eye(S * A).reshape(S, A, S, A)
            mean = np.einsum("sb,sbtc->stc", pi, onehot)  # E_b[onehot(s, b)] for each s
            return onehot - mean[:, None]
        return self.phi - np.einsum("sb,sbk->sk", pi, self.phi)[:, None, :]

    def _centred_sum(self, centred: np.ndarray) -> np.ndarray:
        return centred if self.is_tabular else np.einsum("...sa,sak->...k", centred, self.phi)

    def weighted_score(self, theta: ArrayLike, weights: ArrayLike) -> np.ndarray:
        """sum over (s, a) of weights[..., s, a] * score(s, a): (..., *theta_shape).

        This is the vector-Jacobian product of log pi; with weights = d(s) pi(a|s) A(s, a) it is
        the policy gradient, with weights = per-episode visit counts times returns it is one
        REINFORCE sample per episode. The centring w - (sum_b w_b) pi is the softmax score's
        "minus the mean feature" term, applied once per state instead of per (s, a).
        """
        pi = self.probs(theta)
        w = as_float_array("weights", weights)
        if w.ndim < 2 or w.shape[-2:] != pi.shape:
            raise ValueError(f"weights have shape {w.shape}, expected (..., S, A) = (..., "
                             f"{self.n_states}, {self.n_actions})")
        return self._centred_sum(w - w.sum(axis=-1, keepdims=True) * pi)

    def _logits_many(self, thetas: ArrayLike) -> np.ndarray:
        """`logits` for each theta of a stack (R, *theta_shape): (R, S, A)."""
        thetas = self.check_thetas(thetas)
        return thetas if self.is_tabular else np.einsum("sak,rk->rsa", self.phi, thetas)

    def log_probs_many(self, thetas: ArrayLike) -> np.ndarray:
        """log pi(a | s) for each theta of a stack (R, *theta_shape): (R, S, A)."""
        return log_softmax(self._logits_many(thetas))

    def probs_many(self, thetas: ArrayLike) -> np.ndarray:
        """pi(a | s) for each theta of a stack (R, *theta_shape): (R, S, A)."""
        return softmax(self._logits_many(thetas))

    def weighted_score_many(self, thetas: ArrayLike, weights: ArrayLike) -> np.ndarray:
        """`weighted_score` with one theta per run: thetas (R, *theta_shape), weights (R, S, A) ->
        (R, *theta_shape), row r = sum_(s, a) weights[r, s, a] grad log pi_(thetas[r])(a | s)."""
        pi = self.probs_many(thetas)
        w = as_float_array("weights", weights)
        if w.shape != pi.shape:
            raise ValueError(f"weights have shape {w.shape}, expected (R, S, A) = {pi.shape} "
                             f"(one table per theta of the stack)")
        return self._centred_sum(w - w.sum(axis=-1, keepdims=True) * pi)


# log sigma for which sigma = exp(log sigma) is a normal positive float (no overflow, no underflow)
_LOG_SIGMA = (float(np.log(np.finfo(np.float64).tiny)), float(np.log(np.finfo(np.float64).max)))


@dataclass(frozen=True)
class GaussianPolicy:
    """a ~ N(k s + b, sigma^2): mean linear in the features (s, 1), theta = (k, b).

    sigma=None makes sigma learnable as theta[2] = log sigma (so it stays > 0); sigma=0.0 is a
    deterministic policy, usable by the pathwise gradient but not by the score function.
    """

    sigma: float | None = 0.5

    def __post_init__(self) -> None:
        if self.sigma is not None:
            check_real("sigma", self.sigma, 0.0, 1e6)  # sigma = 0: a deterministic policy

    @property
    def n_params(self) -> int:
        """P = len(theta): 2 (k, b), or 3 (k, b, log sigma) when sigma is learned."""
        return 2 if self.sigma is not None else 3

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """Return theta (P,) as a float array, or raise ValueError naming the shape or NaN problem."""
        theta = as_float_array("theta", theta, ndim=1)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta has shape {theta.shape}, expected ({self.n_params},) = (k, b"
                             f"{', log sigma' if self.sigma is None else ''})")
        if self.sigma is None and not _LOG_SIGMA[0] <= theta[2] <= _LOG_SIGMA[1]:
            raise ValueError(f"theta[2] = log sigma = {theta[2]:g} gives sigma = "
                             f"{'inf (exp overflows)' if theta[2] > 0 else '0 (exp underflows)'}: keep log "
                             f"sigma in [{_LOG_SIGMA[0]:.1f}, {_LOG_SIGMA[1]:.1f}] (sigma a positive, finite float)")
        return theta

    def std(self, theta: ArrayLike) -> float:
        """sigma: the fixed one, or exp(theta[2]) when it is learned (theta checked as in check_theta)."""
        return float(np.exp(self.check_theta(theta)[2])) if self.sigma is None else float(self.sigma)

    def score(self, theta: ArrayLike, s: ArrayLike, a: ArrayLike) -> np.ndarray:
        """grad_theta log pi(a|s) for arrays s, a of one shape: (*s.shape, P). Needs sigma > 0."""
        theta, sigma = self.check_theta(theta), self.std(theta)
        s, a = as_float_array("s", s), as_float_array("a", a)
        if s.shape != a.shape:
            raise ValueError(f"s and a must have one shape, got s {s.shape} and a {a.shape}")
        if sigma == 0:
            raise ValueError("sigma is 0: a deterministic policy has no density, so no score function")
        z = (a - theta[0] * s - theta[1]) / sigma  # the noise eps that produced a
        parts = [z / sigma * s, z / sigma] + ([z**2 - 1] if self.sigma is None else [])
        return np.stack(parts, axis=-1)
