"""Tests for pgbook.scenes: every scene draws exactly the data it was given, each kind of data on
its own artist (the exact value where the exact value belongs, never the estimate), at lecture size
and under 1.5 MB. Artists are found by their gid; `Movie.steps[i]` is the data step frame i shows."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text

from pgbook import scenes
from pgbook.animation import Movie

rng = np.random.default_rng(0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def artists(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def artist(fig, gid):
    (found,) = artists(fig, gid)
    return found


def assert_lecture_size(movie: Movie):
    width = movie.size[0]
    assert width >= 900
    sizes = [t.get_size() for t in movie.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert min(sizes) * movie.figure.dpi / 72 * min(1, 900 / width) >= 16  # >= 12 CSS pt at 900 px
    assert len(movie.png) <= 1_500_000


# ---------------------------------------------------------------- bandit_simplex (01, 04)
K = 31
PI = softmax(np.linspace(0, 1, K)[None, :, None] * rng.normal(size=(3, 1, 3)) * 3)  # (3 runs, K, 3)
EXACT = softmax(np.linspace(0, 2, K)[:, None] * np.array([1.0, 0.0, -1.0]))


def simplex_of_pi():
    field = (scenes.simplex_grid(5), np.tile([0.1, -0.05, -0.05], (len(scenes.simplex_grid(5)), 1)))
    return scenes.bandit_simplex(PI, exact=EXACT, field=field, n_trails=2, n_frames=8)


@pytest.fixture(scope="module")
def simplex_movie():
    return simplex_of_pi()


def test_simplex_draws_every_run_and_the_exact_path(simplex_movie):
    m = simplex_movie
    assert len(m.steps) == m.n_frames and m.steps[0] == 0 and m.steps[-1] == K - 1
    for i in (0, 3, m.n_frames - 1):
        k = m.steps[i]
        fig = m.at(i)
        np.testing.assert_allclose(artist(fig, "runs").get_offsets(), PI[:, k] @ scenes.CORNERS)
        np.testing.assert_allclose(artist(fig, "trail:1").get_xydata(), PI[1, : k + 1] @ scenes.CORNERS)
        np.testing.assert_allclose(artist(fig, "exact").get_xydata(), EXACT[: k + 1] @ scenes.CORNERS)
        heights = [b.get_height() for b in artists(fig, "mean")]
        np.testing.assert_allclose(heights, PI[:, k].mean(axis=0))  # the runs' mean, not the exact path
        ticks = np.array(artist(fig, "exact ticks").get_segments())
        np.testing.assert_allclose(ticks[:, :, 1], np.column_stack([EXACT[k], EXACT[k]]))
        np.testing.assert_allclose(np.sort(artist(fig, "run dots").get_offsets()[:, 1]), np.sort(PI[:, k].ravel()))
        assert f"step {k}" in fig.axes[1].get_title()


def test_simplex_of_a_single_run_draws_its_bars_without_run_dots():
    m = scenes.bandit_simplex(PI[0], n_frames=3, title="after {k} updates, pi(arm 0) shown")
    assert not artists(m.figure, "run dots") and not artists(m.figure, "exact")
    assert m.at(1).axes[1].get_title() == f"after {m.steps[1]} updates, pi(arm 0) shown"  # the caller's title
    fig = m.at(2)
    np.testing.assert_allclose([b.get_height() for b in artists(fig, "mean")], PI[0, m.steps[2]])
    np.testing.assert_allclose(artist(fig, "runs").get_offsets(), PI[0, m.steps[2]][None] @ scenes.CORNERS)


def test_simplex_corners_and_field():
    np.testing.assert_allclose(scenes.to_simplex(np.eye(3)), scenes.CORNERS)
    grid = scenes.simplex_grid(6, margin=0.05)
    assert np.allclose(grid.sum(axis=1), 1) and grid.min() >= 0.05 - 1e-12
    # the triangle is equilateral with side 1
    sides = np.linalg.norm(scenes.CORNERS - np.roll(scenes.CORNERS, 1, axis=0), axis=1)
    np.testing.assert_allclose(sides, 1.0)


def test_simplex_field_arrows_point_where_the_velocity_points(simplex_movie):
    q = artist(simplex_movie.figure, "field")
    d = np.array([0.1, -0.05, -0.05]) @ scenes.CORNERS  # towards corner 0 (the bottom left)
    np.testing.assert_allclose(np.column_stack([q.U, q.V]), np.tile(d / np.linalg.norm(d), (len(q.U), 1)))


def test_simplex_is_deterministic_lecture_size_and_small(simplex_movie):
    assert simplex_of_pi().png == simplex_movie.png  # drawn again from scratch: the same bytes
    assert_lecture_size(simplex_movie)


def test_the_biggest_scene_stays_under_one_and_a_half_megabytes():
    # 200 runs of a constant-reward random walk (notebook 01): every dot moves in every frame
    theta, walk = np.zeros((200, 3)), []
    for _ in range(151):
        p = softmax(theta)
        walk.append(p)
        a = (rng.random(200)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
        theta = theta + 0.5 * (np.eye(3)[a] - p)
    m = scenes.bandit_simplex(np.stack(walk, axis=1), exact=np.full((151, 3), 1 / 3), n_trails=3)
    assert m.n_frames >= 30
    assert_lecture_size(m)


@pytest.mark.parametrize("kwargs, match", [
    (dict(pi=np.full((5, 4), 0.25)), "3 action probabilities"),
    (dict(pi=np.full((5, 3), 0.4)), "sums to"),
    (dict(pi=PI, exact=EXACT[:-1]), "exact has shape"),
    (dict(pi=PI[:, :1]), "K >= 2 steps"),
])
def test_simplex_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        scenes.bandit_simplex(**kwargs)


# ---------------------------------------------------------------- corridor_climb (04)
P_GRID = np.linspace(0.05, 0.95, 50)
J_GRID = -1 / (P_GRID * (1 - P_GRID))
P_RUNS = np.array([np.linspace(0.05, 0.5, 21), np.linspace(0.1, 0.6, 21)])
J_RUNS = -1 / (P_RUNS * (1 - P_RUNS))
SLOPE = (1 - 2 * P_RUNS) / (P_RUNS * (1 - P_RUNS)) ** 2


@pytest.fixture(scope="module")
def corridor_movie():
    return scenes.corridor_climb(P_GRID, J_GRID, P_RUNS, J_RUNS, SLOPE, p_star=0.5, n_frames=6)


def test_corridor_draws_the_curve_the_iterates_and_uphill_tangents(corridor_movie):
    m = corridor_movie
    curve = artist(m.figure, "curve")
    np.testing.assert_allclose(curve.get_xdata(), P_GRID)
    np.testing.assert_allclose(curve.get_ydata(), J_GRID)
    for i in range(m.n_frames):
        k = m.steps[i]
        fig = m.at(i)
        np.testing.assert_allclose(artist(fig, "iterates").get_offsets(), np.column_stack([P_RUNS[:, k], J_RUNS[:, k]]))
        arrows = artist(fig, "gradient")
        np.testing.assert_allclose(arrows.get_offsets(), np.column_stack([P_RUNS[:, k], J_RUNS[:, k]]))
        U, V = np.asarray(arrows.U), np.asarray(arrows.V)
        up = SLOPE[:, k] != 0
        np.testing.assert_allclose(V[up] / U[up], SLOPE[up, k])  # along the tangent ...
        assert np.all(V >= 0)  # ... pointing uphill
        np.testing.assert_allclose(np.hypot(U[up], V[up]), 1.0)
        np.testing.assert_allclose(artist(fig, "p:1").get_ydata(), P_RUNS[1, : k + 1])
    vertical, horizontal = artists(m.figure, "p_star")
    assert vertical.get_xdata()[0] == 0.5 and horizontal.get_ydata()[0] == 0.5
    assert_lecture_size(m)


def test_corridor_rejects_mismatched_runs():
    with pytest.raises(ValueError, match="J has shape"):
        scenes.corridor_climb(P_GRID, J_GRID, P_RUNS, J_RUNS[:1])
    with pytest.raises(ValueError, match="J_grid has shape"):
        scenes.corridor_climb(P_GRID, J_GRID[1:], P_RUNS, J_RUNS)


# ---------------------------------------------------------------- gridworld_policy (04)
LAYOUT = ("..G", ".#X", "S..")


@pytest.fixture(scope="module")
def grid_run():
    from pgbook.envs import grid_coordinates
    S = len(grid_coordinates(LAYOUT))
    pi = softmax(np.linspace(0, 3, 12)[:, None, None] * rng.normal(size=(1, S, 4)))
    J = np.linspace(-0.2, 0.8, 12)
    return pi, J, scenes.gridworld_policy(pi, LAYOUT, J=J, n_frames=5)


def test_gridworld_arrows_have_length_pi(grid_run):
    from pgbook.envs import GRID_MOVES, grid_coordinates
    pi, J, m = grid_run
    cells = grid_coordinates(LAYOUT)
    live = [LAYOUT[r][c] in ".S" for r, c in cells]
    for i in range(m.n_frames):
        k = m.steps[i]
        fig = m.at(i)
        q = artist(fig, "policy")
        uv = np.column_stack([q.U, q.V]).reshape(-1, 4, 2)  # (live states, action, (x, y))
        want = 0.45 * pi[k][live][:, :, None] * GRID_MOVES[None, :, ::-1]
        np.testing.assert_allclose(uv, want)
        np.testing.assert_allclose(q.get_offsets().reshape(-1, 4, 2)[:, 0], cells[live][:, ::-1])
        np.testing.assert_allclose(artist(fig, "J").get_ydata(), J[: k + 1])
    assert_lecture_size(m)


def test_gridworld_rejects_a_policy_of_the_wrong_size(grid_run):
    pi, _, _ = grid_run
    with pytest.raises(ValueError, match=r"pi must have shape \(K >= 2, 8, 4\)"):
        scenes.gridworld_policy(pi[:, :-1], LAYOUT)


# ---------------------------------------------------------------- estimate_convergence (03)
SIZES = np.array([10, 100, 1000, 10000])
EXACT_G = np.array([0.5, -0.3, 0.1])
MEANS = EXACT_G + np.array([[0.3, -0.2, 0.1], [0.1, 0.05, -0.03], [0.02, -0.01, 0.01], [0.004, 0.002, -0.003]])
SES = np.array([1.0, 0.5, 0.2])[None] / np.sqrt(SIZES)[:, None]


def test_convergence_draws_each_estimate_and_the_exact_gradient():
    m = scenes.estimate_convergence(SIZES, MEANS, SES, EXACT_G)
    assert m.n_frames == len(SIZES)
    for i in range(m.n_frames):
        ax = m.at(i).axes[0]
        points, _, (bars,) = ax.containers[0].lines
        np.testing.assert_allclose(points.get_ydata(), MEANS[i])
        np.testing.assert_allclose([s[:, 1] for s in bars.get_segments()],
                                   np.column_stack([MEANS[i] - 2 * SES[i], MEANS[i] + 2 * SES[i]]))
        (exact,) = [c for c in ax.collections if c.get_label() == "exact"]
        np.testing.assert_allclose(np.array(exact.get_segments())[:, 0, 1], EXACT_G)
        np.testing.assert_allclose(artist(m.figure, "stderr:2").get_ydata(), SES[: i + 1, 2])
        assert f"N = {SIZES[i]:,}" in ax.get_title()
    guide = artist(m.figure, "guide")
    slope = np.polyfit(np.log(guide.get_xdata()), np.log(guide.get_ydata()), 1)[0]
    assert slope == pytest.approx(-0.5)
    assert_lecture_size(m)


def test_convergence_rejects_sizes_that_do_not_increase():
    with pytest.raises(ValueError, match="sizes must be positive and increasing"):
        scenes.estimate_convergence(SIZES[::-1], MEANS, SES, EXACT_G)
    with pytest.raises(ValueError, match="exact has shape"):
        scenes.estimate_convergence(SIZES, MEANS, SES, EXACT_G[:2])


# ---------------------------------------------------------------- gradient_clouds (05)
def test_clouds_draw_each_estimator_its_ellipse_and_the_exact_gradient():
    a, b = 2.0, 0.5
    plus = np.array([[a, 0], [-a, 0], [0, b], [0, -b]])  # covariance diag(2a^2/3, 2b^2/3) with ddof 1
    exact = np.array([1.0, -1.0])
    clouds = {"wide": exact + plus, "narrow": exact + plus / 4}
    m = scenes.gradient_clouds(clouds, exact, hold=2, morph=1)
    assert m.n_frames == 2 + 1 + 2
    plan = [("wide", 0.0), ("wide", 0.0), ("morph", 0.5), ("narrow", 0.0), ("narrow", 0.0)]
    for i, (name, t) in enumerate(plan):
        fig = m.at(i)
        pts = exact + plus * (1 - 0.75 * t) if name == "morph" else clouds[name]
        np.testing.assert_allclose(artist(fig, "estimates").get_offsets(), pts)
        scale = {"wide": 1.0, "morph": 1 - 0.75 * 0.5, "narrow": 0.25}[name]
        e = artist(fig, "ellipse")
        np.testing.assert_allclose(e.center, exact)
        np.testing.assert_allclose([e.width, e.height], 4 * scale * np.sqrt([2 * a**2 / 3, 2 * b**2 / 3]))
        assert e.angle % 180 == pytest.approx(0.0, abs=1e-9)
        np.testing.assert_allclose(artist(fig, "exact").get_xydata(), [exact])
        widths = [bar.get_width() for bar in artists(fig, "spread")]
        shown = 2 if name == "narrow" else 1
        want = [2 * (a**2 + b**2) / 3, 2 * (a**2 + b**2) / 3 / 16][:shown]
        np.testing.assert_allclose(widths, want + [0] * (2 - shown))
    assert_lecture_size(m)


def test_clouds_reject_clouds_of_other_shapes():
    with pytest.raises(ValueError, match=r"clouds must map names to arrays \(M, 2\)"):
        scenes.gradient_clouds({"a": np.zeros((5, 3))}, np.zeros(3))
    with pytest.raises(ValueError, match="one point has shape"):
        scenes.gradient_clouds({"a": np.zeros((5, 2))}, np.zeros(3))


# ---------------------------------------------------------------- sigma_shrinks, steep_cost (06)
SIGMAS = np.array([1.0, 0.5, 0.25])
SCORE = np.array([[-1.0, 1.0, 0.0, 0.5], [-2.0, 2.0, 0.0, 1.0], [-40.0, 40.0, 0.0, 2.0]])
PATHWISE = np.array([[-0.5, 0.5, 0.0, 0.2], [-0.25, 0.25, 0.0, 0.1], [-0.1, 0.1, 0.0, 0.05]])


def test_sigma_scene_draws_samples_around_the_exact_value_and_their_spread():
    m = scenes.sigma_shrinks(SIGMAS, SCORE, PATHWISE, exact=0.3, xlim=(-5, 5))
    for i in range(m.n_frames):
        fig = m.at(i)
        for name, samples in (("score function", SCORE[i]), ("pathwise", PATHWISE[i])):
            np.testing.assert_allclose(artist(fig, f"samples:{name}").get_offsets()[:, 0], np.clip(samples, -5, 5))
            np.testing.assert_allclose(artist(fig, f"sd:{name}").get_ydata(), samples.std(ddof=1) if i == 0 else
                                       [s.std(ddof=1) for s in (SCORE if name == "score function" else PATHWISE)[: i + 1]])
        assert artist(fig, "exact").get_xdata()[0] == 0.3
    texts = [t.get_text() for t in m.figure.axes[0].texts]
    assert "◀ 1 beyond" in texts and "1 beyond ▶" in texts  # -40 and 40 in the last frame
    assert_lecture_size(m)


def test_steep_cost_scene_draws_the_cost_of_each_frame():
    x = np.linspace(-1, 1, 21)
    widths = np.array([0.3, 0.1, 0.01])
    cost = 1 / (1 + np.exp(-x[None] / widths[:, None]))
    density = np.exp(-x**2 / 2)
    exact = np.array([0.4, 0.41, 0.42])
    m = scenes.steep_cost(widths, x, cost, density, SCORE, PATHWISE, exact)
    assert m.figure.axes[1].get_xlabel() == r"batch estimate of $dF/d\mu$"
    assert scenes.steep_cost(widths[:1], x, cost[:1], density, SCORE[:1], PATHWISE[:1], exact[:1],
                             xlabel="dF/dk").figure.axes[1].get_xlabel() == "dF/dk"
    for i in range(m.n_frames):
        fig = m.at(i)
        np.testing.assert_allclose(artist(fig, "cost").get_ydata(), cost[i])
        assert artist(fig, "exact").get_xdata()[0] == exact[i]  # the truth, not an estimate's mean
    top = artist(m.figure, "density").get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(cost.min() + 0.9 * np.ptp(cost))  # scaled to the cost's range
    assert_lecture_size(m)


@pytest.mark.parametrize("kwargs, match", [
    (dict(pathwise=PATHWISE[:, :3]), "pathwise has shape"),
    (dict(exact=[0.1, 0.2]), "exact has shape"),
    (dict(xlim=(1.0, -1.0)), "xlim must be increasing"),
    (dict(score=SCORE[:, :1], pathwise=PATHWISE[:, :1]), "at least 2 samples"),
])
def test_sample_scenes_reject_bad_input(kwargs, match):
    args = dict(sigmas=SIGMAS, score=SCORE, pathwise=PATHWISE, exact=0.3) | kwargs
    with pytest.raises(ValueError, match=match):
        scenes.sigma_shrinks(**args)
    plt.close("all")


# ---------------------------------------------------------------- trajectory_probabilities (02)
THETA_TAU = np.linspace(-2, 2, 41)
C_TAU = np.array([1.0, -1.0, 0.5, 0.0])  # trajectory j has log-probability theta C_TAU[j] - log-normaliser
P_TAU = softmax(THETA_TAU[:, None] * C_TAU)  # (41, 4)
DLOGP_TAU = C_TAU - P_TAU @ C_TAU[:, None]  # d log p_j / d theta = C_TAU[j] - sum_i p_i C_TAU[i]
R_TAU = np.array([1.0, 1.0, 0.0, 2.0])
J_TAU = P_TAU @ R_TAU
SLOPE_TAU = (P_TAU * R_TAU * DLOGP_TAU).sum(axis=1)


def test_returns_spread_only_within_groups_of_equal_returns():
    R = np.array([1.0, 1.0, 0.0, 2.0])
    np.testing.assert_allclose(scenes.spread_returns(R), [0.7, 1.3, 0.0, 2.0])  # 0.6 x the gap of 1
    np.testing.assert_allclose(scenes.spread_returns([0.5, 0.5, 0.5]), [0.2, 0.5, 0.8])  # no gap: 1
    np.testing.assert_allclose(scenes.spread_returns([0.0, 0.5, 0.5], width=0.4), [0.0, 0.4, 0.6])
    np.testing.assert_array_equal(R, [1.0, 1.0, 0.0, 2.0])  # not modified


def test_trajectory_scene_draws_probabilities_at_fixed_returns_and_the_tangent():
    # the slope drawn is the finite-difference derivative of J: an independent check of SLOPE_TAU too
    np.testing.assert_allclose(SLOPE_TAU[1:-1], (J_TAU[2:] - J_TAU[:-2]) / (THETA_TAU[2] - THETA_TAU[0]), atol=2e-3)
    m = scenes.trajectory_probabilities(THETA_TAU, P_TAU, R_TAU, DLOGP_TAU, J_TAU, SLOPE_TAU, theta_label=r"\theta_1",
                                        title="at {theta:.1f}, slope {slope:.2f}", n_frames=6)
    assert m.steps[0] == 0 and m.steps[-1] == len(THETA_TAU) - 1 and len(m.steps) == m.n_frames
    assert m.figure.axes[1].get_xlabel() == r"$\theta_1$"
    np.testing.assert_allclose(m.figure.axes[0].get_xticks(), [0.0, 1.0, 2.0])  # a tick at every return
    np.testing.assert_allclose(m.figure.axes[0].get_xlim(), (-0.5, 2.5))  # half a gap beyond the stems
    for i in range(m.n_frames):
        k = m.steps[i]
        fig = m.at(i)
        segments = np.array(artist(fig, "stems").get_segments())  # (4, 2 ends, xy)
        np.testing.assert_allclose(segments[:, :, 0], np.tile([[0.7], [1.3], [0.0], [2.0]], 2))  # never move
        np.testing.assert_allclose(segments[:, 1, 1], P_TAU[k])
        np.testing.assert_allclose(segments[:, 0, 1], 0.0)
        colours = artist(fig, "stems").get_colors()[:, :3]
        rising = np.all(colours == matplotlib.colors.to_rgb(scenes.trajectories.RISING), axis=1)
        np.testing.assert_array_equal(rising, DLOGP_TAU[k] >= 0)
        np.testing.assert_allclose(artist(fig, "J").get_offsets(), [[J_TAU[k], 0.0]])
        (t0, t1), (y0, y1) = artist(fig, "tangent").get_data()
        assert (y1 - y0) / (t1 - t0) == pytest.approx(SLOPE_TAU[k]) and t0 < THETA_TAU[k] < t1
        assert y0 + SLOPE_TAU[k] * (THETA_TAU[k] - t0) == pytest.approx(J_TAU[k])  # through (theta_k, J_k)
        np.testing.assert_allclose(artist(fig, "now").get_xydata(), [[THETA_TAU[k], J_TAU[k]]])
        assert fig.axes[1].get_title() == f"at {THETA_TAU[k]:.1f}, slope {SLOPE_TAU[k]:.2f}"
    np.testing.assert_allclose(artist(m.figure, "curve").get_ydata(), J_TAU)
    assert_lecture_size(m)


@pytest.mark.parametrize("kwargs, match", [
    (dict(p=P_TAU[:, :3]), r"dlogp has shape \(41, 4\) but p has shape \(41, 3\)"),
    (dict(R=R_TAU[:3]), "R has shape"),
    (dict(J=J_TAU[:5]), "J has shape"),
    (dict(theta=THETA_TAU[::-1]), "theta must increase"),
    (dict(dlogp=DLOGP_TAU[0]), "dlogp must have 2 dimensions"),
])
def test_trajectory_scene_rejects_bad_input(kwargs, match):
    args = dict(theta=THETA_TAU, p=P_TAU, R=R_TAU, dlogp=DLOGP_TAU, J=J_TAU, slope=SLOPE_TAU) | kwargs
    with pytest.raises(ValueError, match=match):
        scenes.trajectory_probabilities(**args)
    plt.close("all")
