"""The book's objects in jax.numpy, so that `jax.grad` can check them (notebook 11).

Tabular MDPs: `expected_return(mdp, policy)` is theta -> J(theta) through the linear solve of
`pgbook.exact` (its gradient is the policy gradient theorem's), and `surrogate_loss(policy,
episodes)` is (theta, w) -> L = -(1/N) sum_i sum_t w_it log pi(a_it | s_it) on sampled episodes
(with w the returns, its gradient is minus the REINFORCE estimate).

Linear-quadratic control (`pgbook.lqr`): `lq_episode` simulates one episode with jax.lax.scan, so
that its rewards are a differentiable function of the gain K for fixed noise. `gradient_samples`
gives per-episode estimators of grad_K J, batched over episodes with jax.vmap and compiled as one
program: jax.grad through the simulator (pathwise, and with the state detached inside the reward or
everywhere, notebook 06's detach="reward" and "all") and REINFORCE (jax.grad of `score_surrogate`, in
which everything but log pi is held fixed by stop_gradient), plus what the same surrogate gives
without the stop-gradients.

Every function wants float64: call jax.config.update("jax_enable_x64", True) first.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import as_float_array
from .lqr import LQ, validate
from .pathwise import _check_detach

sg = jax.lax.stop_gradient


def _require_x64() -> None:
    if not jax.config.jax_enable_x64:
        raise RuntimeError('pgbook.autodiff compares with float64 numpy to round-off: call '
                           'jax.config.update("jax_enable_x64", True) before using it')


def expected_return(mdp, policy):
    """theta -> J(theta) for a SoftmaxPolicy on a TabularMDP, differentiable by jax.grad.

    Solves (I - gamma P_pi) V = r_pi on the non-terminal states (terminal ones have V = 0), as
    `pgbook.exact.evaluate` does when every state's value is defined.
    """
    _require_x64()
    policy.check_mdp(mdp)
    live = ~mdp.terminal
    P, R, rho = (jnp.asarray(x) for x in (mdp.P[live][:, :, live], mdp.R[live], mdp.rho[live]))
    phi = None if policy.is_tabular else jnp.asarray(policy.phi[live])

    def J(theta):
        logits = theta[live] if phi is None else phi @ theta  # (L, A): the live states only
        pi = jax.nn.softmax(logits, axis=-1)
        P_pi, r_pi = jnp.einsum("sa,sat->st", pi, P), jnp.einsum("sa,sa->s", pi, R)
        V = jnp.linalg.solve(jnp.eye(len(r_pi)) - mdp.gamma * P_pi, r_pi)
        return rho @ V

    return J


def surrogate_loss(policy, episodes):
    """(theta, weights) -> -(1/N) sum_i sum_t weights[i, t] log pi(a_it | s_it) over the real steps.

    weights: (N, T), e.g. R(tau_i) on every step or gamma^t G_t; padding steps count for nothing.
    """
    _require_x64()
    s, a, mask = (jnp.asarray(x) for x in (episodes.states, episodes.actions, episodes.mask))
    phi = None if policy.is_tabular else jnp.asarray(policy.phi)

    def L(theta, weights):
        logits = theta if phi is None else phi @ theta  # (S, A)
        logp = jax.nn.log_softmax(logits, axis=-1)[s, a]  # gather the steps taken: (N, T)
        return -(weights * mask * logp).sum() / len(s)

    return L


def lq_episode(lq: LQ, K, sigma, s0, eps, detach: str = "none"):
    """One episode from s0 (n,) with noise eps (T, m): states (T, n), actions (T, m), rewards (T,).

    a_t = K s_t + sigma eps_t, s_{t+1} = A s_t + B a_t, r_t = -(s_t'Q s_t + a_t'R a_t); a
    differentiable function of K (m, n). `detach` says where step t reads sg[s_t], a constant, as in
    `pgbook.pathwise`:
      "none"    nowhere: jax.grad of the return is the true pathwise gradient;
      "reward"  inside the reward only, r_t = -(sg[s_t]'Q sg[s_t] + a_t'R a_t); the simulator and the
                policy's input K s_t stay differentiable, so only the state cost loses its gradient;
      "all"     in the reward and the policy's input, a_t = K sg[s_t] + sigma eps_t: no gradient
                reaches a reward from an earlier step, only dr_t/da_t da_t/dK is left.
    The returned states, actions and rewards have the same values in every mode.
    """
    detach = _check_detach(detach)
    A, B, Q, R = (jnp.asarray(x) for x in (lq.A, lq.B, lq.Q, lq.R))

    def step(s, e):
        s_policy = sg(s) if detach == "all" else s
        s_reward = s if detach == "none" else sg(s)
        a = K @ s_policy + sigma * e
        return A @ s + B @ a, (s, a, -(s_reward @ Q @ s_reward + a @ R @ a))

    _, (s, a, r) = jax.lax.scan(step, jnp.asarray(s0, dtype=float), jnp.asarray(eps, dtype=float))
    return s, a, r


def weighted_return(lq: LQ, K, sigma, s0, eps, weights, detach: str = "none"):
    """sum_t weights_t r_t of one episode: for fixed s0 and eps, a differentiable function of K."""
    return lq_episode(lq, K, sigma, s0, eps, detach)[2] @ weights


def log_policy(K, sigma, s, a):
    """log N(a_t; K s_t, sigma^2 I) for states s (T, n) and actions a (T, m): (T,)."""
    m = a.shape[-1]
    return -0.5 * jnp.sum((a - s @ K.T) ** 2, axis=-1) / sigma**2 - m * jnp.log(sigma * jnp.sqrt(2 * jnp.pi))


def score_surrogate(lq: LQ, K, sigma, s0, eps, weights, stop_gradient: bool = True):
    """sum_t log pi_K(a_t | s_t) G_t for one episode, with G_t = sum_{t' >= t} w_t' r_t'.

    Its jax.grad is that episode's REINFORCE sample only with stop_gradient=True, which holds the
    sampled states, actions and returns fixed; with False every one of them moves with K.
    """
    s, a, r = lq_episode(lq, K, sigma, s0, eps)  # all three are functions of K here
    G = jnp.cumsum((weights * r)[::-1])[::-1]
    if stop_gradient:
        s, a, G = sg(s), sg(a), sg(G)  # the sample is data (.detach() in PyTorch)
    return jnp.sum(log_policy(K, sigma, s, a) * G)


class LQSamples(NamedTuple):
    """Per-episode estimates of grad_K J, each (H, N, m, n): one row per weight vector, one per episode."""

    pathwise: np.ndarray  # jax.grad of sum_t w_t r_t through the simulator
    detached_reward: np.ndarray  # the same with sg[s_t] inside the reward only (detach="reward"): biased
    detached_all: np.ndarray  # the same with sg[s_t] in the reward and the policy's input (detach="all"): biased
    reinforce: np.ndarray  # jax.grad of score_surrogate: sum_t grad log pi(a_t|s_t) G_t
    no_stop_gradient: np.ndarray  # jax.grad of score_surrogate with nothing held fixed: not an estimate


@partial(jax.jit, static_argnums=0)
def _gradient_samples(lq, K, sigma, s0, eps, weights):
    """All five per-episode gradients for every weight vector (H, T), compiled as one program: one
    compilation instead of one per estimator (compiling costs far more here than running)."""
    def per_episode(f, flag, w):  # jax.grad for one episode, vmapped over the N episodes
        one = lambda K, s0, eps: f(lq, K, sigma, s0, eps, w, flag)
        return jax.vmap(jax.grad(one), in_axes=(None, 0, 0))(K, s0, eps)

    def for_weights(w):
        return LQSamples(*(per_episode(weighted_return, detach, w) for detach in ("none", "reward", "all")),
                         per_episode(score_surrogate, True, w), per_episode(score_surrogate, False, w))

    return jax.vmap(for_weights)(weights)  # every weight vector in one pass through time


def gradient_samples(lq: LQ, K, sigma: float, s0, eps, weights) -> LQSamples:
    """Per-episode estimates of grad_K J by jax.grad for N episodes, given their start states s0 (N, n)
    and noise eps (N, T, m), for H weight vectors, weights (H, T):

    - pathwise: jax.grad of `weighted_return`, the gradient through the simulator;
    - detached_reward, detached_all: the same with detach="reward" and detach="all" (see
      `lq_episode`); biased, with the expectations `pgbook.lqr.detached_gradient` gives;
    - reinforce: REINFORCE with reward-to-go, sum_t grad_K log pi(a_t|s_t) sum_{t'>=t} w_t' r_t', as
      jax.grad of `score_surrogate`;
    - no_stop_gradient: jax.grad of `score_surrogate(..., stop_gradient=False)`, with nothing held
      fixed: not an estimate of grad J (notebook 11 shows what it is instead).

    Rows of weights such as gamma^t for t < horizon and 0 after let one simulation serve every horizon.
    Each field is (H, N, m, n). Needs sigma > 0 (REINFORCE needs a density). Compiled once per task
    and shapes (H, N, T).
    """
    _require_x64()
    K, sigma, _ = validate(lq, K, sigma, 1)
    if sigma == 0:
        raise ValueError("sigma is 0: a deterministic policy has no density, so no score function "
                         "(REINFORCE needs sigma > 0)")
    s0, eps = as_float_array("s0", s0, ndim=2), as_float_array("eps", eps, ndim=3)
    weights = as_float_array("weights", weights)
    N, T = eps.shape[:2]
    if (s0.shape != (N, lq.n_states) or eps.shape != (N, T, lq.n_actions) or weights.shape[1:] != (T,)
            or len(weights) == 0):
        raise ValueError(f"s0 {s0.shape}, eps {eps.shape} and weights {weights.shape} should be (N, n), "
                         f"(N, T, m) and (H, T), one row of weights per estimate (weights[None] for one), "
                         f"with n = {lq.n_states}, m = {lq.n_actions}")
    return LQSamples(*map(np.asarray, _gradient_samples(lq, jnp.asarray(K), sigma, s0, eps, weights)))
