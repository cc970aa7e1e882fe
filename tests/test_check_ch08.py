"""pg.check.reward_to_go_loss: the reference answer passes; typical mistakes fail with a message that names them."""
import numpy as np
import pytest

import pgbook as pg


def reference(episodes, policy, theta, gamma):
    """The notebook's answer: gamma^t G_t = sum_{t' >= t} gamma^t' r_t' by a reversed cumulative sum."""
    discounted = gamma ** np.arange(episodes.T) * episodes.rewards  # (N, T), zero on padding
    w = np.cumsum(discounted[:, ::-1], axis=1)[:, ::-1]
    logp = policy.log_probs(theta)[episodes.states, episodes.actions]
    return -(w * logp * episodes.mask).sum() / episodes.n_episodes


def test_the_reference_answer_passes():
    verdict = pg.check.reward_to_go_loss(reference)
    assert verdict and "all 3 batches" in verdict.message


def test_the_package_loss_passes_too():
    def via_package(episodes, policy, theta, gamma):
        w = episodes.discounts(gamma) * episodes.rewards_to_go(gamma)
        return pg.surrogate.surrogate_loss(episodes, policy, theta, w)

    assert pg.check.reward_to_go_loss(via_package)


def with_mistake(kind):
    def answer(episodes, policy, theta, gamma):
        disc = gamma ** np.arange(episodes.T)
        r = episodes.rewards
        if kind == "no_discount":
            w = episodes.rewards_to_go(gamma)
        elif kind == "total":
            w = np.broadcast_to(episodes.returns(gamma)[:, None], r.shape)
        elif kind == "past":
            w = np.cumsum(disc * r, axis=1)
        else:
            w = np.cumsum((disc * r)[:, ::-1], axis=1)[:, ::-1]
        logp = policy.log_probs(theta)[episodes.states, episodes.actions] * episodes.mask
        scale = {"sum": 1, "steps": episodes.mask.sum()}.get(kind, episodes.n_episodes)
        sign = -1.0 if kind == "sign" else 1.0
        if kind == "probs":
            logp = policy.probs(theta)[episodes.states, episodes.actions] * episodes.mask
        if kind == "constant":
            logp = np.zeros_like(logp)
        return -sign * (w * logp).sum() / scale

    return answer


@pytest.mark.parametrize("kind, words", [
    ("sign", "needs a minus sign"),
    ("no_discount", "miss the factor gamma^t"),
    ("total", "whole return R(tau)"),
    ("past", "sum the rewards up to t"),
    ("steps", "averages over all"),
    ("sum", "it sums over the episodes"),
    ("constant", "does not change with theta"),
])
def test_typical_mistakes_are_named(kind, words):
    verdict = pg.check.reward_to_go_loss(with_mistake(kind))
    assert not verdict
    assert words in verdict.message
    assert verdict.message.startswith("on ")  # it names the batch that went wrong


def test_other_wrong_answers_are_explained():
    assert "should be given a function" in pg.check.reward_to_go_loss(0.5).message
    vector = pg.check.reward_to_go_loss(lambda ep, policy, theta, gamma: np.zeros(3))
    assert not vector and "returned shape (3,)" in vector.message
    boom = pg.check.reward_to_go_loss(lambda ep, policy, theta, gamma: ep.rewards[0, 10_000])
    assert not boom and "raised IndexError" in boom.message
    probs = pg.check.reward_to_go_loss(with_mistake("probs"))  # pi instead of log pi: no known hint
    assert not probs and "expected [" in probs.message
