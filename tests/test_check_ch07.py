"""pg.check.expected_episode_length: the reference passes; typical mistakes fail with a message naming them."""
import numpy as np
import pytest

import pgbook as pg


def reference(mdp, pi):
    """The notebook's answer: undiscounted visit counts eta from (I - P_pi)^T eta = rho, summed."""
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
    eta = np.linalg.solve((np.eye(int(live.sum())) - P_pi).T, mdp.rho[live])
    return eta.sum()


def with_mistake(kind):
    def answer(mdp, pi):
        live = np.ones(mdp.n_states, bool) if kind == "terminal_kept" else ~mdp.terminal
        n = int(live.sum())
        P_pi = np.einsum("sa,sat->st", pi, mdp.P)[np.ix_(live, live)]
        gamma = mdp.gamma if kind == "discounted" else 1.0
        M = np.eye(n) - gamma * P_pi
        if kind == "untransposed":
            return np.linalg.solve(M, mdp.rho[live]).sum()
        if kind == "steps_to_go_summed":
            return np.linalg.solve(M, np.ones(n)).sum()
        eta = np.linalg.solve(M.T, mdp.rho[live])
        return {"plus_one": eta.sum() + 1, "minus_one": eta.sum() - 1, "vector": eta}.get(kind, eta.sum())

    return answer


def test_the_reference_answer_passes():
    verdict = pg.check.expected_episode_length(reference)
    assert verdict and "all 4 MDPs" in verdict.message


def test_the_package_passes_too():
    assert pg.check.expected_episode_length(pg.exact.expected_length)
    assert pg.check.expected_episode_length(
        lambda mdp, pi: pg.theorem.on_policy_distribution(mdp, pg.SoftmaxPolicy.tabular(*pi.shape), np.log(pi)).length)


@pytest.mark.parametrize("kind, words", [
    ("discounted", "solve with gamma = 1"),
    ("untransposed", "transposed system"),
    ("steps_to_go_summed", "weight them by where episodes start"),
    ("plus_one", "one too many"),
    ("minus_one", "one too few"),
    ("terminal_kept", "Leave the terminal states out"),
    ("vector", "the expected length is their sum"),
])
def test_typical_mistakes_are_named(kind, words):
    verdict = pg.check.expected_episode_length(with_mistake(kind))
    assert not verdict
    assert words in verdict.message
    assert verdict.message.startswith("on ")  # it names the MDP that went wrong


def test_other_wrong_answers_are_explained():
    assert "should be given a function" in pg.check.expected_episode_length(11.66).message
    assert "expected a number" in pg.check.expected_episode_length(lambda mdp, pi: "long").message
    assert "shape (2, 2)" in pg.check.expected_episode_length(lambda mdp, pi: np.eye(2)).message
    boom = pg.check.expected_episode_length(lambda mdp, pi: pi[10, 0])
    assert not boom and "raised IndexError" in boom.message
    endless = pg.check.expected_episode_length(lambda mdp, pi: np.inf)
    assert not endless and "finite" in endless.message
    off = pg.check.expected_episode_length(lambda mdp, pi: reference(mdp, pi) * 1.01)
    assert not off and "expected 11.66" in off.message

