"""pgbook.autodiff: jax.grad as an independent check of the book's gradients (notebook 11).

jax.grad of the exact J against the policy gradient theorem, of the surrogate loss against
REINFORCE, of the LQ simulator against numpy forward-mode derivatives and the exact gradient; and
the chapter's self-checking exercise against every mistake it claims to recognise.
"""
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import pgbook as pg  # noqa: E402
from pgbook import autodiff as ad, lqr  # noqa: E402

sg = jax.lax.stop_gradient


def tabular_problems():
    grid = pg.envs.gridworld()
    rng = np.random.default_rng(0)
    mdp_r = pg.envs.random_mdp(6, 3, np.random.default_rng(4))
    yield "corridor", pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()), np.array([-0.5, 0.5])
    yield "gridworld", grid, pg.SoftmaxPolicy.tabular(grid.n_states, grid.n_actions), rng.normal(scale=0.5, size=(11, 4))
    yield "random", mdp_r, pg.SoftmaxPolicy(rng.normal(size=(6, 3, 4))), rng.normal(size=4)
    chain = pg.envs.chain()
    yield "chain", chain, pg.SoftmaxPolicy.tabular(chain.n_states, chain.n_actions), rng.normal(size=(chain.n_states, chain.n_actions))


PROBLEMS = list(tabular_problems())


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_grad_of_exact_J_is_the_policy_gradient_theorem(name, mdp, policy, theta):
    J, grad = jax.jit(jax.value_and_grad(ad.expected_return(mdp, policy)))(theta)
    assert np.isclose(float(J), pg.exact.expected_return(mdp, policy, theta), rtol=1e-12)
    assert pg.gradcheck.relative_error(np.asarray(grad), pg.exact.policy_gradient(mdp, policy, theta)) < 1e-12


def test_backward_pass_of_the_solve_is_the_occupancy():
    _, mdp, policy, theta = PROBLEMS[1]
    pi, live = policy.probs(theta), ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)[live]
    J = lambda P, r: mdp.rho[live] @ jnp.linalg.solve(jnp.eye(len(r)) - mdp.gamma * P, r)
    dP, dr = jax.jit(jax.grad(J, argnums=(0, 1)))(P_pi, r_pi)
    V, _, d, _ = pg.exact.evaluate(mdp, pi)
    assert np.allclose(dr, d[live], rtol=1e-12)  # dJ/dr_pi = d
    assert np.allclose(dP, mdp.gamma * np.outer(d[live], V[live]), rtol=1e-12, atol=1e-15)  # dJ/dP_pi = gamma d V'


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS[:3], ids=[p[0] for p in PROBLEMS[:3]])
def test_grad_of_surrogate_loss_is_minus_reinforce(name, mdp, policy, theta):
    # the random MDP never terminates: its episodes are cut at 50 steps, and accepted as such
    episodes = pg.rollout.sample_episodes(mdp, policy, theta, 300, np.random.default_rng(1), max_steps=50)
    grad_L = jax.jit(jax.grad(ad.surrogate_loss(policy, episodes)))
    weights = {"total": np.broadcast_to(episodes.returns(mdp.gamma)[:, None], episodes.mask.shape),
               "reward_to_go": episodes.discounts(mdp.gamma) * episodes.rewards_to_go(mdp.gamma)}
    for returns, w in weights.items():
        est = pg.estimators.reinforce_gradient(episodes, policy, theta, mdp.gamma, returns=returns,
                                               truncation="accept")
        assert pg.gradcheck.relative_error(-np.asarray(grad_L(theta, w)), est.mean) < 1e-12


def test_surrogate_loss_ignores_padding():
    _, mdp, policy, theta = PROBLEMS[0]
    episodes = pg.rollout.sample_episodes(mdp, policy, theta, 20, np.random.default_rng(2))
    L = jax.jit(ad.surrogate_loss(policy, episodes))
    w = np.ones(episodes.mask.shape)
    noisy = np.where(episodes.mask, w, 1e6)  # huge weights on padding must not count
    assert float(L(theta, w)) == float(L(theta, noisy))


LQ, K, SIGMA = lqr.double_integrator(), np.array([[-1.0, -2.0]]), 0.5


def lq_batch(N=2000, T=20, seed=3):
    """One batch shape for every test below, so that each estimator is compiled once."""
    rng = np.random.default_rng(seed)
    return lqr.sample_start(LQ, N, rng), rng.standard_normal((N, T, 1)), LQ.gamma ** np.arange(T)


def test_jax_episode_matches_numpy_rollout():
    s0, eps, _ = lq_batch(N=5, T=30)
    s, a, r = lqr.rollout(LQ, K, SIGMA, s0, eps)
    sj, aj, rj = jax.jit(jax.vmap(lambda s0_, e: ad.lq_episode(LQ, jnp.asarray(K), SIGMA, s0_, e)))(s0, eps)
    assert np.allclose(sj, s[:, :-1]) and np.allclose(aj, a) and np.allclose(rj, r, rtol=1e-13)


def test_pathwise_samples_match_numpy_forward_mode():
    s0, eps, w = lq_batch()
    dG = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, w)[1]
    assert np.allclose(ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w), dG[:, 0], rtol=1e-10, atol=1e-12)


def test_score_samples_match_the_closed_form_score():
    # grad_K log N(a; K s, sigma^2) = (a - K s) s' / sigma^2 = eps s' / sigma
    s0, eps, w = lq_batch()
    s = lqr.rollout(LQ, K, SIGMA, s0, eps)[0][:, :-1]
    G = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, w)[0]
    expected = np.einsum("nti,ntj,nt->nij", eps, s, G) / SIGMA
    assert np.allclose(ad.score_samples(LQ, K, SIGMA, s0, eps, w), expected, rtol=1e-10, atol=1e-10)


def test_without_stop_gradient_only_the_log_density_weighted_pathwise_term_is_left():
    s0, eps, w = lq_batch()
    dG = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, w)[1]
    log_pi = -0.5 * eps[:, :, 0] ** 2 - np.log(SIGMA * np.sqrt(2 * np.pi))
    expected = np.einsum("nt,ntij->nij", log_pi, dG)
    assert np.allclose(ad.score_samples(LQ, K, SIGMA, s0, eps, w, stop_gradient=False), expected, rtol=1e-10, atol=1e-10)


def test_detached_state_is_exact_for_one_step_and_biased_after():
    s0, eps, _ = lq_batch()
    t = np.arange(20)
    w1 = (t < 1) * 1.0
    assert np.allclose(ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w1),
                       ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w1, detach_state=True))
    w = LQ.gamma**t
    exact = lqr.policy_gradient(LQ, K, SIGMA, 20)
    for samples, unbiased in ((ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w), True),
                              (ad.score_samples(LQ, K, SIGMA, s0, eps, w), True),
                              (ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w, detach_state=True), False)):
        est = pg.montecarlo.as_estimate(samples)
        z = np.abs(est.mean - exact) / est.stderr
        assert (z.max() < 4) if unbiased else (z.max() > 20)


def test_bad_lq_inputs_are_refused():
    s0, eps, w = lq_batch(N=4, T=5)
    with pytest.raises(ValueError, match="sigma is 0: a deterministic policy has no density"):
        ad.score_samples(LQ, K, 0.0, s0, eps, w)
    with pytest.raises(ValueError, match=r"and weights \(4,\) should be \(N, n\), \(N, T, m\) and \(T,\)"):
        ad.pathwise_samples(LQ, K, SIGMA, s0, eps, w[:4])
    with pytest.raises(ValueError, match=r"K has shape \(2, 2\)"):
        ad.pathwise_samples(LQ, np.eye(2), SIGMA, s0, eps, w)


def test_float32_is_refused_with_advice():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(RuntimeError, match=r'jax.config.update\("jax_enable_x64", True\)'):
            ad.expected_return(*PROBLEMS[0][1:3])
    finally:
        jax.config.update("jax_enable_x64", True)


# the self-checking exercise: pg.check.reinforce_loss recognises the right answer and each mistake

def loss_right(lq, K, sigma, s0, eps, w):
    s, a, r = ad.lq_episode(lq, K, sigma, s0, eps)
    G = jnp.cumsum((w * r)[::-1])[::-1]
    return -jnp.sum(ad.log_policy(K, sigma, sg(s), sg(a)) * sg(G))


def loss_no_stop_gradient(lq, K, sigma, s0, eps, w):
    s, a, r = ad.lq_episode(lq, K, sigma, s0, eps)
    return -jnp.sum(ad.log_policy(K, sigma, s, a) * jnp.cumsum((w * r)[::-1])[::-1])


def loss_total_return(lq, K, sigma, s0, eps, w):
    s, a, r = ad.lq_episode(lq, K, sigma, s0, eps)
    return -jnp.sum(ad.log_policy(K, sigma, sg(s), sg(a))) * sg(r @ w)


def loss_pathwise(lq, K, sigma, s0, eps, w):
    return -ad.weighted_return(lq, K, sigma, s0, eps, w)


@pytest.mark.parametrize("loss, ok, words", [
    (loss_right, True, "minus the REINFORCE sample on all 3 test episodes"),
    (lambda *a: -loss_right(*a), False, "a loss to minimise needs a minus sign"),
    (loss_no_stop_gradient, False, "jax.lax.stop_gradient"),
    (loss_total_return, False, "the whole return R(tau)"),
    (loss_pathwise, False, "the gradient through the simulator (pathwise)"),
    (lambda lq, K, *a: jnp.sum(K**2), False, "On test episode 0 the gradient is"),
    (lambda *a: 1 / 0, False, "raised ZeroDivisionError"),
    (lambda *a: jnp.zeros(3), False, "raised TypeError: Gradient only defined for scalar-output"),
    (3.0, False, "loss should be a function, got float"),
])
def test_self_check_recognises_answers(loss, ok, words):
    verdict = pg.check.reinforce_loss(loss)
    assert bool(verdict) is ok
    assert words in verdict.message
