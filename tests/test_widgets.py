"""Tests for pgbook.explorers and pgbook.widgets: each explorer's figure draws the numbers it claims,
checked against answers computed another way (closed forms, quadrature, plain loops over batches),
the live redraw (blitting) shows the same picture as a full draw, and each explorer has its sliders,
redraws on release only and reports bad settings in words."""
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from scipy import integrate, stats

import pgbook as pg
from pgbook import explorers, learn, widgets
from pgbook.explorers import (bandit_learning, baseline_cloud, gae_measure, gae_tradeoff, gradient_check, ppo_epochs,
                              score_vs_pathwise, view_of)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def drawn(ax, gid):
    """The artist of `ax` with this gid (the explorers tag what they draw)."""
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, (gid, [a.get_gid() for a in ax.get_children() if a.get_gid()])
    return found[0]


def title(ax) -> str:
    v = view_of(ax.figure)
    return (v.left if ax is v.axes[0] else v.right).get_text()


# ---- 03: REINFORCE and finite differences ----------------------------------------------------------

def corridor_closed_form(theta):
    """Notebook 03: J = -6 - 2 e^x - 4 e^-x with x = theta_0 - theta_1 (sympy), and dJ/dtheta_0."""
    x = theta[0] - theta[1]
    return -6 - 2 * np.exp(x) - 4 * np.exp(-x), -2 * np.exp(x) + 4 * np.exp(-x)


def test_gradient_check_draws_the_running_estimate_and_the_exact_gradient():
    N, seed = 500, 3
    fig = explorers.gradient_check_figure(n_episodes=N, eps=1e-5, seed=seed)
    ax = fig.axes[0]
    J, dJ = corridor_closed_form(gradient_check.THETA)
    np.testing.assert_allclose(drawn(ax, "exact").get_ydata(), dJ, rtol=1e-12)
    # the running estimate: the first n episodes of one pool, averaged with numpy's mean and std
    mdp, policy = pg.envs.short_corridor(), pg.SoftmaxPolicy(pg.envs.short_corridor_features())
    theta = np.array(gradient_check.THETA)
    episodes = pg.rollout.sample_episodes(mdp, policy, theta, gradient_check.MAX_EPISODES, np.random.default_rng(seed),
                                          max_steps=100_000)
    g = pg.estimators.reinforce_gradient(episodes, policy, theta, 1.0).samples[:, 0]
    run = drawn(ax, "estimate")
    n = run.get_xdata()
    assert n[0] == 2 and n[-1] == N
    for k in (0, len(n) // 2, len(n) - 1):
        np.testing.assert_allclose(run.get_ydata()[k], g[: n[k]].mean(), rtol=1e-10)
    se = g[:N].std(ddof=1) / np.sqrt(N)
    dot, bar = drawn(ax, "estimate at N"), drawn(ax, "error bar at N")
    assert list(dot.get_xdata()) == [N] and list(bar.get_xdata()) == [N, N]
    np.testing.assert_allclose(dot.get_ydata(), [g[:N].mean()], rtol=1e-10)
    np.testing.assert_allclose(bar.get_ydata(), [g[:N].mean() - 2 * se, g[:N].mean() + 2 * se], rtol=1e-9)
    assert f"N = {N}:" in title(ax)


def test_finite_difference_panel_follows_the_truncation_and_round_off_laws():
    eps = 1e-3
    fig = explorers.gradient_check_figure(eps=eps)
    bx = fig.axes[1]
    J, dJ = corridor_closed_form(gradient_check.THETA)
    # for this J, J''' = J' exactly (J = -6 - 2e^x - 4e^-x), so the truncation error is eps^2 / 6
    np.testing.assert_allclose(drawn(bx, "truncation").get_ydata(), gradient_check.EPS_GRID**2 / 6, rtol=1e-3)
    np.testing.assert_allclose(drawn(bx, "round-off").get_ydata(),
                               np.finfo(float).eps * abs(J) / (gradient_check.EPS_GRID * abs(dJ)), rtol=1e-9)
    measured = drawn(bx, "measured").get_ydata()
    large = (gradient_check.EPS_GRID > 1e-4) & (gradient_check.EPS_GRID < 1e-2)
    np.testing.assert_allclose(measured[large], gradient_check.EPS_GRID[large] ** 2 / 6, rtol=0.02)
    mark = drawn(bx, "error at eps")
    np.testing.assert_allclose(mark.get_xdata(), [eps])
    np.testing.assert_allclose(mark.get_ydata(), [eps**2 / 6], rtol=0.02)
    assert "ε = 1e-03" in title(bx)


def test_gradient_check_rejects_bad_settings():
    with pytest.raises(ValueError, match="n_episodes must be at most 10000"):
        explorers.gradient_check_figure(n_episodes=20_000)
    with pytest.raises(ValueError, match="n_episodes must be at least 10"):
        explorers.gradient_check_figure(n_episodes=5)
    with pytest.raises(ValueError, match=r"eps must lie in \[1e-15, 1\], got 0.0"):
        explorers.gradient_check_figure(eps=0.0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        explorers.gradient_check_figure(seed=1.5)


# ---- 04: the bandit explorer ---------------------------------------------------------------------

def test_bandit_callback_draws_the_run_it_computes():
    fig = explorers.bandit_learning_figure(alpha=0.5, batch_size=4, n_updates=30, reward_offset=2.0, seed=3)
    ax, bx = fig.axes
    mdp = pg.envs.bandit(bandit_learning.MEANS)
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    hist = learn.reinforce(mdp, policy, np.zeros(3), 0.5, 30, 4, np.random.default_rng(3), returns="total",
                           reward_offset=2.0)
    for a in range(3):
        np.testing.assert_allclose(drawn(ax, f"pi:{a}").get_ydata(), hist.pi[0, :, 0, a])
    np.testing.assert_allclose(drawn(bx, "J").get_ydata(), hist.J[0])
    # and J is the bandit's expected reward under pi, sum_a pi(a) r(a), computed here directly
    np.testing.assert_allclose(hist.J[0], hist.pi[0, :, 0] @ np.array(bandit_learning.MEANS), rtol=1e-12)


def test_a_second_call_on_the_same_axes_updates_the_same_artists():
    fig = explorers.bandit_learning_figure(seed=0, n_updates=50)
    before = list(fig.axes[0].get_lines())
    assert explorers.bandit_learning_figure(seed=1, n_updates=80, axes=fig.axes) is fig
    assert list(fig.axes[0].get_lines()) == before  # nothing added: only the data changed
    assert fig.axes[0].get_xlim() == (0, 80) and len(before[0].get_xdata()) == 81


def test_other_arms_on_the_same_axes_are_drawn_afresh():
    fig = explorers.bandit_learning_figure(n_updates=20)
    explorers.bandit_learning_figure(n_updates=20, means=(0.3, 0.9), axes=fig.axes)
    ax = fig.axes[0]
    assert [a.get_gid() for a in ax.get_lines()] == ["pi:0", "pi:1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["arm 0 (0.3)", "arm 1 (0.9)"]
    np.testing.assert_allclose(drawn(fig.axes[1], "best arm").get_ydata(), 0.9)


def test_bandit_callback_rejects_bad_settings():
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        explorers.bandit_learning_figure(batch_size=0)
    with pytest.raises(ValueError, match="alpha must be positive"):
        explorers.bandit_learning_figure(alpha=-1.0)


# ---- 05: the cloud of batch estimates -----------------------------------------------------------

def plain_batches(problem, returns, baseline_name, N, every=False, seed=0):
    """Batch estimates of the explorer's pool: the first N_POINTS batches by a plain loop, one
    reinforce_gradient per batch; or every batch. A baseline that is not fitted to the batch gives
    per-episode samples that do not depend on the batching, so then every batch comes from one call;
    "mean" is linear in b: g_i = g_i(b=0) - b_i h_i, with h_i what multiplies b in episode i and b_i
    the mean return of the other episodes of its batch, written out here with numpy."""
    mdp, policy, theta, constant = baseline_cloud.PROBLEMS[problem]()
    pool = baseline_cloud.N_POINTS * max(baseline_cloud.BATCH_SIZES)
    episodes = pg.rollout.sample_episodes(mdp, policy, theta, pool, np.random.default_rng(seed))
    V = pg.exact.evaluate(mdp, policy.probs(theta)).V
    baseline = {"none": None, "constant": constant, "V(s)": V}.get(baseline_name, baseline_name)
    g = pg.exact.policy_gradient(mdp, policy, theta).ravel()
    if every and isinstance(baseline, str) and baseline == "mean":
        g0 = pg.estimators.reinforce_gradient(episodes, policy, theta, mdp.gamma, returns).samples.reshape(pool, -1)
        per_step = episodes.discounts(mdp.gamma) if returns == "reward_to_go" else np.ones(episodes.mask.shape)
        h = pg.estimators.score_sums(episodes, policy, theta, per_step * episodes.mask).reshape(pool, -1)
        R = episodes.returns(mdp.gamma).reshape(pool // N, N)
        b = ((R.sum(axis=1, keepdims=True) - R) / (N - 1)).ravel()
        return (g0 - b[:, None] * h).reshape(pool // N, N, -1).mean(axis=1), g
    if every:
        samples = pg.estimators.reinforce_gradient(episodes, policy, theta, mdp.gamma, returns, baseline).samples
        return samples.reshape(pool // N, N, -1).mean(axis=1), g
    est = [pg.estimators.reinforce_gradient(episodes.select(slice(m * N, (m + 1) * N)), policy, theta, mdp.gamma,
                                            returns, baseline).mean.ravel()
           for m in range(baseline_cloud.N_POINTS)]
    return np.array(est), g


@pytest.mark.parametrize("returns, baseline, N", [("total", "none", 4), ("reward_to_go", "mean", 16),
                                                  ("reward_to_go", "V(s)", 8)])
def test_cloud_points_are_the_batch_estimates_seen_along_and_across_the_gradient(returns, baseline, N):
    fig = explorers.baseline_cloud_figure("gridworld", returns, baseline, N)
    ax, bx = fig.axes
    est, g = plain_batches("gridworld", returns, baseline, N)
    x, y = drawn(ax, "estimates").get_data()
    np.testing.assert_allclose(x, est @ g / np.linalg.norm(g), rtol=1e-9, atol=1e-12)
    # y is a projection on one unit vector u2 across grad J: recover u2 by least squares
    u2, *_ = np.linalg.lstsq(est, y, rcond=None)
    np.testing.assert_allclose(est @ u2, y, atol=1e-9)
    assert abs(np.linalg.norm(u2) - 1) < 1e-6 and abs(u2 @ g) < 1e-6 * np.linalg.norm(g)
    np.testing.assert_allclose(drawn(ax, "exact").get_xydata(), [[np.linalg.norm(g), 0.0]], atol=1e-12)
    # the total variance printed: trace of the covariance of every batch of the pool
    all_batches, _ = plain_batches("gridworld", returns, baseline, N, every=True)
    tv = np.trace(np.cov(all_batches.T))
    assert title(bx) == f"total variance {tv:.3g}"
    np.testing.assert_allclose(drawn(bx, "variance at N").get_xydata(), [[N, tv]], rtol=1e-9)


def test_corridor_estimates_all_lie_on_the_gradient_line():
    # state-blind features: every estimate is a multiple of (1, -1), like grad J (notebook 05)
    fig = explorers.baseline_cloud_figure("short corridor", "total", "constant", 2)
    x, y = drawn(fig.axes[0], "estimates").get_data()
    assert np.abs(y).max() < 1e-9 * np.abs(x).max()
    lo, hi = fig.axes[0].get_xlim()
    off = int(((x < lo) | (x > hi)).sum())  # the frame is set by plain REINFORCE; this N = 2 cloud is wider
    assert off > 0 and title(fig.axes[0]) == f"total return − (-10), N = 2 ({off} off the plot)"


def test_baselines_shrink_the_measured_variance_on_the_corridor():
    # the claim the explorer lets a learner see, against plain REINFORCE on the same episodes
    k = baseline_cloud.BATCH_SIZES.index(16)
    variances = {b: drawn(explorers.baseline_cloud_figure("short corridor", "reward_to_go", b, 16).axes[1],
                          "variance").get_ydata()[k] for b in ("none", "V(s)")}
    plain = explorers.baseline_cloud_figure("short corridor", "total", "none", 16).axes[1]
    tv_plain = drawn(plain, "variance: plain").get_ydata()[k]
    assert variances["V(s)"] < variances["none"] < tv_plain
    assert variances["V(s)"] < 0.4 * tv_plain


def test_cloud_rejects_bad_settings():
    for kwargs, message in [(dict(problem="maze"), "problem must be one of"),
                            (dict(returns="future"), "returns must be one of"),
                            (dict(baseline="median"), "baseline must be one of"),
                            (dict(batch_size=3), r"batch_size must be one of \(2, 4, 8, 16, 32, 64\), got 3")]:
        with pytest.raises(ValueError, match=message):
            explorers.baseline_cloud_figure(**kwargs)


# ---- 06: score function vs pathwise --------------------------------------------------------------

def exact_slope(sigma, width):
    """dF/dmu by quadrature of E[f'(x)] (width > 0) or the Gaussian density at the wall (a step)."""
    if width == 0:
        return stats.norm.pdf(0.0, score_vs_pathwise.MU, sigma)
    f_prime = lambda x: stats.norm.pdf(x, 0.0, width) * stats.norm.pdf(x, score_vs_pathwise.MU, sigma)  # noqa: E731
    lo, hi = min(score_vs_pathwise.MU - 12 * sigma, -12 * width), max(score_vs_pathwise.MU + 12 * sigma, 12 * width)
    return integrate.quad(f_prime, lo, hi, points=[0.0, score_vs_pathwise.MU], epsabs=1e-13, limit=200)[0]


@pytest.mark.parametrize("sigma, width", [(0.5, 0.01), (0.05, 1.0), (0.5, 0.0)])
def test_strips_show_the_samples_and_the_exact_slope(sigma, width):
    fig = explorers.score_vs_pathwise_figure(sigma=sigma, width=width, seed=4)
    bx = fig.axes[1]
    exact = exact_slope(sigma, width)
    np.testing.assert_allclose(drawn(bx, "exact").get_xdata(), [exact, exact], rtol=1e-6)
    # the samples by hand: x = mu + sigma eps with eps from default_rng(seed)
    eps = np.random.default_rng(4).standard_normal(score_vs_pathwise.N_DRAWS)
    x = score_vs_pathwise.MU + sigma * eps
    f = (x > 0).astype(float) if width == 0 else stats.norm.cdf(x / width)
    score = f * eps / sigma
    pathwise = np.zeros_like(x) if width == 0 else stats.norm.pdf(x, 0.0, width)
    for name, samples in zip(score_vs_pathwise.NAMES, (score, pathwise)):
        np.testing.assert_allclose(drawn(bx, f"samples:{name}").get_xdata(), samples, rtol=1e-9, atol=1e-12)
        m, se = samples.mean(), samples.std(ddof=1) / np.sqrt(samples.size)
        np.testing.assert_allclose(drawn(bx, f"mean:{name}").get_xdata(), [m - 2 * se, m + 2 * se],
                                   rtol=1e-9, atol=1e-12)


def test_the_step_cost_makes_the_pathwise_estimate_confidently_wrong():
    fig = explorers.score_vs_pathwise_figure(sigma=0.5, width=0.0)
    score_bar, pathwise_bar = (drawn(fig.axes[1], f"mean:{name}") for name in score_vs_pathwise.NAMES)
    exact = exact_slope(0.5, 0.0)
    assert list(pathwise_bar.get_xdata()) == [0.0, 0.0]  # zero, with a zero error bar
    lo, hi = score_bar.get_xdata()
    assert lo < exact < hi  # the score function's bar covers the truth


def test_score_function_spread_grows_like_one_over_sigma():
    # gentle cost: f(x) ~ Phi(mu) near mu, so the score f(x) eps / sigma has s.d. ~ Phi(mu) / sigma
    for sigma in (0.01, 0.02):
        fig = explorers.score_vs_pathwise_figure(sigma=sigma, width=1.0)
        sd = drawn(fig.axes[1], "samples:score function").get_xdata().std(ddof=1)
        assert abs(sd * sigma / stats.norm.cdf(score_vs_pathwise.MU) - 1) < 0.1


def test_score_vs_pathwise_rejects_bad_settings():
    with pytest.raises(ValueError, match=r"sigma must lie in \[0.001, 10\], got 0.0"):
        explorers.score_vs_pathwise_figure(sigma=0.0)
    with pytest.raises(ValueError, match=r"width must lie in \[0, 10\], got -0.1"):
        explorers.score_vs_pathwise_figure(width=-0.1)
    with pytest.raises(TypeError, match="sigma must be a real number"):
        explorers.score_vs_pathwise_figure(sigma="0.5")


# ---- 09: GAE's bias-variance trade-off -----------------------------------------------------------

def td_error_samples(critic_V):
    """GAE(0) gradient samples of the explorer's pool written out with numpy, step by step: the TD errors
    delta_t = r_t + gamma V(s_t+1) - V(s_t) (0 after the last step), weights gamma^t delta_t, and
    g_i[s, a] = sum_t w_t (1[a_t = a] - pi(a|s_t)) over the steps of episode i in s."""
    mdp, policy, theta, _ = gae_measure.problem()
    ep, pi = gae_measure.pool(), policy.probs(theta)
    v = critic_V[ep.step_state]
    after = ep.next_step >= 0
    v_next = np.where(after, critic_V[ep.step_state[np.where(after, ep.next_step, 0)]], 0.0)
    w = mdp.gamma ** ep.step_time * (ep.step_reward + mdp.gamma * v_next - v)
    W = np.zeros((ep.n_episodes, mdp.n_states, mdp.n_actions))
    np.add.at(W, (ep.step_episode, ep.step_state, ep.step_action), w)
    return (W - W.sum(axis=2, keepdims=True) * pi).reshape(ep.n_episodes, -1)


def test_gae_figure_draws_the_exact_bias_and_the_measured_variance():
    critic, B = "TD(0), 20 episodes", 32
    fig = explorers.gae_tradeoff_figure(critic, 0.8, B)
    ax, bx = fig.axes
    mdp, policy, theta, _ = gae_measure.problem()
    V_c = gae_measure.critic_values(critic)
    # grad J by finite differences of the exact J, and E[g] at lambda = 0 as a direct sum over (s, a):
    # sum_s d(s) sum_a pi(a|s) D(s, a) grad log pi(a|s), D the expected TD error with these values
    fd = pg.gradcheck.finite_difference(lambda t: pg.exact.expected_return(mdp, policy, t), theta, eps=1e-5)
    pi = policy.probs(theta)
    d = pg.exact.evaluate(mdp, pi).d
    D = mdp.R + mdp.gamma * mdp.P @ np.where(mdp.terminal, 0.0, V_c) - V_c[:, None]
    expected0 = np.einsum("s,sa,sa,saij->ij", d, pi, D, policy.score(theta))
    bias = drawn(ax, "bias2").get_ydata()
    np.testing.assert_allclose(bias[0], np.sum((expected0 - fd) ** 2), rtol=1e-5)
    assert bias[-1] == gae_tradeoff.FLOOR  # lambda = 1: unbiased whatever the critic, drawn on the floor
    # the variance of a batch: tr Cov / B of the per-episode samples, at lambda = 1 by reinforce_gradient with
    # the critic as a state baseline (G_t - V(s_t)), at lambda = 0 by the TD errors written out above
    g1 = pg.estimators.reinforce_gradient(gae_measure.pool(), policy, theta, mdp.gamma, "reward_to_go", V_c).samples
    var = drawn(ax, "variance").get_ydata()
    np.testing.assert_allclose(var[-1], np.trace(np.cov(g1.reshape(len(g1), -1).T)) / B, rtol=1e-9)
    np.testing.assert_allclose(var[0], np.trace(np.cov(td_error_samples(V_c).T)) / B, rtol=1e-9)
    mse = drawn(ax, "mse").get_ydata()
    np.testing.assert_allclose(mse[[0, -1]], np.sum((expected0 - fd) ** 2) * np.array([1, 0]) + var[[0, -1]], rtol=1e-5)
    k, best = gae_measure.LAMBDAS.index(0.8), int(np.argmin(mse))
    assert drawn(ax, "mse at lambda").get_xydata().tolist() == [[0.8, mse[k]]]
    assert drawn(ax, "lowest mse").get_xydata().tolist() == [[gae_measure.LAMBDAS[best], mse[best]]]
    # right: the MSE against B at lambda = 0.8 is its squared bias plus the per-episode variance over B
    curve = drawn(bx, "mse vs B")
    np.testing.assert_allclose(curve.get_ydata(), bias[k] + var[k] * B / curve.get_xdata(), rtol=1e-12)
    assert title(bx) == f"B = {B}: MSE lowest at λ = {gae_measure.LAMBDAS[best]:g} (★)"


def test_gae_formula_agrees_with_the_pool_and_the_exact_critic_is_unbiased():
    mdp, policy, theta, grad = gae_measure.problem()
    m = gae_measure.measure("exact V")
    n_tests = len(gae_measure.LAMBDAS) * grad.size  # 5 standard errors over ~350 components (Bonferroni)
    for k, lam in enumerate(gae_measure.LAMBDAS):
        np.testing.assert_allclose(m.expected[k], grad.ravel(), rtol=1e-9, atol=1e-12)  # exact V: unbiased
        seen = m.stderr[k] > 0
        assert np.all(np.abs(m.mean[k] - grad.ravel())[seen] < 5 * m.stderr[k][seen]), (lam, n_tests)
    fig = explorers.gae_tradeoff_figure("exact V", 0.5, 1024)
    assert np.all(drawn(fig.axes[0], "bias2").get_ydata() == gae_tradeoff.FLOOR)
    assert title(fig.axes[0]).startswith("λ = 0.5: MSE") and " = 0 + " in title(fig.axes[0])
    td = gae_measure.measure("TD(0), 5 episodes")  # a poor critic: E[g] by the formula, checked by sampling
    for k in range(len(gae_measure.LAMBDAS)):
        seen = td.stderr[k] > 0
        assert np.all(np.abs(td.mean[k] - td.expected[k])[seen] < 5 * td.stderr[k][seen])


def test_gae_figure_rejects_bad_settings():
    for kwargs, message in [(dict(critic="MC"), "critic must be one of"),
                            (dict(lam=0.3), r"lam must be one of \(0.0, 0.25"),
                            (dict(batch_size=3), r"batch_size must be one of \(1, 2, 4")]:
        with pytest.raises(ValueError, match=message):
            explorers.gae_tradeoff_figure(**kwargs)
    with pytest.raises(TypeError, match="lam must be a real number, got bool"):
        explorers.gae_tradeoff_figure(lam=True)
    with pytest.raises(TypeError, match="batch_size must be an integer, got float"):
        explorers.gae_tradeoff_figure(batch_size=32.0)
    with pytest.raises(TypeError, match="critic must be a string"):
        explorers.gae_tradeoff_figure(critic=["exact V"])
    mdp, policy, theta, _ = gae_measure.problem()
    V = np.zeros(mdp.n_states)
    with pytest.raises(ValueError, match=r"lam must lie in \[0.*1.*\], got 1.5"):
        gae_measure.expected_gae_gradient(mdp, policy, theta, V, 1.5)
    with pytest.raises(ValueError, match=r"V_critic must hold one value per state, shape \(11,\), got \(10,\)"):
        gae_measure.expected_gae_gradient(mdp, policy, theta, V[:10], 0.5)


# ---- 10: PPO's epochs on one batch --------------------------------------------------------------

def ppo_by_hand(seed, clip, alpha, n_epochs):
    """The epochs the notebook's way: pg.ppo's gradient over the batch's steps, exact J and KL per epoch."""
    mdp, policy, _ = ppo_epochs.corridor()
    theta_old = np.array(ppo_epochs.THETA_OLD)
    V_old = pg.exact.evaluate(mdp, policy.probs(theta_old)).V
    batch = pg.rollout.sample_episodes(mdp, policy, theta_old, ppo_epochs.N_EPISODES, np.random.default_rng(seed),
                                       max_steps=10_000)
    adv = pg.estimators.gae(batch, V_old, 1.0, 1.0)
    theta, J, kl, r = theta_old.copy(), [], [], []
    for epoch in range(n_epochs + 1):
        if epoch:
            theta = theta + alpha * pg.ppo.clipped_surrogate_gradient(batch, policy, theta, theta_old, adv, 1.0, clip)
        J.append(pg.exact.expected_return(mdp, policy, theta))
        kl.append(pg.ppo.mean_kl(mdp, policy, theta_old, theta))
        r.append(pg.ppo.step_ratios(batch, policy, theta, theta_old))
    return np.array(J), np.array(kl), np.concatenate(r)


def test_ppo_figure_draws_the_runs_of_the_plain_loop():
    seed, clip, alpha, E = 3, 0.1, 0.005, 40
    fig = explorers.ppo_epochs_figure(clip=clip, alpha=alpha, n_epochs=E, seed=seed)
    ax, bx = fig.axes
    J, kl, r = ppo_by_hand(seed, clip, alpha, E)
    J_free, kl_free, _ = ppo_by_hand(seed, None, alpha, E)
    np.testing.assert_allclose(drawn(ax, "J").get_ydata(), J, rtol=1e-9)
    np.testing.assert_allclose(drawn(ax, "J: no clipping").get_ydata(), J_free, rtol=1e-9)
    np.testing.assert_allclose(drawn(bx, "KL").get_ydata(), kl[1:], rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(drawn(bx, "KL: no clipping").get_ydata(), kl_free[1:], rtol=1e-7, atol=1e-15)
    assert drawn(ax, "J").get_xdata()[-1] == E and ax.get_xlim() == (0, E)
    # at theta_old every ratio is 1, nothing is clipped: the first epoch is the same step with or without clipping
    assert J[1] == pytest.approx(J_free[1], rel=1e-12) and J[1] != J[0]
    mdp, policy, J_star = ppo_epochs.corridor()
    assert J_star == pytest.approx(-(6 + 4 * np.sqrt(2)), rel=1e-12)  # Example 13.1's best state-blind policy
    p_old = 1 / (1 + np.e)
    edge = pg.ppo.mean_kl(mdp, policy, np.array(ppo_epochs.THETA_OLD), ppo_epochs.theta_at((1 + clip) * p_old))
    np.testing.assert_allclose(drawn(bx, "KL at the clip").get_ydata(), [edge, edge], rtol=1e-9)
    assert title(ax) == f"ε = 0.1, α = 0.005: final J = {J[-1]:.2f}"
    assert title(bx) == f"largest KL {kl.max():.2g}; ratios in [{r.min():.2f}, {r.max():.2f}]"


def test_ppo_figure_without_clipping_hides_the_clip_line():
    fig = explorers.ppo_epochs_figure(clip=None, alpha=0.01, n_epochs=200)
    ax, bx = fig.axes
    np.testing.assert_array_equal(drawn(ax, "J").get_ydata(), drawn(ax, "J: no clipping").get_ydata())
    assert not drawn(bx, "KL at the clip").get_visible()
    assert title(ax).startswith("no clipping, α = 0.01: final J = ") and title(ax).endswith("(below the plot)")


def test_ppo_figure_rejects_bad_settings():
    for kwargs, message in [(dict(clip=1.5), r"clip must lie in \[1e-06, 1\], got 1.5"),
                            (dict(alpha=0.0), r"alpha must lie in \[1e-05, 0.05\], got 0.0"),
                            (dict(n_epochs=500), "n_epochs must be at most 200"),
                            (dict(n_epochs=0), "n_epochs must be at least 1"),
                            (dict(seed=-1), "seed must be at least 0")]:
        with pytest.raises(ValueError, match=message):
            explorers.ppo_epochs_figure(**kwargs)
    with pytest.raises(TypeError, match="n_epochs must be an integer"):
        explorers.ppo_epochs_figure(n_epochs=10.0)


# ---- the live widgets -----------------------------------------------------------------------------

def controls(ui):
    return list(ui.children[0].children)


def image_of(ui) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(ui.children[2].value)).convert("RGB"), dtype=float)


@pytest.mark.parametrize("make, names", [
    (widgets.gradient_check_explorer, ["episodes N", "step ε", "seed"]),
    (widgets.bandit_explorer, ["step size α", "batch size", "updates", "offset", "seed"]),
    (widgets.baseline_explorer, ["problem", "returns", "baseline", "batch size N", "seed"]),
    (widgets.score_vs_pathwise_explorer, ["σ", "cost width w", "seed"]),
    (widgets.gae_explorer, ["critic", "λ", "batch size B"]),
    (widgets.ppo_explorer, ["clip ε", "step size α", "epochs", "batch seed"]),
])
def test_explorers_have_their_sliders_and_redraw_on_release_only(make, names):
    ui = make()
    assert [c.description for c in controls(ui)] == names
    sliders = [c for c in controls(ui) if hasattr(c, "continuous_update")]
    assert sliders and not any(s.continuous_update for s in sliders)
    assert ui.children[2].format == "jpeg" and image_of(ui).shape[1] >= 900  # lecture width
    # where widgets cannot render (before the cell runs, a static view) a reader sees its text/plain
    assert ui._repr_mimebundle_()["text/plain"] == widgets.EXPLORER_TEXT


def test_moving_a_slider_redraws_the_image_with_the_new_data():
    ui = widgets.score_vs_pathwise_explorer()
    before = image_of(ui)
    sigma = controls(ui)[0]
    sigma.value = 0.05
    after = image_of(ui)
    assert np.abs(after - before).mean() > 1  # a visibly different picture ...
    fresh = view_of(explorers.score_vs_pathwise_figure(sigma=0.05))
    drawn_afresh = np.asarray(Image.open(io.BytesIO(fresh.jpeg())).convert("RGB"), dtype=float)
    assert np.abs(after - drawn_afresh).mean() < 0.5  # ... and the one of the new setting


@pytest.mark.parametrize("figure, first, second", [
    (explorers.gradient_check_figure, dict(n_episodes=200, eps=1e-7), dict(n_episodes=2000, eps=1e-3)),
    (explorers.gae_tradeoff_figure, dict(), dict(critic="exact V", lam=0.25, batch_size=512)),
    (explorers.ppo_epochs_figure, dict(), dict(clip=0.05, alpha=0.01, n_epochs=150)),
])
def test_live_redraw_shows_the_same_picture_as_a_full_draw(figure, first, second):
    fig = figure(**first)
    plt.close(fig)
    v = view_of(fig)
    v.jpeg()  # the first render lays out and caches the background
    figure(**second, axes=v.axes)
    blitted = v.render().copy()
    fig.canvas.draw()  # everything, in z-order, from scratch
    full = np.asarray(fig.canvas.buffer_rgba())
    differ = np.abs(blitted.astype(int) - full.astype(int)).max(axis=2) > 64
    assert differ.mean() < 0.002  # only antialiased edges where a data line crosses a spine may differ


def test_an_explorer_shows_a_bad_setting_in_words():
    import ipywidgets as w

    batch = w.IntSlider(value=4, min=0, max=8, continuous_update=False, description="batch size")
    ui = widgets.explorer(explorers.bandit_learning_figure, dict(batch_size=batch))
    before = ui.children[2].value
    batch.value = 0
    assert "batch_size must be at least 1" in ui.children[1].value
    assert ui.children[2].value == before  # the last good picture stays
    batch.value = 2
    assert ui.children[1].value == "" and ui.children[2].value != before
