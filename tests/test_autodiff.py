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
# Each program below runs once on small inputs, so compiling dominates: without LLVM's optimisation
# passes XLA compiles ~30% faster, and float64 results still agree to the 1e-10..1e-12 checked here.
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def tabular_problems():
    # each branch of ad.expected_return / ad.surrogate_loss: features with gamma = 1 and a terminal state,
    # tabular logits with terminal states and slippery moves, features on a dense MDP with no terminal
    grid = pg.envs.gridworld()
    rng = np.random.default_rng(0)
    mdp_r = pg.envs.random_mdp(6, 3, np.random.default_rng(4))
    yield "corridor", pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features()), np.array([-0.5, 0.5])
    yield "gridworld", grid, pg.SoftmaxPolicy.tabular(grid.n_states, grid.n_actions), rng.normal(scale=0.5, size=(11, 4))
    yield "random", mdp_r, pg.SoftmaxPolicy(rng.normal(size=(6, 3, 4))), rng.normal(size=4)


PROBLEMS = list(tabular_problems())
IDS = [p[0] for p in PROBLEMS]


@pytest.mark.parametrize("name, mdp, policy, theta", PROBLEMS, ids=IDS)
def test_grad_of_exact_J_is_the_policy_gradient_theorem(name, mdp, policy, theta):
    J, grad = jax.jit(jax.value_and_grad(ad.expected_return(mdp, policy)), compiler_options=FAST_COMPILE)(theta)
    assert np.isclose(float(J), pg.exact.expected_return(mdp, policy, theta), rtol=1e-12)
    assert pg.gradcheck.relative_error(np.asarray(grad), pg.exact.policy_gradient(mdp, policy, theta)) < 1e-12


def test_backward_pass_of_the_solve_is_the_occupancy():
    _, mdp, policy, theta = PROBLEMS[1]
    pi, live = policy.probs(theta), ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)[live]
    J = lambda P, r: mdp.rho[live] @ jnp.linalg.solve(jnp.eye(len(r)) - mdp.gamma * P, r)
    dP, dr = jax.jit(jax.grad(J, argnums=(0, 1)), compiler_options=FAST_COMPILE)(P_pi, r_pi)
    V, _, d, _ = pg.exact.evaluate(mdp, pi)
    assert np.allclose(dr, d[live], rtol=1e-12)  # dJ/dr_pi = d
    assert np.allclose(dP, mdp.gamma * np.outer(d[live], V[live]), rtol=1e-12, atol=1e-15)  # dJ/dP_pi = gamma d V'


@pytest.fixture(scope="module", params=PROBLEMS, ids=IDS)
def surrogate(request):
    """Sampled episodes of one problem and L's value and gradient, compiled once for every test."""
    # the random MDP never terminates: its episodes are cut at 50 steps, and accepted as such
    _, mdp, policy, theta = request.param
    episodes = pg.rollout.sample_episodes(mdp, policy, theta, 300, np.random.default_rng(1), max_steps=50)
    return mdp, policy, theta, episodes, jax.jit(jax.value_and_grad(ad.surrogate_loss(policy, episodes)),
                                                   compiler_options=FAST_COMPILE)


def test_grad_of_surrogate_loss_is_minus_reinforce(surrogate):
    mdp, policy, theta, episodes, L = surrogate
    weights = {"total": np.broadcast_to(episodes.returns(mdp.gamma)[:, None], episodes.mask.shape),
               "reward_to_go": episodes.discounts(mdp.gamma) * episodes.rewards_to_go(mdp.gamma)}
    for returns, w in weights.items():
        est = pg.estimators.reinforce_gradient(episodes, policy, theta, mdp.gamma, returns=returns,
                                               truncation="accept")
        assert pg.gradcheck.relative_error(-np.asarray(L(theta, w)[1]), est.mean) < 1e-12


def test_surrogate_loss_ignores_padding(surrogate):
    _, _, theta, episodes, L = surrogate
    w = np.ones(episodes.mask.shape)
    noisy = np.where(episodes.mask, w, 1e6)  # huge weights on padding must not count
    (value, grad), (value_noisy, grad_noisy) = L(theta, w), L(theta, noisy)
    assert float(value) == float(value_noisy) and np.array_equal(grad, grad_noisy)


LQ, K, SIGMA = lqr.double_integrator(), np.array([[-1.0, -2.0]]), 0.5
N_LQ, T_LQ = 2000, 20
WEIGHTS = np.stack([(np.arange(T_LQ) < 1) * 1.0, LQ.gamma ** np.arange(T_LQ)])  # one step; gamma^t, 20 steps


@pytest.fixture(scope="module")
def lq_batch():
    """One batch and every estimator on it: gradient_samples compiles once for the whole module."""
    rng = np.random.default_rng(3)
    s0, eps = lqr.sample_start(LQ, N_LQ, rng), rng.standard_normal((N_LQ, T_LQ, 1))
    return s0, eps, ad.gradient_samples(LQ, K, SIGMA, s0, eps, WEIGHTS)


def test_jax_episode_matches_numpy_rollout(lq_batch):
    s0, eps, _ = lq_batch
    s, a, r = lqr.rollout(LQ, K, SIGMA, s0[:5], eps[:5])
    episode = jax.vmap(lambda s0_, e: ad.lq_episode(LQ, jnp.asarray(K), SIGMA, s0_, e))
    sj, aj, rj = jax.jit(episode, compiler_options=FAST_COMPILE)(s0[:5], eps[:5])
    assert np.allclose(sj, s[:, :-1]) and np.allclose(aj, a) and np.allclose(rj, r, rtol=1e-13)


@pytest.mark.parametrize("row", [0, 1], ids=["one step", "gamma^t"])
def test_pathwise_gradients_match_numpy_forward_mode(lq_batch, row):
    s0, eps, samples = lq_batch
    dG = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, WEIGHTS[row])[1]
    assert np.allclose(samples.pathwise[row], dG[:, 0], rtol=1e-10, atol=1e-12)


def test_reinforce_samples_match_the_closed_form_score(lq_batch):
    # grad_K log N(a; K s, sigma^2) = (a - K s) s' / sigma^2 = eps s' / sigma
    s0, eps, samples = lq_batch
    s = lqr.rollout(LQ, K, SIGMA, s0, eps)[0][:, :-1]
    G = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, WEIGHTS[1])[0]
    expected = np.einsum("nti,ntj,nt->nij", eps, s, G) / SIGMA
    assert np.allclose(samples.reinforce[1], expected, rtol=1e-10, atol=1e-10)


def test_without_stop_gradient_only_the_log_density_weighted_pathwise_term_is_left(lq_batch):
    s0, eps, samples = lq_batch
    dG = lqr.rewards_to_go(LQ, K, SIGMA, s0, eps, WEIGHTS[1])[1]
    log_pi = -0.5 * eps[:, :, 0] ** 2 - np.log(SIGMA * np.sqrt(2 * np.pi))
    expected = np.einsum("nt,ntij->nij", log_pi, dG)
    assert np.allclose(samples.no_stop_gradient[1], expected, rtol=1e-10, atol=1e-10)


def test_every_detach_mode_simulates_the_same_episode(lq_batch):
    s0, eps, _ = lq_batch
    runs = [jax.jit(lambda s0_, e, d=d: ad.lq_episode(LQ, jnp.asarray(K), SIGMA, s0_, e, detach=d),
                    compiler_options=FAST_COMPILE)(s0[0], eps[0]) for d in ("none", "reward", "all")]
    for other in runs[1:]:
        assert all(np.array_equal(x, y) for x, y in zip(runs[0], other))
    with pytest.raises(ValueError, match=r"detach must be one of \('none', 'reward', 'all'\), got True"):
        ad.lq_episode(LQ, jnp.asarray(K), SIGMA, s0[0], eps[0], detach=True)


def action_cost_return(k, s0, eps, w):
    """sum_t w_t (-a_t'R a_t) of each episode for gain k, numpy rollout: (N,)."""
    a = lqr.rollout(LQ, k, SIGMA, s0, eps)[1]
    return -np.einsum("nti,ij,ntj->nt", a, LQ.R, a) @ w


@pytest.mark.parametrize("row", [0, 1], ids=["one step", "gamma^t"])
def test_reward_detached_is_the_gradient_of_the_action_costs(lq_batch, row):
    # with sg[s_t] in the reward, the state cost is a constant and the action costs keep their whole
    # gradient through the simulator: per episode, finite differences of sum_t w_t (-a_t'R a_t)
    s0, eps, samples = lq_batch
    n = 50
    fd = pg.gradcheck.finite_difference(lambda k: action_cost_return(k, s0[:n], eps[:n], WEIGHTS[row]), K, eps=1e-6)
    assert pg.gradcheck.relative_error(fd, samples.detached_reward[row, :n]) < 1e-7
    # and, for all N episodes, numpy forward mode on the task without state costs
    no_state_cost = lqr.LQ(A=LQ.A, B=LQ.B, Q=np.zeros((2, 2)), R=LQ.R, mean0=LQ.mean0, cov0=LQ.cov0, gamma=LQ.gamma)
    dG = lqr.rewards_to_go(no_state_cost, K, SIGMA, s0, eps, WEIGHTS[row])[1][:, 0]
    assert np.allclose(samples.detached_reward[row], dG, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("row", [0, 1], ids=["one step", "gamma^t"])
def test_all_detached_is_the_myopic_closed_form(lq_batch, row):
    # a_t = K sg[s_t] + sigma eps_t: only dr_t/da_t da_t/dK = -2 R a_t s_t' is left, per episode
    s0, eps, samples = lq_batch
    s, a, _ = lqr.rollout(LQ, K, SIGMA, s0, eps)
    expected = -2 * np.einsum("ij,ntj,ntk,t->nik", LQ.R, a, s[:, :-1], WEIGHTS[row])
    assert np.allclose(samples.detached_all[row], expected, rtol=1e-10, atol=1e-12)


def test_one_step_estimates_equal_the_closed_form_per_episode(lq_batch):
    # T = 1: r_0 = -(s_0'Q s_0 + a_0'R a_0) and s_0 does not depend on K, so each of the three
    # gradients through the simulator is -2 R a_0 s_0' (numpy), and REINFORCE is eps_0 s_0' r_0 / sigma
    s0, eps, samples = lq_batch
    s, a, r = lqr.rollout(LQ, K, SIGMA, s0, eps)
    closed = -2 * np.einsum("ij,nj,nk->nik", LQ.R, a[:, 0], s0)
    for g in (samples.pathwise[0], samples.detached_reward[0], samples.detached_all[0]):
        assert np.allclose(g, closed, rtol=1e-12, atol=1e-14)
    assert np.allclose(samples.reinforce[0], np.einsum("ni,nj,n->nij", eps[:, 0], s0, r[:, 0]) / SIGMA, rtol=1e-10)


def test_estimators_average_to_their_exact_expectations(lq_batch):
    # pathwise and REINFORCE: grad J_T; the detached ones: lqr.detached_gradient, and far from grad J_T
    _, _, samples = lq_batch
    grad = lqr.policy_gradient(LQ, K, SIGMA, T_LQ)
    for g, expected in ((samples.pathwise[1], grad), (samples.reinforce[1], grad),
                        (samples.detached_reward[1], lqr.detached_gradient(LQ, K, SIGMA, T_LQ, "reward")),
                        (samples.detached_all[1], lqr.detached_gradient(LQ, K, SIGMA, T_LQ, "all"))):
        est = pg.montecarlo.as_estimate(g)
        assert np.all(np.abs(est.mean - expected) < 4 * est.stderr)
    for g in (samples.detached_reward[1], samples.detached_all[1]):
        est = pg.montecarlo.as_estimate(g)
        assert np.abs(est.mean - grad).max() > 20 * est.stderr.max()  # biased for grad J_T


def test_bad_lq_inputs_are_refused(lq_batch):
    s0, eps = lq_batch[0][:4], lq_batch[1][:4, :5]
    w = WEIGHTS[1:, :5]  # (1, 5)
    with pytest.raises(ValueError, match="sigma is 0: a deterministic policy has no density"):
        ad.gradient_samples(LQ, K, 0.0, s0, eps, w)
    with pytest.raises(ValueError, match=r"and weights \(1, 4\) should be \(N, n\), \(N, T, m\) and \(H, T\)"):
        ad.gradient_samples(LQ, K, SIGMA, s0, eps, w[:, :4])
    with pytest.raises(ValueError, match=r"weights \(5,\) should be .* \(H, T\), one row of weights per estimate "
                                         r"\(weights\[None\] for one\)"):
        ad.gradient_samples(LQ, K, SIGMA, s0, eps, w[0])
    for bad in (w[None], w[:0]):  # a third axis; no weight vector at all
        with pytest.raises(ValueError, match=rf"weights \({', '.join(map(str, bad.shape))},?\) should be"):
            ad.gradient_samples(LQ, K, SIGMA, s0, eps, bad)
    with pytest.raises(ValueError, match=r"K has shape \(2, 2\)"):
        ad.gradient_samples(LQ, np.eye(2), SIGMA, s0, eps, w)


def test_float32_is_refused_with_advice():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(RuntimeError, match=r'jax.config.update\("jax_enable_x64", True\)'):
            ad.expected_return(*PROBLEMS[0][1:3])
        with pytest.raises(RuntimeError, match="jax_enable_x64"):
            ad.gradient_samples(LQ, K, SIGMA, np.zeros((1, 2)), np.zeros((1, 3, 1)), np.ones((1, 3)))
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
