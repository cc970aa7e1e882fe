"""Tests for pgbook.animation and pgbook.widgets: deterministic, small, self-contained HTML players that
show the data they were given, and an explorer callback that draws the learning run it computes."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import pgbook as pg
from pgbook import animation, learn, widgets


@pytest.fixture(scope="module")
def bandit_run():
    mdp = pg.envs.bandit([1.0, 0.5, 0.0])
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    hist = learn.reinforce(mdp, policy, np.zeros(3), 0.3, 20, 4, np.random.default_rng(1), n_runs=3, returns="total")
    return mdp, policy, hist


def frames_of(html: str) -> list[str]:
    return re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]*)"', html)


def test_bandit_animation_is_deterministic_small_and_closes_its_figure(bandit_run):
    mdp, policy, hist = bandit_run
    before = plt.get_fignums()
    first = animation.bandit_simplex(hist, mdp, policy, n_frames=12).data
    second = animation.bandit_simplex(hist, mdp, policy, n_frames=12).data
    assert first == second
    assert plt.get_fignums() == before  # no leftover figure shown as a duplicate static image
    assert len(first) < 150_000
    assert len(frames_of(first)) == 12
    assert "\\\n" not in first  # each frame on one line, so the nbval sanitizer masks it whole
    ids = set(re.findall(r"_anim_img([0-9a-f]{32})", first))
    assert len(ids) == 1  # one deterministic id replaces matplotlib's random uuid everywhere


def test_different_data_gives_a_different_id(bandit_run):
    mdp, policy, hist = bandit_run
    a = animation.bandit_simplex(hist, mdp, policy, n_frames=6).data
    b = animation.bandit_simplex(hist._replace(pi=hist.pi[::-1]), mdp, policy, n_frames=6).data
    id_a, id_b = (re.search(r"_anim_img([0-9a-f]{32})", h).group(1) for h in (a, b))
    assert id_a != id_b


def test_gridworld_animation_is_deterministic_and_small():
    mdp = pg.envs.gridworld()
    policy = pg.SoftmaxPolicy.tabular(mdp.n_states, 4)
    hist = learn.reinforce(mdp, policy, np.zeros((mdp.n_states, 4)), 2.0, 10, 4, np.random.default_rng(0))
    first = animation.gridworld_policy(hist, pg.envs.DEFAULT_LAYOUT, n_frames=8).data
    assert first == animation.gridworld_policy(hist, pg.envs.DEFAULT_LAYOUT, n_frames=8).data
    assert len(frames_of(first)) == 8 and len(first) < 100_000


def test_frame_indices_cover_first_and_last_update():
    idx = animation.frame_indices(100, 24)
    assert idx[0] == 0 and idx[-1] == 100 and len(idx) == 24 and (np.diff(idx) > 0).all()
    assert animation.frame_indices(5, 24).tolist() == [0, 1, 2, 3, 4, 5]


def test_simplex_field_matches_the_bandit_closed_form(bandit_run):
    mdp, policy, _ = bandit_run
    points, dirs = animation.simplex_field(mdp, policy, n=9)
    r = np.array([1.0, 0.5, 0.0])
    for xy, d in zip(points, dirs):
        # recover p from the point: barycentric coordinates of the triangle
        A = np.vstack([animation.CORNERS.T, np.ones(3)])
        p = np.linalg.solve(A, np.append(xy, 1.0))
        M = np.diag(p) - np.outer(p, p)  # d pi / d theta for state-blind softmax
        want = animation.to_simplex(M @ (M @ r))  # grad J = M r for a bandit
        np.testing.assert_allclose(d, want / np.linalg.norm(want), atol=1e-9)
    centre = np.argmin(np.linalg.norm(points - animation.to_simplex(np.full(3, 1 / 3)), axis=1))
    assert dirs[centre] @ (animation.CORNERS[0] - animation.CORNERS[2]) > 0  # toward best, away from worst


def test_explorer_callback_draws_the_run_it_computes():
    fig = widgets.bandit_learning_figure(alpha=0.5, batch_size=4, n_updates=30, reward_offset=2.0, seed=3)
    ax, bx = fig.axes
    mdp = pg.envs.bandit(widgets.MEANS)
    policy = pg.SoftmaxPolicy(pg.envs.state_blind_features(2, 3))
    hist = learn.reinforce(mdp, policy, np.zeros(3), 0.5, 30, 4, np.random.default_rng(3), returns="total",
                           reward_offset=2.0)
    for a, line in enumerate(ax.get_lines()):
        np.testing.assert_allclose(line.get_ydata(), hist.pi[0, :, 0, a])
    np.testing.assert_allclose(bx.get_lines()[0].get_ydata(), hist.J[0])
    plt.close(fig)


def test_explorer_sliders_update_on_release_only():
    ui = widgets.bandit_explorer()
    sliders = [c for c in ui.children if hasattr(c, "continuous_update")]
    assert {s.description for s in sliders} == {"step size", "batch size", "updates", "offset", "seed"}
    assert not any(s.continuous_update for s in sliders)
    plt.close("all")


def test_explorer_callback_rejects_bad_settings():
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        widgets.bandit_learning_figure(batch_size=0)
    with pytest.raises(ValueError, match="alpha must be positive"):
        widgets.bandit_learning_figure(alpha=-1.0)
    plt.close("all")
