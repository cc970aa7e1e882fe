"""Softmax policies over state-action features (introduced in notebook 03).

    pi(a | s) = exp(theta . phi[s, a]) / sum_b exp(theta . phi[s, b])
    score(s, a) = grad_theta log pi(a | s) = phi[s, a] - sum_b pi(b | s) phi[s, b]

`phi` has shape (S, A, d) and theta shape (d,). The tabular policy is the one-hot special case,
where theta is an (S, A) table of logits and no (S, A, S*A) feature array is ever built.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array


class SoftmaxPolicy:
    """Linear softmax policy; finite log-probabilities and scores even for huge logits (tested at +-1e4)."""

    def __init__(self, phi) -> None:
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
        self.n_states, self.n_actions = int(n_states), int(n_actions)
        if self.n_states < 1 or self.n_actions < 1:
            raise ValueError(f"need n_states, n_actions >= 1, got {n_states}, {n_actions}")
        self.theta_shape = (self.n_states, self.n_actions)
        return self

    @property
    def is_tabular(self) -> bool:
        return self.phi is None

    def __repr__(self) -> str:
        kind = "tabular" if self.is_tabular else f"d={self.theta_shape[0]}"
        return f"SoftmaxPolicy(S={self.n_states}, A={self.n_actions}, {kind})"

    def check_theta(self, theta) -> np.ndarray:
        """Return theta as a float array, or raise ValueError naming the shape or NaN problem."""
        theta = as_float_array("theta", theta)
        if theta.shape != self.theta_shape:
            raise ValueError(f"theta has shape {theta.shape}, expected {self.theta_shape} for {self!r}")
        return theta

    def check_mdp(self, mdp) -> None:
        """ValueError unless this policy has as many states and actions as `mdp`."""
        if (self.n_states, self.n_actions) != (mdp.n_states, mdp.n_actions):
            raise ValueError(f"policy is for (S, A) = {(self.n_states, self.n_actions)} but the MDP "
                             f"has (S, A) = {(mdp.n_states, mdp.n_actions)}")

    def logits(self, theta) -> np.ndarray:
        """theta . phi[s, a] for every (s, a): (S, A)."""
        theta = self.check_theta(theta)
        return theta.copy() if self.is_tabular else self.phi @ theta

    def log_probs(self, theta) -> np.ndarray:
        """log pi(a | s): (S, A). Log-sum-exp with the max subtracted, so no overflow and no log(0)."""
        z = self.logits(theta)
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def probs(self, theta) -> np.ndarray:
        """pi(a | s): (S, A); every row sums to 1."""
        return np.exp(self.log_probs(theta))

    def score(self, theta) -> np.ndarray:
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

    def weighted_score(self, theta, weights) -> np.ndarray:
        """sum over (s, a) of weights[..., s, a] * score(s, a): (..., *theta_shape).

        This is the vector-Jacobian product of log pi; with weights = d(s) pi(a|s) A(s, a) it is
        the policy gradient, with weights = per-episode visit counts times returns it is one
        REINFORCE sample per episode. The centring w - (sum_b w_b) pi is the softmax score's
        "minus the mean feature" term, applied once per state instead of per (s, a).
        """
        pi = self.probs(theta)
        w = np.asarray(weights, dtype=np.float64)
        if w.shape[-2:] != (self.n_states, self.n_actions):
            raise ValueError(f"weights have shape {w.shape}, expected (..., S, A) = "
                             f"(..., {self.n_states}, {self.n_actions})")
        centred = w - w.sum(axis=-1, keepdims=True) * pi
        if self.is_tabular:
            return centred
        return np.einsum("...sa,sak->...k", centred, self.phi)
