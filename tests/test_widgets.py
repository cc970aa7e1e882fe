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
from pgbook.explorers import bandit_learning, baseline_cloud, gradient_check, score_vs_pathwise, view_of


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
])
def test_explorers_have_their_sliders_and_redraw_on_release_only(make, names):
    ui = make()
    assert [c.description for c in controls(ui)] == names
    sliders = [c for c in controls(ui) if hasattr(c, "continuous_update")]
    assert sliders and not any(s.continuous_update for s in sliders)
    assert ui.children[2].format == "jpeg" and image_of(ui).shape[1] >= 900  # lecture width


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


def test_live_redraw_shows_the_same_picture_as_a_full_draw():
    fig = explorers.gradient_check_figure(n_episodes=200, eps=1e-7)
    plt.close(fig)
    v = view_of(fig)
    v.jpeg()  # the first render lays out and caches the background
    explorers.gradient_check_figure(n_episodes=2000, eps=1e-3, axes=v.axes)
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
