"""Chapter 11: a loss whose jax.grad is minus the REINFORCE estimate, in a differentiable simulator.

JAX is imported inside the checker, so `import pgbook.check` does not load it. The expected answer
and the recognised mistakes are computed in numpy, independently of JAX and of `pgbook.autodiff`:
the score of the Gaussian policy in closed form, derivatives of the rollout by forward-mode
differentiation in numpy (`pgbook.lqr.rewards_to_go`).
"""
from __future__ import annotations

import numpy as np

from ._core import Verdict, _fmt, returned_none

__all__ = ["reinforce_loss"]

RTOL, ATOL = 1e-8, 1e-10


def _task():
    """The notebook's LQ task: three episodes of 20 steps, weights gamma^t."""
    from .. import lqr

    lq, K, sigma, T = lqr.double_integrator(), np.array([[-1.0, -2.0]]), 0.5, 20
    rng = np.random.default_rng(11)
    return lq, K, sigma, lqr.sample_start(lq, 3, rng), rng.standard_normal((3, T, 1)), lq.gamma ** np.arange(T)


def _reinforce(lq, K, sigma, s0, eps, weights, reward_to_go: bool = True) -> np.ndarray:
    """sum_t grad_K log pi(a_t|s_t) G_t per episode (N, m, n), with G_t the weighted reward-to-go
    (or the whole weighted return G_0 on every step). For a = K s + sigma eps the score is eps s' / sigma."""
    from .. import lqr

    s = lqr.rollout(lq, K, sigma, s0, eps)[0][:, :-1]
    G = lqr.rewards_to_go(lq, K, sigma, s0, eps, weights)[0]
    G = G if reward_to_go else G[:, :1] * np.ones_like(G)
    return np.einsum("nti,ntj,nt->nij", eps, s, G) / sigma


def _mistakes(args):
    """(what a typical mistake computes (N, m, n), what to say about it), computed only when needed."""
    from .. import lqr

    lq, K, sigma, s0, eps, weights = args

    def no_stop_gradient():  # the score term vanishes (a - K s = sigma eps): sum_t log pi_t dG_t / dK
        dG = lqr.rewards_to_go(*args)[1]
        log_pi = -0.5 * (eps**2).sum(axis=2) - eps.shape[2] * np.log(sigma * np.sqrt(2 * np.pi))
        return np.einsum("nt,ntij->nij", log_pi, dG)

    yield (no_stop_gradient,
           "it differentiates through the sampled states, actions and returns as well. Hold them fixed "
           "with jax.lax.stop_gradient (.detach() in PyTorch): only log pi should move with K.")
    yield (lambda: _reinforce(*args, reward_to_go=False),
           "every step is weighted by the whole return R(tau). That is unbiased too, but the exercise "
           "asks for the reward-to-go G_t = sum_{t' >= t} w_t' r_t'.")
    yield (lambda: lqr.rewards_to_go(*args)[1][:, 0],
           "that is the gradient through the simulator (pathwise), not REINFORCE, which differentiates "
           "only log pi(a_t | s_t) and weights it by the return.")


def reinforce_loss(loss) -> Verdict:
    """Hold `loss(lq, K, sigma, s0, eps, weights) -> scalar` (one episode of a `pgbook.lqr` task)
    against REINFORCE with reward-to-go: jax.grad(loss, argnums=1) must be minus

        sum_t grad_K log pi_K(a_t | s_t) G_t,    G_t = sum_{t' >= t} weights[t'] r_t',

    on three episodes of the double integrator (K = [[-1, -2]], sigma = 0.5, 20 steps, weights
    gamma^t). Recognised mistakes: differentiating through the sampled states, actions or returns
    (no stop_gradient), the whole return on every step instead of G_t, the pathwise gradient, the sign.
    """
    import jax

    if not callable(loss):
        return Verdict(False, f"loss should be a function, got {type(loss).__name__}.")
    if not jax.config.jax_enable_x64:
        return Verdict(False, 'run jax.config.update("jax_enable_x64", True) first: the check compares in float64.')
    lq, K, sigma, s0, eps, weights = args = _task()
    expected = -_reinforce(*args)

    def checked(*a):  # jax.grad of None fails with a message about scalars: say what happened instead
        out = loss(*a)
        if out is None:
            raise _ReturnedNone
        return out

    grad = jax.grad(checked, argnums=1)
    try:  # compiled once for all episodes if the function allows it; eagerly otherwise. It runs once
        # on 60 steps, so compiling fast matters, not running fast: no LLVM optimisation (~30% cheaper)
        got = np.asarray(jax.jit(jax.vmap(grad, in_axes=(None, None, None, 0, 0, None)), static_argnums=0,
                                 compiler_options={"xla_backend_optimization_level": 0})(*args))
    except _ReturnedNone:
        return returned_none("loss(lq, K, sigma, s0, eps, weights)")
    except Exception:
        try:
            got = np.stack([np.asarray(grad(lq, K, sigma, s0[i], eps[i], weights)) for i in range(len(s0))])
        except _ReturnedNone:
            return returned_none("loss(lq, K, sigma, s0, eps, weights)")
        except Exception as err:  # a learner's bug is reported, not raised
            return Verdict(False, f"jax.grad(loss, argnums=1) raised {type(err).__name__}: {err}")
    if got.shape != expected.shape:
        return Verdict(False, f"the gradient with respect to K has shape {got.shape[1:]}, expected {K.shape}.")
    if np.allclose(got, expected, rtol=RTOL, atol=ATOL):
        return Verdict(True, f"jax.grad of your loss is minus the REINFORCE sample on all {len(s0)} test "
                             f"episodes (the first: {_fmt(expected[0])}).")
    if np.allclose(got, -expected, rtol=RTOL, atol=ATOL):
        return Verdict(False, "Your gradient is +REINFORCE: a loss to minimise needs a minus sign.")
    for compute, hint in _mistakes(args):
        value = compute()
        for sign, where in ((-1, ""), (1, " with the opposite sign")):
            if np.allclose(got, sign * value, rtol=RTOL, atol=ATOL):
                return Verdict(False, f"Your gradient matches a known mistake{where}: {hint}")
    i = int(np.argmax(~np.all(np.isclose(got, expected, rtol=RTOL, atol=ATOL), axis=(1, 2))))
    return Verdict(False, f"On test episode {i} the gradient is {_fmt(got[i])}, expected {_fmt(expected[i])}.")


class _ReturnedNone(Exception):
    """The learner's loss returned None (an unfinished body)."""
