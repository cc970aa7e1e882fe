"""The REINFORCE surrogate loss and its gradient by a hand-written backward pass (notebook 08).

    L(theta) = -(1/N) sum_i sum_t w[i, t] log pi_theta(a_t^i | s_t^i)

with the weights w (the returns G) computed from the episodes and then held fixed: they are data,
not functions of theta. Only the gradient of L means anything: it is the REINFORCE estimate (with
a minus sign, because optimisers minimise). Its value says nothing about how good the policy is.
The book's per-step alternative to one minibatch step is `pgbook.learn.book_reinforce`.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array
from ._estimator_inputs import fits
from .policies import SoftmaxPolicy, softmax
from .rollout import Episodes


def _weights(episodes: Episodes, policy: SoftmaxPolicy, weights) -> np.ndarray:
    """weights as a float (N, T) array, zero on padding; ValueError for the wrong shape, or for
    episodes whose states or actions do not fit the policy's table (they would index other rows)."""
    w = as_float_array("weights", weights)
    if w.shape != episodes.mask.shape:
        raise ValueError(f"weights have shape {w.shape}, expected one per step (N, T) = {episodes.mask.shape}")
    fits(episodes, policy.n_states, policy.n_actions)
    return w * episodes.mask


def surrogate_loss(episodes: Episodes, policy: SoftmaxPolicy, theta: ArrayLike, weights: ArrayLike) -> float:
    """L(theta) for a batch; weights: (N, T), e.g. R(tau) repeated along t, or gamma^t G_t."""
    w = _weights(episodes, policy, weights)
    logp = policy.log_probs(theta)[episodes.states, episodes.actions]  # gather: (N, T)
    return float(-(w * logp).sum() / episodes.n_episodes)


def log_softmax_backward(z: ArrayLike, grad_out: ArrayLike) -> np.ndarray:
    """Vector-Jacobian product of log_softmax along the last axis: z, grad_out (..., A) -> (..., A).

    d log_softmax(z)_a / d z_b = [a == b] - softmax(z)_b, so upstream gradients g give
    g_b - softmax(z)_b * sum_a g_a: each output pulls its own logit up and every logit down by pi.
    """
    z, g = as_float_array("z", z), as_float_array("grad_out", grad_out)
    if z.shape != g.shape:
        raise ValueError(f"grad_out has shape {g.shape}, expected the shape of z {z.shape}")
    return g - softmax(z) * g.sum(axis=-1, keepdims=True)  # pgbook.policies.softmax: no overflow


def surrogate_gradient(episodes: Episodes, policy: SoftmaxPolicy, theta: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """dL/dtheta by a backward pass through gather -> log_softmax -> linear logits; shaped like theta."""
    w = _weights(episodes, policy, weights)
    S, A = policy.n_states, policy.n_actions
    z = policy.logits(theta)  # forward: (S, A)
    # backward of the gather logp[s_t, a_t]: scatter-add -w/N onto the (s, a) each step took
    flat = episodes.states * A + episodes.actions
    g_logp = -np.bincount(flat.ravel(), weights=w.ravel(), minlength=S * A).reshape(S, A) / episodes.n_episodes
    g_z = log_softmax_backward(z, g_logp)
    # backward of z[s, a] = theta . phi[s, a] (tabular: z is theta itself)
    return g_z if policy.is_tabular else np.einsum("sa,sak->k", g_z, policy.phi)
